/**
 * Pod-failure back-off and the Job's pure decision helpers, after upstream
 * pkg/controller/job/backoff_utils.go (backoffRecord, getRemainingTime) and the counting rules of
 * job_controller.go (exceedsBackoffLimit, pastBackoffLimitOnFailure, pastActiveDeadline, the
 * `wantActive` arithmetic of manageJob).
 *
 * Back-off: after n consecutive pod failures (failures since the last success), the replacement
 * pod is created no earlier than `10 s × 2^(n-1)` after the last failure, capped at 6 min:
 * n=1 → 10 s, 2 → 20 s, 3 → 40 s, 4 → 80 s, 5 → 160 s, 6 → 320 s, ≥7 → 360 s; n=0 → 0.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

/** Initial pod-failure back-off (upstream DefaultJobPodFailureBackOff), ms. */
export const DefaultJobPodFailureBackOffMs = 10_000;
/** Back-off cap (upstream MaxJobPodFailureBackOff), ms. */
export const MaxJobPodFailureBackOffMs = 360_000;

/**
 * Delay before a replacement pod after `failuresSinceLastSuccess` consecutive failures.
 * @returns milliseconds (0 when there were none)
 */
export function podFailureBackoffMs(failuresSinceLastSuccess: number): number {
  if (failuresSinceLastSuccess <= 0) return 0;
  // 2^(n-1) overflows nothing here: the cap is reached at n=7.
  const d = DefaultJobPodFailureBackOffMs * 2 ** Math.min(failuresSinceLastSuccess - 1, 30);
  return Math.min(d, MaxJobPodFailureBackOffMs);
}

/** What a Job's back-off depends on (upstream backoffRecord). */
export interface BackoffRecord {
  /** Failed pods finished after the last succeeded pod. */
  failuresAfterLastSuccess: number;
  /** When the last of those failed (ms since epoch); undefined without failures. */
  lastFailureTime?: number;
}

/**
 * When a pod finished (ms since epoch): the latest container `terminated.finishedAt`, else the
 * latest condition transition, else its deletion or creation time. Upstream getFinishedTime.
 */
export function getFinishedTime(pod: Pod): number {
  let t = 0;
  for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const f = cs.state?.terminated?.finishedAt;
    if (f) t = Math.max(t, Date.parse(f));
  }
  if (t > 0) return t;
  for (const c of pod.status?.conditions ?? []) if (c.lastTransitionTime) t = Math.max(t, Date.parse(c.lastTransitionTime));
  if (t > 0) return t;
  return Date.parse(pod.metadata?.deletionTimestamp ?? pod.metadata?.creationTimestamp ?? '') || 0;
}

/**
 * The back-off record from the Job's finished pods: sorted by finish time, the failures after the
 * last success (newBackoffRecord, computed from pods instead of incrementally).
 */
export function newBackoffRecord(finishedPods: Pod[]): BackoffRecord {
  const sorted = [...finishedPods].sort((a, b) => getFinishedTime(a) - getFinishedTime(b));
  let failures = 0;
  let last: number | undefined;
  for (const p of sorted) {
    if (p.status?.phase === 'Succeeded') {
      failures = 0;
      last = undefined;
    } else if (p.status?.phase === 'Failed') {
      failures++;
      last = getFinishedTime(p);
    }
  }
  return last === undefined ? { failuresAfterLastSuccess: failures } : { failuresAfterLastSuccess: failures, lastFailureTime: last };
}

/**
 * Time left before a replacement pod may be created (getRemainingTime).
 * @param nowMs current time, ms
 * @returns ms (0 = create now)
 */
export function getRemainingTime(rec: BackoffRecord, nowMs: number): number {
  if (rec.failuresAfterLastSuccess === 0 || rec.lastFailureTime === undefined) return 0;
  const left = rec.lastFailureTime + podFailureBackoffMs(rec.failuresAfterLastSuccess) - nowMs;
  return left > 0 ? left : 0;
}

/** `failed > backoffLimit` (upstream exceedsBackoffLimit). */
export function exceedsBackoffLimit(failed: number, backoffLimit: number): boolean {
  return failed > backoffLimit;
}

/**
 * For restartPolicy OnFailure, container restarts of the active pods count against the limit
 * (pastBackoffLimitOnFailure): with backoffLimit 0 any restart fails the Job, otherwise
 * restarts ≥ backoffLimit do. Always false for Never.
 */
export function pastBackoffLimitOnFailure(restartPolicy: string | undefined, backoffLimit: number, activePods: Pod[]): boolean {
  if (restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of activePods) {
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
  }
  return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
}

/**
 * True when the Job has run at least `activeDeadlineSeconds` since `startTime` (pastActiveDeadline).
 * @param startTimeMs status.startTime (ms) or undefined when not started
 */
export function pastActiveDeadline(activeDeadlineSeconds: number | undefined | null, startTimeMs: number | undefined, nowMs: number): boolean {
  if (activeDeadlineSeconds === undefined || activeDeadlineSeconds === null || startTimeMs === undefined) return false;
  return nowMs - startTimeMs >= activeDeadlineSeconds * 1000;
}

/**
 * How many pods should be active (manageJob's wantActive): without completions (a work-queue
 * Job), `parallelism` until a pod has succeeded and then just the ones still running; with
 * completions, `min(completions - succeeded, parallelism)`, never negative.
 */
export function wantActivePods(completions: number | undefined | null, parallelism: number, succeeded: number, active: number): number {
  if (completions === undefined || completions === null) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}
