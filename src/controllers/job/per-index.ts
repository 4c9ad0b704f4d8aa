/**
 * `spec.backoffLimitPerIndex` for Indexed Jobs, after upstream pkg/controller/job/indexed_job_utils.go
 * (calculateFailedIndexes, isIndexFailed, getPodsWithDelayedDeletionPerIndex) and backoff_utils.go
 * (getRemainingTimePerIndex).
 *
 * Each index has its own failure budget: the count travels from a failed pod to its replacement in
 * the `batch.kubernetes.io/job-index-failure-count` annotation (ignored failures in
 * `…-ignored-failure-count`). An index whose failed pod already used `backoffLimitPerIndex`
 * retries (or that failed by a FailIndex podFailurePolicy rule) is failed: it is listed in
 * `status.failedIndexes` and never recreated. The last failed pod of an index that is still to be
 * retried keeps its tracking finalizer until the replacement exists, so the count is not lost.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { getCompletionIndex, getIndexAbsoluteFailureCount, getIndexFailureCount, parseIndexesFromString } from './indexed.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { hasJobTrackingFinalizer, isPodFailed } from './tracking.ts';
import { getFinishedTime, podFailureBackoffMs } from './backoff.ts';

/** True for an Indexed Job with `backoffLimitPerIndex` set (hasBackoffLimitPerIndex). */
export function hasBackoffLimitPerIndex(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed' && job.spec?.completions != null && job.spec?.backoffLimitPerIndex != null;
}

/**
 * isIndexFailed: `pod` failed and either matched a FailIndex rule, or was a counted failure of an
 * index that had already used its `backoffLimitPerIndex` retries.
 */
export function isIndexFailed(job: Job, pod: Pod): boolean {
  if (!isPodFailed(pod, job)) return false;
  let counted = true;
  const policy = job.spec?.podFailurePolicy;
  if (policy) {
    const m = matchPodFailurePolicy(policy, pod);
    if (m?.action === 'FailIndex') return true;
    counted = m?.action !== 'Ignore';
  }
  return counted && getIndexFailureCount(pod) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

/**
 * calculateFailedIndexes: `status.failedIndexes` plus the indexes of not-yet-counted pods (still
 * holding the tracking finalizer) that failed their index. Ascending.
 */
export function calculateFailedIndexes(job: Job, pods: Pod[]): number[] {
  const completions = job.spec?.completions ?? 0;
  const out = new Set(parseIndexesFromString(job.status?.failedIndexes ?? '', completions));
  for (const p of pods) {
    const ix = getCompletionIndex(p);
    if (ix !== undefined && ix < completions && hasJobTrackingFinalizer(p) && isIndexFailed(job, p)) out.add(ix);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * getPodsWithDelayedDeletionPerIndex: for each index that is neither succeeded, failed nor active,
 * its latest failed pod among `uncountedPods` (pods holding the finalizer, not being released):
 * the one with the highest absolute failure count, the later finish time breaking ties. Its
 * finalizer stays until a replacement pod exists, which copies its failure count.
 */
export function getPodsWithDelayedDeletionPerIndex(job: Job, uncountedPods: Pod[], activePods: Pod[], succeeded: number[], failed: number[]): Map<number, Pod> {
  const completions = job.spec?.completions ?? 0;
  const active = new Set<number>();
  for (const p of activePods) {
    const ix = getCompletionIndex(p);
    if (ix !== undefined) active.add(ix);
  }
  const done = new Set([...succeeded, ...failed]);
  const out = new Map<number, Pod>();
  for (const p of uncountedPods) {
    if (!isPodFailed(p, job)) continue;
    const ix = getCompletionIndex(p);
    if (ix === undefined || ix >= completions || done.has(ix) || active.has(ix)) continue;
    const last = out.get(ix);
    if (!last || (getIndexAbsoluteFailureCount(last) <= getIndexAbsoluteFailureCount(p) && getFinishedTime(p) >= getFinishedTime(last))) out.set(ix, p);
  }
  return out;
}

/**
 * getRemainingTimePerIndex: time left before the index of `lastFailedPod` may get a new pod — the
 * pod-failure back-off for its absolute failure count + 1, from its finish time.
 * @param nowMs current time, ms
 * @returns ms (0 without a previous failure, or when the back-off has passed)
 */
export function getRemainingTimePerIndex(lastFailedPod: Pod | undefined, nowMs: number): number {
  if (!lastFailedPod) return 0;
  const delay = podFailureBackoffMs(getIndexAbsoluteFailureCount(lastFailedPod) + 1);
  const left = getFinishedTime(lastFailedPod) + delay - nowMs;
  return left > 0 ? left : 0;
}
