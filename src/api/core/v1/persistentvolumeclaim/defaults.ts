/**
 * PersistentVolumeClaim defaulting, after upstream pkg/apis/core/v1/defaults.go
 * (SetDefaults_PersistentVolumeClaim, SetDefaults_PersistentVolumeClaimSpec): `status.phase`
 * Pending, `spec.volumeMode` Filesystem; request/limit quantities canonicalized.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { canonicalizeResourceList } from '../persistentvolume/defaults.ts';

/** `SetDefaults_PersistentVolumeClaim` (mutates). */
export function setDefaultsPersistentVolumeClaim(obj: KubeObject): void {
  const spec = rec(obj.spec);
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  const res = rec(spec.resources);
  if (res.requests) canonicalizeResourceList(res.requests);
  if (res.limits) canonicalizeResourceList(res.limits);
  obj.spec = spec;
  const status = rec(obj.status);
  if (!status.phase) status.phase = 'Pending';
  obj.status = status;
}
