/**
 * DaemonSet defaulting (upstream pkg/apis/apps/v1/defaults.go SetDefaults_DaemonSet):
 * updateStrategy RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10,
 * and the pod template defaults.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

/** Defaults a DaemonSet in place. */
export function setDefaultsDaemonSet(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  const us = rec(spec.updateStrategy);
  spec.updateStrategy = us;
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = rec(us.rollingUpdate);
    us.rollingUpdate = ru;
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = 1;
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  spec.template = rec(spec.template);
  setDefaultsPodTemplateSpec(spec.template);
}
