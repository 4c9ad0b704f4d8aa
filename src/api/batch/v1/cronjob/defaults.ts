/**
 * CronJob defaulting, after upstream pkg/apis/batch/v1/defaults.go SetDefaults_CronJob
 * (concurrencyPolicy Allow, suspend false, successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1)
 * plus the generated defaulter's pod template defaults under `spec.jobTemplate.spec.template`
 * (the job template's own spec — completions, backoffLimit, … — is not defaulted, as upstream).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

const unset = (v: unknown) => v === undefined || v === null;

/** Defaults a CronJob in place. */
export function setDefaultsCronJob(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  if (unset(spec.concurrencyPolicy) || spec.concurrencyPolicy === '') spec.concurrencyPolicy = 'Allow';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (unset(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  spec.jobTemplate = rec(spec.jobTemplate);
  const jts = rec(spec.jobTemplate.spec);
  spec.jobTemplate.spec = jts;
  jts.template = rec(jts.template);
  setDefaultsPodTemplateSpec(jts.template);
}
