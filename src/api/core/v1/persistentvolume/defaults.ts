/**
 * PersistentVolume defaulting, after upstream pkg/apis/core/v1/defaults.go
 * (SetDefaults_PersistentVolume): `status.phase` Pending, `spec.persistentVolumeReclaimPolicy`
 * Retain, `spec.volumeMode` Filesystem. Quantities in `spec.capacity` are canonicalized.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { canonicalizeQuantity } from '../../../../machinery/quantity.ts';

/** Canonicalizes every parsable quantity of a ResourceList in place (unparsable ones are left for validation). */
export function canonicalizeResourceList(list: unknown): void {
  const l = rec(list);
  for (const k of Object.keys(l)) {
    try {
      l[k] = canonicalizeQuantity(l[k]);
    } catch {
      /* validation reports it */
    }
  }
}

/** `SetDefaults_PersistentVolume` (mutates). */
export function setDefaultsPersistentVolume(obj: KubeObject): void {
  const spec = rec(obj.spec);
  if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = 'Retain';
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  if (spec.capacity) canonicalizeResourceList(spec.capacity);
  obj.spec = spec;
  const status = rec(obj.status);
  if (!status.phase) status.phase = 'Pending';
  obj.status = status;
}
