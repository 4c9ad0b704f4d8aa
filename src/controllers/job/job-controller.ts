/**
 * JobController, after upstream pkg/controller/job/job_controller.go (wiring, syncJob, manageJob).
 *
 * Flow: informer handlers map Job and Pod events to Job keys, record expectations and enqueue.
 * `syncJob(key)` reads the listers; a gone Job drops its expectations; a finished Job (Complete or
 * Failed) only has its ttlSecondsAfterFinished checked. Otherwise it claims the Job's pods by
 * selector + ControllerRef and decides, in upstream's order:
 *  1. a terminal criterion: a Failed pod matching a podFailurePolicy FailJob rule →
 *     FailureTarget/PodFailurePolicy (pods matching Ignore rules are not counted at all);
 *     failed > backoffLimit (or, for OnFailure, container restarts reach it)
 *     → FailureTarget/BackoffLimitExceeded; past activeDeadlineSeconds → FailureTarget/
 *     DeadlineExceeded; enough successes → SuccessCriteriaMet/CompletionsReached;
 *  2. with a terminal criterion: delete the active pods; once none is left running or
 *     terminating, add Failed (copying the FailureTarget reason) or Complete (+ completionTime)
 *     and record the Completed / BackoffLimitExceeded / DeadlineExceeded event;
 *  3. otherwise `manageJob` (if expectations are satisfied): suspend deletes every active pod;
 *     else surplus pods are deleted and missing ones created in slow-start batches, after the
 *     pod-failure back-off (backoff.ts) has elapsed;
 *  4. ALWAYS recompute status (active, ready, terminating, succeeded, failed, startTime,
 *     completedIndexes, conditions) and write it through `/status` when it changed.
 *
 * Departure from upstream: pods are NOT given the `batch.kubernetes.io/job-tracking` finalizer and
 * `uncountedTerminatedPods` stays empty; succeeded/failed are counted from the pods that exist
 * (never decreasing), plus the active pods deleted when the Job fails, as the pre-1.26 controller
 * did. A finished pod deleted by someone else before it was counted is therefore missed.
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { GVR, type Client, type GroupVersionResource } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
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
import { firstPendingIndexes, formatIndexes, indexedPodsToRemove, succeededIndexes, templateForIndex } from './indexed.ts';

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

/** JobController; see module comment. */
export class JobController extends BaseController {
  readonly client: Client;
  readonly expectations = new ControllerExpectations();
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
      onAdd: (p) => this.podEvents.addPod(p),
      onUpdate: (o, n) => this.updatePod(o, n),
      onDelete: (p) => this.podEvents.deletePod(p),
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    const ok = (await this.jobInformer.waitForSync(signal)) && (await this.podInformer.waitForSync(signal));
    if (!ok) return;
    await this.runWorkers(workers, signal);
  }

  // ---------------------------------------------------------------- event handlers (enqueue only)

  private updateJob(old: JobObj, cur: JobObj): void {
    if (old.metadata?.uid !== cur.metadata?.uid) this.deleteJob(old);
    this.queue.add(keyOf(cur));
  }

  private deleteJob(obj: JobObj | DeletedFinalStateUnknown<JobObj>): void {
    const job = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    this.expectations.deleteExpectations(keyOf(job));
    this.queue.add(keyOf(job));
  }

  private updatePod(old: PodObj, cur: PodObj): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // Being deleted: the Job may want a replacement; count it as observed deletion.
      this.podEvents.deletePod(cur);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const j = this.podEvents.resolveControllerRef(old.metadata?.namespace, oldRef);
      if (j) this.queue.add(keyOf(j));
    }
    if (curRef) {
      const j = this.podEvents.resolveControllerRef(cur.metadata?.namespace, curRef);
      if (j) this.queue.add(keyOf(j));
      return;
    }
    if (!labelsEqual(old.metadata?.labels, cur.metadata?.labels)) for (const j of this.podEvents.getPodOwners(cur)) this.queue.add(keyOf(j));
  }

  // ---------------------------------------------------------------- sync

  /**
   * Reconciles the Job with key `namespace/name` (see module comment).
   * @throws on API errors (the worker retries with back-off).
   */
  async syncJob(key: string): Promise<void> {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    const job = this.jobInformer.lister.get(namespace, name);
    if (!job) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const now = this.now();
    if (isJobFinished(job)) {
      await this.processTTL(job, now);
      return;
    }
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
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;
    const parallelism = spec.parallelism ?? 1;
    const backoffLimit = spec.backoffLimit ?? 6;
    const suspended = spec.suspend === true;

    let activePods = pods.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp);
    const terminating = pods.filter((p) => !isTerminal(p) && p.metadata?.deletionTimestamp).length;
    const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
    const policy = spec.podFailurePolicy;
    // Failures matching an Ignore rule count neither in status.failed nor against the limit.
    const failedPods = pods.filter((p) => p.status?.phase === 'Failed' && (!policy || matchPodFailurePolicy(policy, p)?.action !== 'Ignore'));

    const status: JobStatus = deepCopy(job.status ?? {});
    const conditions: JobCondition[] = [...(status.conditions ?? [])];
    const prevSucceeded = status.succeeded ?? 0;
    let failed = Math.max(status.failed ?? 0, failedPods.length);
    const doneIndexes = indexed && completions !== undefined ? succeededIndexes(succeededPods, completions) : [];
    const succeeded = Math.max(prevSucceeded, indexed ? doneIndexes.length : succeededPods.length);

    // Suspend / resume bookkeeping (Suspended condition, startTime reset on resume).
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

    // 1. Terminal criteria, in upstream's order.
    let target = trueCondition(conditions, 'FailureTarget') ?? trueCondition(conditions, 'SuccessCriteriaMet');
    if (!target) {
      let add: JobCondition | undefined;
      const failJob = policy ? failedPods.map((p) => matchPodFailurePolicy(policy, p)).find((m) => m?.action === 'FailJob') : undefined;
      if (failJob) {
        add = newCondition('FailureTarget', 'True', JobReasonPodFailurePolicy, failJob.message, now);
      } else if (exceedsBackoffLimit(failed, backoffLimit) || pastBackoffLimitOnFailure(spec.template?.spec?.restartPolicy, backoffLimit, activePods)) {
        add = newCondition('FailureTarget', 'True', JobReasons.BackoffLimitExceeded.reason, JobReasons.BackoffLimitExceeded.message, now);
      } else if (pastActiveDeadline(spec.activeDeadlineSeconds, startMs, now)) {
        add = newCondition('FailureTarget', 'True', JobReasons.DeadlineExceeded.reason, JobReasons.DeadlineExceeded.message, now);
      } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && activePods.length === 0) {
        add = newCondition('SuccessCriteriaMet', 'True', JobReasons.CompletionsReached.reason, JobReasons.CompletionsReached.message, now);
      }
      if (add) {
        conditions.push(add);
        target = add;
      }
    }

    let manageErr: unknown;
    if (target) {
      // 2. Lingering pods go; the terminal condition follows once none is left.
      if (activePods.length > 0 && satisfied) {
        const { gone, error } = await this.deleteJobPods(job, activePods);
        // Pods removed because the Job failed count as failed, as upstream counts them once terminated.
        if (target.type === 'FailureTarget') failed += gone.size;
        activePods = activePods.filter((p) => !gone.has(p.metadata?.uid));
        manageErr = error;
      } else if (activePods.length === 0 && terminating === 0) {
        if (target.type === 'FailureTarget') {
          conditions.push(newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now));
          this.recorder.event(job, 'Warning', target.reason ?? 'Failed', target.message ?? '');
        } else {
          conditions.push(newCondition('Complete', 'True', JobReasons.CompletionsReached.reason, JobReasons.CompletionsReached.message, now));
          status.completionTime = rfc3339(now);
          this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
        }
      }
    } else if (satisfied && !job.metadata?.deletionTimestamp) {
      // 3. manageJob.
      try {
        activePods = await this.manageJob(job, activePods, succeededPods, failedPods, succeeded, doneIndexes, now);
      } catch (e) {
        manageErr = e;
      }
    }

    // 4. Status, always recomputed.
    status.active = activePods.length;
    status.ready = activePods.filter((p) => isPodReady(p)).length;
    status.terminating = terminating;
    status.succeeded = succeeded;
    status.failed = failed;
    if (indexed) status.completedIndexes = formatIndexes(doneIndexes);
    status.uncountedTerminatedPods ??= {};
    if (conditions.length) status.conditions = conditions;
    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
      const copy = deepCopy(job) as JobObj;
      (copy as { status?: JobStatus }).status = status;
      try {
        await this.client.update<JobObj>(JobsGVR, namespace, copy, { subresource: 'status' });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    if (manageErr) throw manageErr;
    // Wake up when the deadline passes.
    if (!target && spec.activeDeadlineSeconds != null && startMs !== undefined) {
      this.queue.addAfter(key, Math.max(0, startMs + spec.activeDeadlineSeconds * 1000 - now) + 10);
    }
  }

  /**
   * manageJob: with suspend, deletes every active pod; otherwise deletes the surplus over
   * wantActive and creates the missing pods (slow-start batches, at most
   * {@link MaxPodCreateDeletePerSync}) once the pod-failure back-off has elapsed.
   * @returns the active pods as expected after this sync (deleted ones removed; creations are
   *   counted by upstream as active right away, so placeholders are appended)
   * @throws the first create/delete error
   */
  private async manageJob(job: JobObj, activePods: PodObj[], succeededPods: PodObj[], failedPods: PodObj[], succeeded: number, doneIndexes: number[], now: number): Promise<PodObj[]> {
    const key = keyOf(job);
    const spec = job.spec!;
    if (spec.suspend) {
      if (activePods.length === 0) return activePods;
      const { gone, error } = await this.deleteJobPods(job, activePods);
      if (error) throw error;
      return activePods.filter((p) => !gone.has(p.metadata?.uid));
    }
    const completions = spec.completions ?? undefined;
    const want = wantActivePods(completions, spec.parallelism ?? 1, succeeded, activePods.length);
    const indexedMode = spec.completionMode === 'Indexed' && completions !== undefined;
    // Indexed: pods without a valid index, out of range, duplicating an active index or for an
    // index that already succeeded go first (upstream's activePodsForRemoval / excess pods).
    const invalid = indexedMode ? (indexedPodsToRemove(activePods, doneIndexes, completions) as PodObj[]) : [];
    const rm = Math.max(activePods.length - want, invalid.length);
    if (rm > 0) {
      const rest = activePods.filter((p) => !invalid.includes(p));
      // Then upstream's ActivePods order: unscheduled, pending, not ready, … newest first.
      const victims = [...invalid, ...(getPodsToDelete(rest, activePods, Math.max(0, rm - invalid.length), now) as PodObj[])].slice(0, MaxPodCreateDeletePerSync);
      const { gone, error } = await this.deleteJobPods(job, victims);
      if (error) throw error;
      return activePods.filter((p) => !gone.has(p.metadata?.uid));
    }
    let diff = want - activePods.length;
    if (diff <= 0) return activePods;
    const remaining = getRemainingTime(newBackoffRecord([...succeededPods, ...failedPods]), now);
    if (remaining > 0) {
      this.queue.addAfter(key, remaining);
      return activePods;
    }
    diff = Math.min(diff, MaxPodCreateDeletePerSync);
    const indexes = indexedMode ? firstPendingIndexes(activePods, doneIndexes, diff, completions) : undefined;
    if (indexes) diff = indexes.length;
    this.expectations.expectCreations(key, diff);
    let next = 0;
    const { successes, error } = await slowStartBatch(diff, SlowStartInitialBatchSize, async () => {
      const index = indexes?.[next++];
      try {
        await this.createPod(job, index);
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    });
    for (let k = successes; k < diff; k++) this.expectations.creationObserved(key);
    if (error) throw error;
    return [...activePods, ...Array.from({ length: successes }, () => ({}) as PodObj)];
  }

  /** Creates one pod of `job` (CreatePodsWithGenerateName; `<job>-<index>-` in Indexed mode). Records SuccessfulCreate / FailedCreate. */
  private async createPod(job: JobObj, index: number | undefined): Promise<void> {
    const template = index === undefined ? (job.spec!.template as PodTemplateSpec) : templateForIndex(job.spec!.template as PodTemplateSpec, job.metadata!.name!, index);
    const pod = getPodFromTemplate(template, job, newControllerRef(job, JobControllerKind));
    if (index !== undefined) pod.metadata!.generateName = getPodsPrefix(`${job.metadata!.name}-${index}`);
    try {
      const created = await this.client.create<PodObj>(GVR.pods, job.metadata!.namespace, pod as PodObj);
      this.recorder.eventf(job, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata?.name);
    } catch (e) {
      this.recorder.eventf(job, 'Warning', 'FailedCreate', 'Error creating: %s', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /**
   * Deletes `pods` in parallel with deletion expectations (deleteJobPods). Records
   * SuccessfulDelete / FailedDelete. A 404 counts as deleted.
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
    const cm = new PodControllerRefManager(this.client, GVR.pods, job, selector, JobControllerKind, canAdopt);
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

