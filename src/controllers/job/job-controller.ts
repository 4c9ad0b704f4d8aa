/**
 * JobController, after upstream pkg/controller/job/job_controller.go (wiring, syncJob, manageJob,
 * trackJobStatusAndRemoveFinalizers, flushUncountedAndRemoveFinalizers, syncOrphanPod).
 *
 * Flow: informer handlers map Job and Pod events to Job keys, record expectations and enqueue.
 * `syncJob(key)` reads the listers; a gone Job drops its expectations; a finished Job (Complete or
 * Failed) only has its ttlSecondsAfterFinished checked. Otherwise it claims the Job's pods by
 * selector + ControllerRef (adoption adds the tracking finalizer) and decides, in upstream's order:
 *  1. counts: succeeded/failed = status counters + the uids in `status.uncountedTerminatedPods` +
 *     finished pods that still carry the `batch.kubernetes.io/job-tracking` finalizer and are not
 *     in those lists (a pod being deleted without having succeeded counts as failed, unless only
 *     failed pods are replaced); Indexed Jobs count `completedIndexes` ∪ indexes of such pods;
 *  2. a terminal criterion: a FailureTarget already recorded; a Failed pod matching a
 *     podFailurePolicy FailJob rule → FailureTarget/PodFailurePolicy; failed > backoffLimit (or,
 *     for OnFailure, container restarts) → FailureTarget/BackoffLimitExceeded; past
 *     activeDeadlineSeconds → FailureTarget/DeadlineExceeded;
 *  3. with a criterion the active pods are deleted (finalizers kept, so they are counted as
 *     failed); otherwise `manageJob` (if expectations are satisfied) creates/deletes pods (pods it
 *     deletes lose their finalizer first and are not counted), and enough successes give
 *     SuccessCriteriaMet/CompletionsReached;
 *  4. trackJobStatusAndRemoveFinalizers: finished pods with the finalizer are appended to
 *     `uncountedTerminatedPods` (Indexed: their index to `completedIndexes`), the interim
 *     FailureTarget/SuccessCriteriaMet condition is added, and the status is written; THEN the
 *     finalizers are removed; THEN the uids whose finalizer is gone move into the counters and
 *     the status is written again, with Failed/Complete once nothing is uncounted or terminating.
 * A controller restart between any two writes loses nothing: the uncounted lists and the
 * finalizers carry the state. Pods whose Job is gone or finished, and orphans, have their
 * finalizer removed by a second queue (syncOrphanPod).
 *
 * Indexed Jobs with backoffLimitPerIndex (per-index.ts) also get `status.failedIndexes`, the
 * MaxFailedIndexesExceeded / FailedIndexes criteria and per-index back-off and failure counts.
 *
 * `successPolicy` (success-policy.ts) can declare an Indexed Job succeeded early (reason SuccessPolicy).
 *
 * Departures: no managedBy; the pod-failure back-off is computed from the finished
 * pods present (upstream keeps an in-memory record);
 * pod events enqueue at once (upstream batches them for 1 s); ttlSecondsAfterFinished is handled
 * here (upstream: the ttlafterfinished controller).
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { LabelSelector, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { GVR, type Client, type GroupVersionResource } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { labelSelectorAsSelector, type Selector } from '../../client/selectors.ts';
import { deepCopy, getControllerOf, rfc3339, type K } from '../../client/object-util.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { ControllerExpectations } from '../shared/expectations.ts';
import { PodOwnerEvents } from '../shared/pod-owner-events.ts';
import { PodControllerRefManager, newControllerRef, recheckDeletionTimestamp, type ControllerKind } from '../shared/controller-ref-manager.ts';
import { getPodFromTemplate, getPodsPrefix } from '../shared/pod-control.ts';
import { getPodsToDelete, isPodReady, keyOf, labelsEqual, slowStartBatch, SlowStartInitialBatchSize } from '../shared/controller-utils.ts';
import { isNamespaceTerminating } from '../replicaset/replica-set.ts';
import {
  exceedsBackoffLimit,
  getRemainingTime,
  newBackoffRecord,
  pastActiveDeadline,
  pastBackoffLimitOnFailure,
  wantActivePods,
} from './backoff.ts';
import { JobReasonPodFailurePolicy, matchPodFailurePolicy } from './pod-failure-policy.ts';
import {
  calculateSucceededIndexes,
  firstPendingIndexes,
  formatIndexes,
  getCompletionIndex,
  getNewIndexFailureCounts,
  indexedPodsToRemove,
  JobIndexFailureCountAnnotation,
  JobIndexIgnoredFailureCountAnnotation,
  templateForIndex,
} from './indexed.ts';
import { JobReasonSuccessPolicy, matchSuccessPolicy } from './success-policy.ts';
import { calculateFailedIndexes, getPodsWithDelayedDeletionPerIndex, getRemainingTimePerIndex, hasBackoffLimitPerIndex } from './per-index.ts';
import {
  appendJobCompletionFinalizerIfNotFound,
  cleanUncountedPodsWithoutFinalizers,
  hasJobTrackingFinalizer,
  isPodFailed,
  MaxUncountedPods,
  onlyReplaceFailedPods,
  removeTrackingFinalizerPatch,
  UIDTrackingExpectations,
} from './tracking.ts';

/** batch/v1 jobs. */
export const JobsGVR: GroupVersionResource = { group: 'batch', version: 'v1', resource: 'jobs' };
/** The Job controller kind. */
export const JobControllerKind: ControllerKind = { apiVersion: 'batch/v1', kind: 'Job' };
/** Max pods created or deleted in one sync (upstream MaxPodCreateDeletePerSync). */
export const MaxPodCreateDeletePerSync = 500;

