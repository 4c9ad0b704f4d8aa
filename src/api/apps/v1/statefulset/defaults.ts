/**
 * StatefulSet defaulting (upstream pkg/apis/apps/v1/defaults.go SetDefaults_StatefulSet):
 * podManagementPolicy OrderedReady, updateStrategy RollingUpdate with partition 0, replicas 1,
 * revisionHistoryLimit 10, persistentVolumeClaimRetentionPolicy Retain/Retain, the pod template
 * defaults, and volumeMode Filesystem on each volumeClaimTemplate.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { arr, rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

/** Defaults a StatefulSet in place. */
export function setDefaultsStatefulSet(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = rec(spec.updateStrategy);
  spec.updateStrategy = us;
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = rec(us.rollingUpdate);
    us.rollingUpdate = ru;
    if (ru.partition === undefined || ru.partition === null) ru.partition = 0;
  }
  const pol = rec(spec.persistentVolumeClaimRetentionPolicy);
  spec.persistentVolumeClaimRetentionPolicy = pol;
  if (!pol.whenDeleted) pol.whenDeleted = 'Retain';
  if (!pol.whenScaled) pol.whenScaled = 'Retain';
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  for (const t of arr(spec.volumeClaimTemplates)) {
    const ts = rec(rec(t).spec);
    if (rec(t).spec !== undefined && !ts.volumeMode) ts.volumeMode = 'Filesystem';
  }
  // The template is a value (not a pointer) upstream, so an absent one is defaulted like an empty one.
  spec.template = rec(spec.template);
  setDefaultsPodTemplateSpec(spec.template);
}
