/**
 * Deployment defaulting (upstream pkg/apis/apps/v1/defaults.go SetDefaults_Deployment):
 * replicas 1, strategy RollingUpdate with maxUnavailable/maxSurge 25%, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600, and the pod template defaults.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

/** Defaults a Deployment in place. */
export function setDefaultsDeployment(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = rec(spec.strategy);
  spec.strategy = strategy;
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = rec(strategy.rollingUpdate);
    strategy.rollingUpdate = ru;
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = '25%';
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = '25%';
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  // The template is a value (not a pointer) upstream, so an absent one is defaulted like an empty one.
  spec.template = rec(spec.template);
  setDefaultsPodTemplateSpec(spec.template);
}