/** Condition reasons and messages as upstream (pkg/apis/batch types + job_controller.go). */
export const JobReasons = {
  BackoffLimitExceeded: { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
  DeadlineExceeded: { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
  CompletionsReached: { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
  MaxFailedIndexesExceeded: { reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' },
  FailedIndexes: { reason: 'FailedIndexes', message: 'Job has failed indexes' },
} as const;

type JobObj = K<Job>;
type PodObj = K<Pod>;

/** Options for {@link JobController}. */
export interface JobControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
  /** Clock, ms since epoch (back-off, deadlines, TTL, timestamps). */
  now?: () => number;
}

/** `status` True condition of `type` (or undefined). */
function trueCondition(conds: JobCondition[] | undefined, type: string): JobCondition | undefined {
  return (conds ?? []).find((c) => c.type === type && c.status === 'True');
}

/** True once the Job has a Complete or Failed condition with status True (IsJobFinished). */
export function isJobFinished(job: Job): boolean {
  return !!(trueCondition(job.status?.conditions, 'Complete') || trueCondition(job.status?.conditions, 'Failed'));
}

/** A condition as upstream's newCondition builds it (both timestamps = now). */
export function newCondition(type: string, status: 'True' | 'False', reason: string, message: string, nowMs: number): JobCondition {
  const t = rfc3339(nowMs);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Status as compared/written: empty uncounted lists dropped (omitempty). */
function normalizeStatus(s: JobStatus): JobStatus {
  const u = s.uncountedTerminatedPods;
  if (u) {
    if (u.succeeded && u.succeeded.length === 0) delete u.succeeded;
    if (u.failed && u.failed.length === 0) delete u.failed;
  }
  return s;
}

/** JSON of a status for change detection: a missing and an empty `uncountedTerminatedPods` are the same. */
function comparableStatus(s: JobStatus): string {
  const c = normalizeStatus(deepCopy(s));
  if (c.uncountedTerminatedPods && Object.keys(c.uncountedTerminatedPods).length === 0) delete c.uncountedTerminatedPods;
  return JSON.stringify(c);
}

/**
 * PodControllerRefManager whose adoption also adds the tracking finalizer, as upstream's
 * NewPodControllerRefManager(..., batch.JobTrackingFinalizer).
 */
class JobPodControllerRefManager extends PodControllerRefManager {
  override async adopt<T extends PodObj>(o: T): Promise<T | undefined> {
    await this.canAdopt();
    const refs = [...(o.metadata?.ownerReferences ?? []).filter((r: OwnerReference) => r.uid !== this.controller.metadata?.uid)];
    refs.push(newControllerRef(this.controller, this.controllerKind));
    try {
      return await this.client.patch<T>(this.childGvr, o.metadata?.namespace, o.metadata!.name!, 'application/merge-patch+json', {
        metadata: { ownerReferences: refs, finalizers: appendJobCompletionFinalizerIfNotFound(o.metadata?.finalizers), uid: o.metadata?.uid },
      });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}

/** Per-sync state (upstream syncJobCtx). */
interface SyncJobCtx {
  job: JobObj;
  pods: PodObj[];
  activePods: PodObj[];
  /** The condition the Job is heading to (FailureTarget/SuccessCriteriaMet, or Failed/Complete). */
  finishedCondition?: JobCondition;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: number[];
  succeededIndexes: number[];
  /** With backoffLimitPerIndex: failed indexes (status.failedIndexes ∪ newly failed), else undefined. */
  failedIndexes?: number[];
  /** With backoffLimitPerIndex: the failed pod per index whose finalizer waits for its replacement. */
  podsWithDelayedDeletionPerIndex: Map<number, PodObj>;
  expectedRmFinalizers: Set<string>;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  terminating: number;
  ready: number;
}

/** JobController; see module comment. */
export class JobController extends BaseController {
  readonly client: Client;
  readonly expectations = new ControllerExpectations();
  /** Pod uids whose finalizer removal is in flight, per Job key. */
  readonly finalizerExpectations = new UIDTrackingExpectations();
  /** Keys (`ns/name`) of pods whose tracking finalizer may have to go (orphanQueue). */
  readonly orphanQueue = new WorkQueue<string>({ name: 'job_orphan_pod' });
  readonly jobInformer: SharedInformer<JobObj>;
  readonly podInformer: SharedInformer<PodObj>;
  private readonly recorder: EventRecorder;
  private readonly now: () => number;
  private readonly podEvents: PodOwnerEvents<JobObj>;

  constructor(opts: JobControllerOptions) {
    super('job', (key) => this.syncJob(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.now = opts.now ?? (() => Date.now());
    this.jobInformer = opts.factory.forResource<JobObj>(JobsGVR);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.podEvents = new PodOwnerEvents<JobObj>({
      lister: this.jobInformer.lister,
      kind: 'Job',
      getSelector: (j) => labelSelectorAsSelector(j.spec?.selector as LabelSelector | undefined),
      expectations: this.expectations,
      enqueue: (key) => this.queue.add(key),
    });
    this.jobInformer.addEventHandler({
      onAdd: (j) => this.queue.add(keyOf(j)),
      onUpdate: (o, n) => this.updateJob(o, n),
      onDelete: (o) => this.deleteJob(o),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.addPod(p),
      onUpdate: (o, n) => this.updatePod(o, n),
      onDelete: (p) => this.deletePod(p, true),
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers and the orphan-pod worker until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    const ok = (await this.jobInformer.waitForSync(signal)) && (await this.podInformer.waitForSync(signal));
    if (!ok) return;
    const stopOrphans = () => this.orphanQueue.shutDown();
    if (signal.aborted) stopOrphans();
    else signal.addEventListener('abort', stopOrphans, { once: true });
    await Promise.all([this.runWorkers(workers, signal), this.orphanWorker()]);
  }

  private async orphanWorker(): Promise<void> {
    for (;;) {
      const key = await this.orphanQueue.get();
      if (key === undefined) return;
      try {
        await this.syncOrphanPod(key);
        this.orphanQueue.forget(key);
      } catch (e) {
        this.log.warn?.({ controller: 'job_orphan_pod', key, err: e instanceof Error ? e.message : e }, 'orphan pod sync failed; requeuing');
        this.orphanQueue.addRateLimited(key);
      } finally {
        this.orphanQueue.done(key);
      }
    }
  }

  // ---------------------------------------------------------------- event handlers (enqueue only)

  private enqueueOrphanPod(pod: PodObj): void {
    this.orphanQueue.add(keyOf(pod));
  }

  private updateJob(old: JobObj, cur: JobObj): void {
    if (old.metadata?.uid !== cur.metadata?.uid) this.deleteJob(old);
    this.queue.add(keyOf(cur));
    // The Job should not be finished while pods keep finalizers; this is the backup path.
    if (isJobFinished(cur)) this.cleanupPodFinalizers(cur);
  }

  private deleteJob(obj: JobObj | DeletedFinalStateUnknown<JobObj>): void {
    const job = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    this.queue.add(keyOf(job));
    this.cleanupPodFinalizers(job);
  }

  /** Queues every pod of `job` (controlled by it) that still has the tracking finalizer for syncOrphanPod. */
  private cleanupPodFinalizers(job: JobObj): void {
    for (const p of this.podInformer.lister.list(job.metadata?.namespace)) {
      if (getControllerOf(p)?.uid === job.metadata?.uid && hasJobTrackingFinalizer(p)) this.enqueueOrphanPod(p);
    }
  }

  private addPod(pod: PodObj): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod, false);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const job = this.podEvents.resolveControllerRef(pod.metadata?.namespace, ref);
      if (!job) {
        // Departure: upstream leaves it; queued here so a finalizer of a pod whose Job is gone
        // (e.g. deleted while the controller was down) does not stay forever. syncOrphanPod rechecks.
        if (hasJobTrackingFinalizer(pod)) this.enqueueOrphanPod(pod);
        return;
      }
      this.expectations.creationObserved(keyOf(job));
      this.queue.add(keyOf(job));
      return;
    }
    if (hasJobTrackingFinalizer(pod)) this.enqueueOrphanPod(pod);
    for (const j of this.podEvents.getPodOwners(pod)) this.queue.add(keyOf(j));
  }

  private updatePod(old: PodObj, cur: PodObj): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      // Being deleted: the Job may want a replacement; count it as observed deletion.
      this.deletePod(cur, false);
      return;
    }
    const finalizerRemoved = !hasJobTrackingFinalizer(cur);
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const j = this.podEvents.resolveControllerRef(old.metadata?.namespace, oldRef);
      if (j) {
        if (finalizerRemoved) this.finalizerExpectations.finalizerRemovalObserved(keyOf(j), cur.metadata!.uid!);
        this.queue.add(keyOf(j));
      }
    }
    if (curRef) {
      const j = this.podEvents.resolveControllerRef(cur.metadata?.namespace, curRef);
      if (!j) {
        if (hasJobTrackingFinalizer(cur)) this.enqueueOrphanPod(cur);
        return;
      }
      if (finalizerRemoved) this.finalizerExpectations.finalizerRemovalObserved(keyOf(j), cur.metadata!.uid!);
      this.queue.add(keyOf(j));
      return;
    }
    if (hasJobTrackingFinalizer(cur)) this.enqueueOrphanPod(cur);
    if (refChanged || !labelsEqual(old.metadata?.labels, cur.metadata?.labels)) for (const j of this.podEvents.getPodOwners(cur)) this.queue.add(keyOf(j));
  }

  /**
   * A pod deleted (`final`: gone from the store) or marked for deletion: for a pod of a live,
   * unfinished Job, an observed deletion (and, when final or finalizer-less, an observed finalizer
   * removal); otherwise a pod still holding the finalizer goes to the orphan queue.
   */
  private deletePod(obj: PodObj | DeletedFinalStateUnknown<PodObj>, final: boolean): void {
    const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    const ref = getControllerOf(pod);
    const hasFinalizer = hasJobTrackingFinalizer(pod);
    if (!ref) {
      if (hasFinalizer && !final) this.enqueueOrphanPod(pod);
      return;
    }
    const job = this.podEvents.resolveControllerRef(pod.metadata?.namespace, ref);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer && !final) this.enqueueOrphanPod(pod);
      return;
    }
    const key = keyOf(job);
    this.expectations.deletionObserved(key, keyOf(pod));
    if (final || !hasFinalizer) this.finalizerExpectations.finalizerRemovalObserved(key, pod.metadata!.uid!);
    this.queue.add(key);
  }

  /**
   * syncOrphanPod: removes the tracking finalizer from the pod `ns/name` unless it is controlled
   * by a live, unfinished batch/v1 Job (or by something that is not a Job at all).
   * @throws on API errors other than 404 (retried with back-off)
   */
  async syncOrphanPod(key: string): Promise<void> {
    const i = key.indexOf('/');
    const pod = this.podInformer.lister.get(key.slice(0, i), key.slice(i + 1));
    if (!pod) return;
    const ref = getControllerOf(pod);
    if (ref) {
      if (ref.kind !== JobControllerKind.kind || ref.apiVersion !== JobControllerKind.apiVersion) return;
      const job = this.podEvents.resolveControllerRef(pod.metadata?.namespace, ref);
      if (job && !isJobFinished(job)) return;
    }
    await this.removeFinalizer(pod);
  }

  /** Removes the tracking finalizer of `pod` (no-op without it; 404 ignored). */
  private async removeFinalizer(pod: PodObj): Promise<void> {
    const patch = removeTrackingFinalizerPatch(pod);
    if (!patch) return;
    try {
      await this.client.patch(GVR.pods, pod.metadata?.namespace, pod.metadata!.name!, 'application/json-patch+json', patch);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // ---------------------------------------------------------------- sync

  /**
   * Reconciles the Job with key `namespace/name` (see module comment).
   * @throws on API errors (the worker retries with back-off)
   */
  async syncJob(key: string): Promise<void> {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    const shared = this.jobInformer.lister.get(namespace, name);
    if (!shared) {
      this.expectations.deleteExpectations(key);
      this.finalizerExpectations.deleteExpectations(key);
      return;
    }
    const now = this.now();
    if (isJobFinished(shared)) {
      await this.processTTL(shared, now);
      return;
    }
    const job = deepCopy(shared) as JobObj;
    const status = ((job as { status?: JobStatus }).status ??= {});
    status.uncountedTerminatedPods ??= {};
    const satisfied = this.expectations.satisfiedExpectations(key);
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(job.spec?.selector as LabelSelector | undefined);
    } catch (e) {
      this.log.error({ key, err: e instanceof Error ? e.message : e }, 'invalid job selector');
      return;
    }
    const pods = await this.claimPods(job, selector);
    const spec = job.spec!;
    const indexed = spec.completionMode === 'Indexed' && spec.completions != null;
    const completions = spec.completions ?? undefined;
    const backoffLimit = spec.backoffLimit ?? 6;
    const suspended = spec.suspend === true;
    const policy = spec.podFailurePolicy;

    const activePods = pods.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp);
    const ctx: SyncJobCtx = {
      job,
      pods,
      activePods,
      succeeded: 0,
      failed: 0,
      prevSucceededIndexes: [],
      succeededIndexes: [],
      podsWithDelayedDeletionPerIndex: new Map(),
      expectedRmFinalizers: this.finalizerExpectations.getExpectedUIDs(key),
      uncountedSucceeded: new Set(status.uncountedTerminatedPods.succeeded ?? []),
      uncountedFailed: new Set(status.uncountedTerminatedPods.failed ?? []),
      terminating: pods.filter((p) => !isTerminal(p) && p.metadata?.deletionTimestamp).length,
      ready: activePods.filter((p) => isPodReady(p)).length,
    };
    // getNewFinishedPods: finished pods still holding the finalizer and not yet in the uncounted lists.
    const valid = (p: PodObj, uncounted: Set<string>) => {
      const uid = p.metadata?.uid ?? '';
      if (!hasJobTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRmFinalizers.has(uid)) return false;
      if (indexed) {
        const ix = getCompletionIndex(p);
        if (ix === undefined || ix >= completions!) return false;
      }
      return true;
    };
    const newSucceeded = pods.filter((p) => valid(p, ctx.uncountedSucceeded) && p.status?.phase === 'Succeeded');
    const newFailed = pods.filter((p) => valid(p, ctx.uncountedFailed) && isPodFailed(p, job));
    const nonIgnored = newFailed.filter((p) => !policy || matchPodFailurePolicy(policy, p)?.action !== 'Ignore').length;
    ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncountedSucceeded.size;
    ctx.failed = (status.failed ?? 0) + nonIgnored + ctx.uncountedFailed.size;

    // Suspend / resume bookkeeping (Suspended condition, startTime reset on resume).
    const conditions = (status.conditions ??= []);
    const suspendCond = conditions.find((c) => c.type === 'Suspended');
    if (suspended && suspendCond?.status !== 'True') {
      const c = newCondition('Suspended', 'True', 'JobSuspended', 'Job suspended', now);
      if (suspendCond) Object.assign(suspendCond, c);
      else conditions.push(c);
      this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
    } else if (!suspended && suspendCond?.status === 'True') {
      Object.assign(suspendCond, newCondition('Suspended', 'False', 'JobResumed', 'Job resumed', now));
      this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      status.startTime = rfc3339(now);
    }
    if (!status.startTime && !suspended) status.startTime = rfc3339(now);
    const startMs = status.startTime && !suspended ? Date.parse(status.startTime) : undefined;

    // Terminal criteria, in upstream's order.
    const successMet = trueCondition(conditions, 'SuccessCriteriaMet');
    if (successMet) ctx.finishedCondition = successMet;
    else {
      const target = trueCondition(conditions, 'FailureTarget');
      if (target) ctx.finishedCondition = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
      else if (policy) {
        const failJob = pods.filter((p) => isPodFailed(p, job)).map((p) => matchPodFailurePolicy(policy, p)).find((m) => m?.action === 'FailJob');
        if (failJob) ctx.finishedCondition = newCondition('FailureTarget', 'True', JobReasonPodFailurePolicy, failJob.message, now);
      }
    }
    if (!ctx.finishedCondition) {
      if (exceedsBackoffLimit(ctx.failed, backoffLimit) || pastBackoffLimitOnFailure(spec.template?.spec?.restartPolicy, backoffLimit, activePods)) {
        ctx.finishedCondition = newCondition('FailureTarget', 'True', JobReasons.BackoffLimitExceeded.reason, JobReasons.BackoffLimitExceeded.message, now);
      } else if (pastActiveDeadline(spec.activeDeadlineSeconds, startMs, now)) {
        ctx.finishedCondition = newCondition('FailureTarget', 'True', JobReasons.DeadlineExceeded.reason, JobReasons.DeadlineExceeded.message, now);
      } else if (spec.activeDeadlineSeconds != null && startMs !== undefined) {
        this.queue.addAfter(key, Math.max(0, startMs + spec.activeDeadlineSeconds * 1000 - now) + 10);
      }
    }
    if (indexed) {
      const r = calculateSucceededIndexes(status.completedIndexes, pods, completions!, hasJobTrackingFinalizer);
      ctx.prevSucceededIndexes = r.prev;
      ctx.succeededIndexes = r.all;
      ctx.succeeded = r.all.length;
      if (hasBackoffLimitPerIndex(job)) {
        ctx.failedIndexes = calculateFailedIndexes(job, pods);
        if (!ctx.finishedCondition) {
          if (spec.maxFailedIndexes != null && ctx.failedIndexes.length > spec.maxFailedIndexes) {
            ctx.finishedCondition = newCondition('FailureTarget', 'True', JobReasons.MaxFailedIndexesExceeded.reason, JobReasons.MaxFailedIndexesExceeded.message, now);
          } else if (ctx.failedIndexes.length > 0 && ctx.failedIndexes.length + ctx.succeededIndexes.length >= completions!) {
            ctx.finishedCondition = newCondition('FailureTarget', 'True', JobReasons.FailedIndexes.reason, JobReasons.FailedIndexes.message, now);
          }
        }
        const uncountedPods = pods.filter((p) => hasJobTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(p.metadata?.uid ?? ''));
        ctx.podsWithDelayedDeletionPerIndex = getPodsWithDelayedDeletionPerIndex(job, uncountedPods, activePods, ctx.succeededIndexes, ctx.failedIndexes) as Map<number, PodObj>;
      }
      if (!ctx.finishedCondition) {
        const msg = matchSuccessPolicy(spec.successPolicy, completions!, ctx.succeededIndexes);
        if (msg) ctx.finishedCondition = newCondition('SuccessCriteriaMet', 'True', JobReasonSuccessPolicy, msg, now);
      }
    }

    let active = activePods.length;
    let manageErr: unknown;
    if (ctx.finishedCondition) {
      // Lingering pods are deleted with their finalizers kept: they are counted as failed.
      const { deleted, deletedReady, error } = await this.deleteActivePods(job, activePods);
      if (deleted !== active || !satisfied) ctx.finishedCondition = undefined;
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      manageErr = error;
    } else {
      if (satisfied && !job.metadata?.deletionTimestamp) {
        try {
          active = await this.manageJob(ctx, now);
        } catch (e) {
          manageErr = e;
        }
      }
      const complete = completions !== undefined ? ctx.succeeded >= completions && active === 0 : ctx.succeeded > 0 && active === 0;
      if (complete) ctx.finishedCondition = newCondition('SuccessCriteriaMet', 'True', JobReasons.CompletionsReached.reason, JobReasons.CompletionsReached.message, now);
    }

    status.active = active;
    status.succeeded ??= 0;
    status.failed ??= 0;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    const needsFlush = comparableStatus(status) !== comparableStatus(shared.status ?? {});
    try {
      await this.trackJobStatusAndRemoveFinalizers(ctx, needsFlush);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (manageErr) throw manageErr;
  }

  /**
   * trackJobStatusAndRemoveFinalizers (see module comment, step 4): records finished pods as
   * uncounted, flushes, removes finalizers, moves them into the counters, and adds Complete/Failed
   * once nothing is left uncounted or terminating.
   * @throws on status-write or finalizer-removal errors (after a best-effort partial flush)
   */
  private async trackJobStatusAndRemoveFinalizers(ctx: SyncJobCtx, needsFlushIn: boolean): Promise<void> {
    let needsFlush = needsFlushIn;
    const job = ctx.job;
    const status = job.status!;
    const uncounted = status.uncountedTerminatedPods!;
    const indexed = job.spec?.completionMode === 'Indexed' && job.spec?.completions != null;
    const completions = job.spec?.completions ?? 0;
    const policy = job.spec?.podFailurePolicy;
    const pods = indexed ? [...ctx.pods].sort((a, b) => (getCompletionIndex(a) ?? Infinity) - (getCompletionIndex(b) ?? Infinity)) : ctx.pods;
    const uidsWithFinalizer = new Set<string>();
    for (const p of pods) if (hasJobTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(p.metadata!.uid!)) uidsWithFinalizer.add(p.metadata!.uid!);
    if (cleanUncountedPodsWithoutFinalizers(status, uidsWithFinalizer)) needsFlush = true;

    const podsToRemoveFinalizer: PodObj[] = [];
    const newSucceededIndexes: number[] = [];
    const prevIdx = new Set(ctx.prevSucceededIndexes);
    let reachedMaxUncountedPods = false;
    const failing = ctx.finishedCondition !== undefined && ctx.finishedCondition.type !== 'SuccessCriteriaMet' && ctx.finishedCondition.type !== 'Complete';
    for (const pod of pods) {
      const uid = pod.metadata!.uid!;
      if (!hasJobTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue;
      const considerFailed = isPodFailed(pod, job);
      if (!this.canRemoveFinalizer(ctx, pod, considerFailed)) continue;
      podsToRemoveFinalizer.push(pod);
      if (pod.status?.phase === 'Succeeded' && !ctx.uncountedFailed.has(uid)) {
        if (indexed) {
          const ix = getCompletionIndex(pod);
          if (ix !== undefined && ix < completions && !prevIdx.has(ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!ctx.uncountedSucceeded.has(uid)) {
          (uncounted.succeeded ??= []).push(uid);
          needsFlush = true;
        }
      } else if (considerFailed || failing) {
        // When the Job is failing, every pod that did not succeed counts as failed.
        const ix = getCompletionIndex(pod);
        if (!ctx.uncountedFailed.has(uid) && (!indexed || (ix !== undefined && ix < completions))) {
          if (!policy || matchPodFailurePolicy(policy, pod)?.action !== 'Ignore') {
            (uncounted.failed ??= []).push(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIndexes.length + (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) >= MaxUncountedPods) {
        reachedMaxUncountedPods = true;
        break;
      }
    }
    if (indexed) {
      const all = [...new Set([...ctx.succeededIndexes, ...newSucceededIndexes])].sort((a, b) => a - b);
      const text = formatIndexes(all);
      if (text !== (status.completedIndexes ?? '')) needsFlush = true;
      status.succeeded = all.length;
      status.completedIndexes = text;
      const failedText = ctx.failedIndexes === undefined ? undefined : formatIndexes(ctx.failedIndexes);
      if (failedText !== status.failedIndexes) {
        if (failedText === undefined) delete status.failedIndexes;
        else status.failedIndexes = failedText;
        needsFlush = true;
      }
    }
    let finished = ctx.finishedCondition;
    if (finished?.type === 'FailureTarget') {
      // The interim condition is written before any finalizer goes; Failed follows later.
      status.conditions!.push(finished);
      needsFlush = true;
      finished = newCondition('Failed', 'True', finished.reason ?? '', finished.message ?? '', this.now());
    }
    if (finished?.type === 'SuccessCriteriaMet') {
      if (!trueCondition(status.conditions, 'SuccessCriteriaMet')) {
        status.conditions!.push(finished);
        needsFlush = true;
      }
      finished = newCondition('Complete', 'True', finished.reason ?? '', finished.message ?? '', this.now());
    }

    // flushUncountedAndRemoveFinalizers
    let cur = job;
    if (needsFlush) {
      cur = await this.updateJobStatus(cur);
      needsFlush = false;
    }
    let rmErr: unknown;
    if (podsToRemoveFinalizer.length > 0) {
      const key = keyOf(cur);
      this.finalizerExpectations.expectFinalizersRemoved(
        key,
        podsToRemoveFinalizer.map((p) => p.metadata!.uid!),
      );
      await Promise.all(
        podsToRemoveFinalizer.map(async (p) => {
          try {
            await this.removeFinalizer(p);
            uidsWithFinalizer.delete(p.metadata!.uid!);
          } catch (e) {
            // No update will come for this pod: stop expecting it.
            this.finalizerExpectations.finalizerRemovalObserved(key, p.metadata!.uid!);
            rmErr ??= e;
          }
        }),
      );
    }
    const st = cur.status!;
    st.uncountedTerminatedPods ??= {};
    if (cleanUncountedPodsWithoutFinalizers(st, uidsWithFinalizer)) needsFlush = true;
    if (rmErr !== undefined) {
      if (needsFlush) await this.updateJobStatus(cur);
      throw rmErr;
    }
    // enactJobFinished
    let jobFinished = false;
    if (!reachedMaxUncountedPods && finished && !(st.uncountedTerminatedPods.succeeded?.length || st.uncountedTerminatedPods.failed?.length) && (st.terminating ?? 0) === 0) {
      const conds = (st.conditions ??= []);
      const existing = conds.find((c) => c.type === finished!.type);
      if (existing) Object.assign(existing, finished);
      else conds.push(finished);
      if (finished.type === 'Complete') st.completionTime = finished.lastTransitionTime;
      jobFinished = true;
      needsFlush = true;
    }
    if (needsFlush) {
      cur = await this.updateJobStatus(cur);
      if (jobFinished) this.recordJobFinished(cur, finished!);
    }
  }

  /**
   * canRemoveFinalizer: when the Job is being deleted or heading to a terminal condition, the pod
   * succeeded, or it failed — except the failed pod of an index still to be retried under
   * backoffLimitPerIndex (kept until its replacement carries the failure count).
   */
  private canRemoveFinalizer(ctx: SyncJobCtx, pod: PodObj, considerFailed: boolean): boolean {
    if (ctx.job.metadata?.deletionTimestamp || ctx.finishedCondition || pod.status?.phase === 'Succeeded') return true;
    if (!considerFailed) return false;
    if (hasBackoffLimitPerIndex(ctx.job)) {
      const ix = getCompletionIndex(pod);
      if (ix !== undefined && ctx.podsWithDelayedDeletionPerIndex.get(ix)?.metadata?.uid === pod.metadata?.uid) return false;
    }
    return true;
  }

  /** Writes `job.status` through `/status` (resourceVersion-checked); returns the stored Job. */
  private async updateJobStatus(job: JobObj): Promise<JobObj> {
    normalizeStatus(job.status!);
    const out = await this.client.update<JobObj>(JobsGVR, job.metadata?.namespace, job, { subresource: 'status' });
    return deepCopy(out) as JobObj;
  }

  /** recordJobFinished: the Completed (and TooManySucceededPods) or failure-reason events. */
  private recordJobFinished(job: JobObj, cond: JobCondition): void {
    if (cond.type === 'Complete') {
      if (job.spec?.completions != null && (job.status?.succeeded ?? 0) > job.spec.completions) {
        this.recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      this.recorder.event(job, 'Warning', cond.reason ?? 'Failed', cond.message ?? '');
    }
  }

  /**
   * deleteActivePods: deletes `pods` keeping their finalizers (they are then counted as failed by
   * the tracking step). A 404 counts as deleted.
   * @returns how many were deleted (and how many of them were ready), and the first error
   */
  private async deleteActivePods(job: JobObj, pods: PodObj[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.client.delete(GVR.pods, p.metadata?.namespace, p.metadata!.name!);
          this.recorder.eventf(job, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', p.metadata?.name);
        } catch (e) {
          if (!isNotFound(e)) {
            this.recorder.eventf(job, 'Warning', 'FailedDelete', 'Error deleting: %s', e instanceof Error ? e.message : String(e));
            error ??= e;
            return;
          }
        }
        deleted++;
        if (isPodReady(p)) deletedReady++;
      }),
    );
    return error === undefined ? { deleted, deletedReady } : { deleted, deletedReady, error };
  }

  /**
   * manageJob: with suspend, deletes every active pod; otherwise deletes the surplus over
   * wantActive and creates the missing pods (slow-start batches, at most
   * {@link MaxPodCreateDeletePerSync}, with the tracking finalizer) once the pod-failure back-off
   * has elapsed. Deleted pods lose their finalizer first, so they are not counted.
   * @returns the number of active pods after this sync (creations count as active at once, as upstream)
   * @throws the first create/delete error
   */
  private async manageJob(ctx: SyncJobCtx, now: number): Promise<number> {
    const job = ctx.job;
    const key = keyOf(job);
    const spec = job.spec!;
    const activePods = ctx.activePods;
    const removePods = async (victims: PodObj[]): Promise<number> => {
      const { gone, error } = await this.deleteJobPods(job, victims);
      ctx.terminating += gone.size;
      ctx.ready -= victims.filter((p) => gone.has(p.metadata?.uid) && isPodReady(p)).length;
      if (error) throw error;
      return activePods.length - gone.size;
    };
    if (spec.suspend) {
      if (activePods.length === 0) return 0;
      return removePods(activePods);
    }
    const completions = spec.completions ?? undefined;
    const want = wantActivePods(completions, spec.parallelism ?? 1, ctx.succeeded, activePods.length);
    const indexedMode = spec.completionMode === 'Indexed' && completions !== undefined;
    const doneIndexes = ctx.succeededIndexes;
    // Indexed: pods without a valid index, out of range, duplicating an active index or for an
    // index that already succeeded go first (upstream's activePodsForRemoval / excess pods).
    const invalid = indexedMode ? (indexedPodsToRemove(activePods, doneIndexes, completions) as PodObj[]) : [];
    const rm = Math.max(activePods.length - want, invalid.length);
    if (rm > 0) {
      const rest = activePods.filter((p) => !invalid.includes(p));
      // Then upstream's ActivePods order: unscheduled, pending, not ready, … newest first.
      const victims = [...invalid, ...(getPodsToDelete(rest, activePods, Math.max(0, rm - invalid.length), now) as PodObj[])].slice(0, MaxPodCreateDeletePerSync);
      return removePods(victims);
    }
    // Pods still terminating are not replaced yet when only failed pods are replaced.
    const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
    let diff = want - terminating - activePods.length;
    if (diff <= 0) return activePods.length;
    const perIndex = hasBackoffLimitPerIndex(job);
    if (!perIndex) {
      const policy = spec.podFailurePolicy;
      const finished = ctx.pods.filter((p) => p.status?.phase === 'Succeeded' || (p.status?.phase === 'Failed' && (!policy || matchPodFailurePolicy(policy, p)?.action !== 'Ignore')));
      const remaining = getRemainingTime(newBackoffRecord(finished), now);
      if (remaining > 0) {
        this.queue.addAfter(key, remaining);
        return activePods.length;
      }
    }
    diff = Math.min(diff, MaxPodCreateDeletePerSync);
    let indexes: number[] | undefined;
    if (indexedMode) {
      const taken = [...doneIndexes, ...(ctx.failedIndexes ?? [])];
      if (terminating > 0) for (const p of ctx.pods) if (p.metadata?.deletionTimestamp && !isTerminal(p)) taken.push(getCompletionIndex(p) ?? -1);
      indexes = firstPendingIndexes(activePods, taken, diff, completions);
      if (perIndex) {
        // getPodCreationInfoForIndependentIndexes: only indexes whose own back-off has passed.
        const ready: number[] = [];
        let minLeft: number | undefined;
        for (const ix of indexes) {
          const left = getRemainingTimePerIndex(ctx.podsWithDelayedDeletionPerIndex.get(ix), now);
          if (left === 0) ready.push(ix);
          else if (minLeft === undefined || left < minLeft) minLeft = left;
        }
        if (ready.length === 0 && minLeft !== undefined) {
          this.queue.addAfter(key, minLeft);
          return activePods.length;
        }
        indexes = ready;
      }
      diff = indexes.length;
    }
    this.expectations.expectCreations(key, diff);
    let next = 0;
    const { successes, error } = await slowStartBatch(diff, SlowStartInitialBatchSize, async () => {
      const index = indexes?.[next++];
      try {
        await this.createPod(job, index, index === undefined ? undefined : ctx.podsWithDelayedDeletionPerIndex.get(index));
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    });
    for (let k = successes; k < diff; k++) this.expectations.creationObserved(key);
    if (error) throw error;
    return activePods.length + successes;
  }

  /**
   * Creates one pod of `job` (CreatePodsWithGenerateName; `<job>-<index>-` in Indexed mode) with
   * the tracking finalizer. Records SuccessfulCreate / FailedCreate.
   */
  private async createPod(job: JobObj, index: number | undefined, podBeingReplaced?: PodObj): Promise<void> {
    const template = deepCopy(index === undefined ? (job.spec!.template as PodTemplateSpec) : templateForIndex(job.spec!.template as PodTemplateSpec, job.metadata!.name!, index));
    const md = (template.metadata ??= {});
    md.finalizers = appendJobCompletionFinalizerIfNotFound(md.finalizers);
    if (index !== undefined && hasBackoffLimitPerIndex(job)) {
      // addIndexFailureCountAnnotation: the replacement carries the index's failure counts.
      const policy = job.spec?.podFailurePolicy;
      const ignored = !!podBeingReplaced && !!policy && matchPodFailurePolicy(policy, podBeingReplaced)?.action === 'Ignore';
      const counts = getNewIndexFailureCounts(podBeingReplaced, ignored);
      md.annotations = { ...(md.annotations ?? {}), [JobIndexFailureCountAnnotation]: String(counts.failureCount) };
      if (counts.ignoredFailureCount > 0) md.annotations[JobIndexIgnoredFailureCountAnnotation] = String(counts.ignoredFailureCount);
    }
    const pod = getPodFromTemplate(template, job, newControllerRef(job, JobControllerKind));
    if (index !== undefined) pod.metadata!.generateName = getPodsPrefix(`${job.metadata!.name}-${index}`);
    try {
      const created = await this.client.create<PodObj>(GVR.pods, job.metadata!.namespace, pod as PodObj);
      this.recorder.eventf(job, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata?.name);
    } catch (e) {
      // As upstream's RealPodControl: no event when the namespace is terminating (every later create fails too).
      if (!isNamespaceTerminating(e)) this.recorder.eventf(job, 'Warning', 'FailedCreate', 'Error creating: %s', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /**
   * deleteJobPods: removes each pod's tracking finalizer, then deletes it, in parallel, with
   * deletion expectations. Records SuccessfulDelete / FailedDelete. A 404 counts as deleted.
   * @returns the uids of the pods now gone and the first real error
   */
  private async deleteJobPods(job: JobObj, pods: PodObj[]): Promise<{ gone: Set<string | undefined>; error?: unknown }> {
    const key = keyOf(job);
    this.expectations.expectDeletions(key, pods.map((p) => keyOf(p)));
    const gone = new Set<string | undefined>();
    let error: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.removeFinalizer(p);
          await this.client.delete(GVR.pods, p.metadata?.namespace, p.metadata!.name!);
          this.recorder.eventf(job, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', p.metadata?.name);
          gone.add(p.metadata?.uid);
        } catch (e) {
          this.expectations.deletionObserved(key, keyOf(p));
          if (isNotFound(e)) {
            gone.add(p.metadata?.uid);
            return;
          }
          this.recorder.eventf(job, 'Warning', 'FailedDelete', 'Error deleting: %s', e instanceof Error ? e.message : String(e));
          error ??= e;
        }
      }),
    );
    return error === undefined ? { gone } : { gone, error };
  }

  /** Adopts/releases pods of the namespace (all phases) by selector + ControllerRef. */
  private async claimPods(job: JobObj, selector: Selector): Promise<PodObj[]> {
    const canAdopt = recheckDeletionTimestamp(() => this.client.get(JobsGVR, job.metadata?.namespace, job.metadata!.name!), job.metadata!.uid!);
    const cm = new JobPodControllerRefManager(this.client, GVR.pods, job, selector, JobControllerKind, canAdopt);
    return (await cm.claimPods(this.podInformer.lister.list(job.metadata?.namespace))) as PodObj[];
  }

  /**
   * ttlSecondsAfterFinished (upstream's ttlafterfinished controller, folded in here): once
   * `finishTime + ttl` has passed, the Job is deleted (Background propagation; the garbage
   * collector removes its pods); before that the key is requeued for the expiry.
   */
  private async processTTL(job: JobObj, now: number): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return;
    const finished = trueCondition(job.status?.conditions, 'Complete') ?? trueCondition(job.status?.conditions, 'Failed');
    const finishMs = Date.parse(job.status?.completionTime ?? finished?.lastTransitionTime ?? '');
    if (Number.isNaN(finishMs)) return;
    const expireAt = finishMs + ttl * 1000;
    if (now < expireAt) {
      this.queue.addAfter(keyOf(job), expireAt - now);
      return;
    }
    try {
      await this.client.delete(JobsGVR, job.metadata?.namespace, job.metadata!.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata!.uid! },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

