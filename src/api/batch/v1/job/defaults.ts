/**
 * Job defaulting, after upstream pkg/apis/batch/v1/defaults.go SetDefaults_Job: completions 1 and
 * parallelism 1 when both are unset (a work-queue Job sets parallelism only and keeps completions
 * unset), parallelism 1, backoffLimit 6 (or MaxInt32 with backoffLimitPerIndex), completionMode
 * NonIndexed, suspend false, podReplacementPolicy TerminatingOrFailed (Failed with a
 * podFailurePolicy), manualSelector left unset; then the pod template defaults.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

/** Default `spec.backoffLimit` (upstream DefaultBackoffLimit… `6`). */
export const DefaultBackoffLimit = 6;

const unset = (v: unknown) => v === undefined || v === null;

/** Defaults a Job in place (see module comment). */
export function setDefaultsJob(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? DefaultBackoffLimit : 2147483647;
  if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.template = rec(spec.template);
  setDefaultsPodTemplateSpec(spec.template);
}
