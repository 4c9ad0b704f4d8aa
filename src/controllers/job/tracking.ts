/**
 * Job tracking with finalizers, after upstream pkg/controller/job/tracking_utils.go
 * (uidTrackingExpectations) and the helpers of job_controller.go (hasJobTrackingFinalizer,
 * removeTrackingFinalizerPatch, cleanUncountedPodsWithoutFinalizers, isPodFailed).
 *
 * Every pod a Job creates carries the `batch.kubernetes.io/job-tracking` finalizer. A finished
 * pod is first written into `status.uncountedTerminatedPods` (its uid), then its finalizer is
 * removed, and only then is it moved into `status.succeeded` / `status.failed`. A pod with the
 * finalizer is therefore never lost (it cannot disappear), and a pod without it has been counted
 * (or is in the uncounted lists), so it is never counted twice — across deletions and restarts.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Job, JobStatus } from 'kubernetes-types/batch/v1.js';

/** The finalizer on every pod of a Job until the Job has counted it (batch.JobTrackingFinalizer). */
export const JobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
/** Cap of uids added to `uncountedTerminatedPods` per sync (upstream MaxUncountedPods). */
export const MaxUncountedPods = 500;

/** True when `pod` still has {@link JobTrackingFinalizer} (hasJobTrackingFinalizer). */
export function hasJobTrackingFinalizer(pod: Pod | undefined): boolean {
  return !!pod?.metadata?.finalizers?.includes(JobTrackingFinalizer);
}

/**
 * A JSON patch (RFC 6902) removing {@link JobTrackingFinalizer} from `pod`, guarded by `test`
 * operations on the uid and on the finalizer's position, or undefined when the pod has no such
 * finalizer. Upstream sends a strategic-merge `$deleteFromPrimitiveList/finalizers`; a guarded
 * JSON patch has the same effect without a resourceVersion precondition and also works against
 * clients without strategic merge. A stale position fails the `test` (422) and the sync retries.
 */
export function removeTrackingFinalizerPatch(pod: Pod): { op: string; path: string; value?: unknown }[] | undefined {
  const i = pod.metadata?.finalizers?.indexOf(JobTrackingFinalizer) ?? -1;
  if (i < 0) return undefined;
  return [
    { op: 'test', path: '/metadata/uid', value: pod.metadata?.uid },
    { op: 'test', path: `/metadata/finalizers/${i}`, value: JobTrackingFinalizer },
    { op: 'remove', path: `/metadata/finalizers/${i}` },
  ];
}

/** `finalizers` of a template or pod with {@link JobTrackingFinalizer} appended once (appendJobCompletionFinalizerIfNotFound). */
export function appendJobCompletionFinalizerIfNotFound(finalizers: string[] | undefined): string[] {
  const out = [...(finalizers ?? [])];
  if (!out.includes(JobTrackingFinalizer)) out.push(JobTrackingFinalizer);
  return out;
}

/**
 * Moves the uids of `status.uncountedTerminatedPods` that are not in `uidsWithFinalizer` (their
 * finalizer is gone, or the pod is gone) into `status.succeeded` / `status.failed`
 * (cleanUncountedPodsWithoutFinalizers). Mutates `status`.
 * @returns true when the status changed
 */
export function cleanUncountedPodsWithoutFinalizers(status: JobStatus, uidsWithFinalizer: Set<string>): boolean {
  const u = (status.uncountedTerminatedPods ??= {});
  let updated = false;
  const succ = (u.succeeded ?? []).filter((uid) => uidsWithFinalizer.has(uid));
  if (succ.length !== (u.succeeded ?? []).length) {
    updated = true;
    status.succeeded = (status.succeeded ?? 0) + (u.succeeded ?? []).length - succ.length;
    setList(u, 'succeeded', succ);
  }
  const fail = (u.failed ?? []).filter((uid) => uidsWithFinalizer.has(uid));
  if (fail.length !== (u.failed ?? []).length) {
    updated = true;
    status.failed = (status.failed ?? 0) + (u.failed ?? []).length - fail.length;
    setList(u, 'failed', fail);
  }
  return updated;
}

function setList(u: { succeeded?: string[]; failed?: string[] }, k: 'succeeded' | 'failed', v: string[]): void {
  if (v.length) u[k] = v;
  else delete u[k];
}

/**
 * isPodFailed: phase Failed, or (unless only failed pods are replaced, i.e. a podFailurePolicy or
 * `podReplacementPolicy: Failed`) being deleted without having succeeded — a deleted pod that never
 * reaches a terminal phase still counts as a failure.
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** onlyReplaceFailedPods: `podReplacementPolicy: Failed`, or any podFailurePolicy. */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/**
 * uidTrackingExpectations: per Job key, the uids of pods whose finalizer removal was sent but not
 * yet observed through the pod informer. Such pods are skipped by the next syncs, so a stale cache
 * showing the finalizer cannot count them again.
 */
export class UIDTrackingExpectations {
  private readonly store = new Map<string, Set<string>>();

  /** The uids still expected for `jobKey` (a copy; empty when none). */
  getExpectedUIDs(jobKey: string): Set<string> {
    return new Set(this.store.get(jobKey) ?? []);
  }

  /** Records that the finalizers of `uids` are being removed (expectFinalizersRemoved). */
  expectFinalizersRemoved(jobKey: string, uids: string[]): void {
    let s = this.store.get(jobKey);
    if (!s) this.store.set(jobKey, (s = new Set()));
    for (const u of uids) s.add(u);
  }

  /** The removal for `uid` was observed (or failed, so none will be observed). */
  finalizerRemovalObserved(jobKey: string, uid: string): void {
    const s = this.store.get(jobKey);
    if (!s) return;
    s.delete(uid);
    if (s.size === 0) this.store.delete(jobKey);
  }

  /** Forgets `jobKey` (the Job is gone). */
  deleteExpectations(jobKey: string): void {
    this.store.delete(jobKey);
  }
}
