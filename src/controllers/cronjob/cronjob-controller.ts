/**
 * CronJob controller, after pkg/controller/cronjob/cronjob_controllerv2.go (ControllerV2).
 *
 * Handlers only enqueue: Job events enqueue the owning CronJob (by ControllerRef), CronJob adds and
 * updates enqueue it (a schedule/time-zone change re-enqueues at the new next schedule time).
 * `sync(key)` reads the listers, then:
 *   1. cleanupFinishedJobs: deletes the oldest finished Jobs beyond successful/failedJobsHistoryLimit
 *      (by start time), `SuccessfulDelete`;
 *   2. syncCronJob: reconciles status.active with the owned Jobs (`SawCompletedJob`,
 *      `UnexpectedJob`, `MissingJob`), lastSuccessfulTime; stops there when deleting, suspended,
 *      or the time zone/schedule is unusable; otherwise finds the most recent unmet schedule time
 *      (≤ 100 missed are counted, more give `TooManyMissedTimes`), skips it when it is older than
 *      startingDeadlineSeconds (`MissSchedule`) or already processed, applies concurrencyPolicy
 *      (Forbid: `JobAlreadyActive`; Replace: delete the active Jobs), then creates the Job
 *      `<name>-<minutes since epoch>` (`SuccessfulCreate`) and records it in status.active and
 *      status.lastScheduleTime;
 *   3. writes `/status` once if anything changed, and requeues at the next schedule time + 100 ms.
 */
import type { Client, GroupVersionResource, KubeObject } from '../../client/interface.ts';
import type { SharedInformer } from '../../client/informer.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import { deepCopy, getControllerOf, rfc3339 } from '../../client/object-util.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { isValidTimeZone, parseStandard, type CronSchedule } from '../../api/batch/v1/cronjob/schedule.ts';
import { BaseController } from '../shared/base-controller.ts';
import { newControllerRef } from '../shared/controller-ref-manager.ts';
import { keyOf } from '../shared/controller-utils.ts';
import { JobsGVR } from '../job/job-controller.ts';
import { isNamespaceTerminating } from '../replicaset/replica-set.ts';
import {
  byJobStartTime,
  formatSchedule,
  getFinishedStatus,
  getJobName,
  isJobFinished,
  isJobSucceeded,
  nextScheduleTime,
  nextScheduleTimeDuration,
  type CronJobObj,
  type ObjectReference,
} from './utils.ts';

/** `cronjobs` in batch/v1. */
export const CronJobsGVR: GroupVersionResource = { group: 'batch', version: 'v1', resource: 'cronjobs' };
/** Annotation with the Job's scheduled time (RFC 3339 in the CronJob's time zone). */
export const CronJobScheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const controllerKind = { apiVersion: 'batch/v1', kind: 'CronJob' };

type JobObj = KubeObject & { status?: { conditions?: { type?: string; status?: string }[]; startTime?: string; completionTime?: string } };

/** Options for {@link CronJobController}. */
export interface CronJobControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
  /** Clock in ms since the epoch (tests inject a manual clock). */
  now?: () => number;
}

/** See module comment. */
export class CronJobController extends BaseController {
  readonly client: Client;
  readonly cronJobInformer: SharedInformer<CronJobObj>;
  readonly jobInformer: SharedInformer<JobObj>;
  private readonly recorder: EventRecorder;
  private readonly now: () => number;

  constructor(opts: CronJobControllerOptions) {
    super('cronjob', (key) => this.sync(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.now = opts.now ?? (() => Date.now());
    this.cronJobInformer = opts.factory.forResource<CronJobObj>(CronJobsGVR);
    this.jobInformer = opts.factory.forResource<JobObj>(JobsGVR);
    this.cronJobInformer.addEventHandler({
      onAdd: (cj) => this.queue.add(keyOf(cj)),
      onUpdate: (o, n) => this.updateCronJob(o, n),
      onDelete: (o) => this.queue.add(keyOf(o instanceof DeletedFinalStateUnknown ? o.obj : o)),
    });
    this.jobInformer.addEventHandler({
      onAdd: (j) => this.addJob(j),
      onUpdate: (o, n) => this.updateJob(o, n),
      onDelete: (o) => this.addJob(o instanceof DeletedFinalStateUnknown ? o.obj : o),
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    const ok = (await this.cronJobInformer.waitForSync(signal)) && (await this.jobInformer.waitForSync(signal));
    if (!ok) return;
    await this.runWorkers(workers, signal);
  }

  // ---------------------------------------------------------------- handlers (enqueue only)

  /** The CronJob a Job's ControllerRef points at (same name and uid), if any. */
  private resolveControllerRef(job: JobObj): CronJobObj | undefined {
    const ref = getControllerOf(job);
    if (!ref || ref.kind !== 'CronJob') return undefined;
    const cj = this.cronJobInformer.lister.get(job.metadata?.namespace, ref.name);
    return cj && cj.metadata?.uid === ref.uid ? cj : undefined;
  }

  private addJob(job: JobObj): void {
    const cj = this.resolveControllerRef(job);
    if (cj) this.queue.add(keyOf(cj));
  }

  private updateJob(old: JobObj, cur: JobObj): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (getControllerOf(old)?.uid !== getControllerOf(cur)?.uid) this.addJob(old);
    this.addJob(cur);
  }

  private updateCronJob(old: CronJobObj, cur: CronJobObj): void {
    if (old.spec?.schedule !== cur.spec?.schedule || (old.spec?.timeZone ?? null) !== (cur.spec?.timeZone ?? null)) {
      let sched: CronSchedule;
      try {
        sched = parseStandard(formatSchedule(cur));
      } catch {
        return; // the sync reports UnparseableSchedule
      }
      this.queue.addAfter(keyOf(cur), Math.max(0, nextScheduleTimeDuration(cur, this.now(), sched)));
      return;
    }
    this.queue.add(keyOf(cur));
  }

  // ---------------------------------------------------------------- sync

  /**
   * Reconciles the CronJob `namespace/name` (see module comment).
   * @throws on API errors (retried with back-off); a requeue at the next schedule time is queued on success.
   */
  async sync(key: string): Promise<void> {
    const i = key.indexOf('/');
    const cronJob = this.cronJobInformer.lister.get(key.slice(0, i), key.slice(i + 1));
    if (!cronJob) return;
    const jobs = this.getJobsToBeReconciled(cronJob);
    const cjCopy = deepCopy(cronJob) as CronJobObj;
    const updateAfterCleanup = await this.cleanupFinishedJobs(cjCopy, jobs);
    let requeueAfter: number | undefined;
    let updateAfterSync = false;
    let syncErr: unknown;
    try {
      const r = await this.syncCronJob(cjCopy, jobs);
      requeueAfter = r.requeueAfter;
      updateAfterSync = r.updateStatus;
    } catch (e) {
      syncErr = e;
      updateAfterSync = (e as { updateStatus?: boolean }).updateStatus ?? false;
    }
    if (updateAfterCleanup || updateAfterSync) {
      try {
        await this.client.update(CronJobsGVR, cjCopy.metadata?.namespace, cjCopy, { subresource: 'status' });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    if (requeueAfter !== undefined) {
      this.queue.addAfter(key, Math.max(0, requeueAfter));
      return;
    }
    if (syncErr) throw syncErr;
  }

  /** Jobs in the CronJob's namespace whose ControllerRef is this CronJob (getJobsToBeReconciled). */
  getJobsToBeReconciled(cj: CronJobObj): JobObj[] {
    return this.jobInformer.lister.list(cj.metadata?.namespace).filter((j) => getControllerOf(j)?.uid === cj.metadata?.uid);
  }

  /** `cleanupFinishedJobs`: enforces the history limits; true when status changed. */
  async cleanupFinishedJobs(cj: CronJobObj, jobs: JobObj[]): Promise<boolean> {
    const sLimit = cj.spec?.successfulJobsHistoryLimit;
    const fLimit = cj.spec?.failedJobsHistoryLimit;
    if ((sLimit === undefined || sLimit === null) && (fLimit === undefined || fLimit === null)) return false;
    const successful = jobs.filter((j) => getFinishedStatus(j) === 'Complete');
    const failed = jobs.filter((j) => getFinishedStatus(j) === 'Failed');
    let update = false;
    if (sLimit !== undefined && sLimit !== null && (await this.removeOldestJobs(cj, successful, sLimit))) update = true;
    if (fLimit !== undefined && fLimit !== null && (await this.removeOldestJobs(cj, failed, fLimit))) update = true;
    return update;
  }

  private async removeOldestJobs(cj: CronJobObj, jobs: JobObj[], maxJobs: number): Promise<boolean> {
    const numToDelete = jobs.length - maxJobs;
    if (numToDelete <= 0) return false;
    const sorted = [...jobs].sort(byJobStartTime);
    let update = false;
    for (let i = 0; i < numToDelete; i++) if (await this.deleteJob(cj, sorted[i])) update = true;
    return update;
  }

  /** `deleteJob`: deletes the Job (Background propagation) and drops it from status.active. */
  private async deleteJob(cj: CronJobObj, job: JobObj): Promise<boolean> {
    try {
      await this.client.delete(JobsGVR, job.metadata?.namespace, job.metadata!.name!, { propagationPolicy: 'Background' });
    } catch (e) {
      this.recorder.eventf(cj, 'Warning', 'FailedDelete', 'Deleted job: %v', e instanceof Error ? e.message : e);
      this.log.error?.({ cronjob: keyOf(cj), job: job.metadata?.name, err: e instanceof Error ? e.message : e }, 'error deleting job from cronjob');
      return false;
    }
    deleteFromActiveList(cj, job.metadata?.uid);
    this.recorder.eventf(cj, 'Normal', 'SuccessfulDelete', 'Deleted job %v', job.metadata?.name);
    return true;
  }

  /**
   * `syncCronJob`: mutates `cj` (its status) and returns when to requeue (ms) and whether status
   * changed. Errors thrown carry `updateStatus` so the caller still writes status.
   */
  async syncCronJob(cj: CronJobObj, jobs: JobObj[]): Promise<{ requeueAfter?: number; updateStatus: boolean }> {
    const now = this.now();
    let updateStatus = false;
    const fail = (e: unknown): never => {
      throw Object.assign(e instanceof Error ? e : new Error(String(e)), { updateStatus });
    };
    cj.status ??= {};
    const children = new Set<string | undefined>();
    for (const j of jobs) {
      children.add(j.metadata?.uid);
      const found = inActiveList(cj, j.metadata?.uid);
      if (!found && !isJobFinished(j)) {
        let fresh: CronJobObj;
        try {
          fresh = await this.client.get<CronJobObj>(CronJobsGVR, cj.metadata?.namespace, cj.metadata!.name!);
        } catch (e) {
          return fail(e);
        }
        if (inActiveList(fresh, j.metadata?.uid)) {
          cj.status = deepCopy(fresh.status ?? {});
          cj.metadata = { ...cj.metadata, resourceVersion: fresh.metadata?.resourceVersion };
          continue;
        }
        this.recorder.eventf(cj, 'Warning', 'UnexpectedJob', 'Saw a job that the controller did not create or forgot: %s', j.metadata?.name);
      } else if (found && isJobFinished(j)) {
        deleteFromActiveList(cj, j.metadata?.uid);
        this.recorder.eventf(cj, 'Normal', 'SawCompletedJob', 'Saw completed job: %s, condition: %v', j.metadata?.name, getFinishedStatus(j));
        updateStatus = true;
      } else if (isJobSucceeded(j)) {
        const ct = j.status?.completionTime;
        if (!cj.status.lastSuccessfulTime && ct) {
          cj.status.lastSuccessfulTime = ct;
          updateStatus = true;
        }
        if (ct && cj.status.lastSuccessfulTime && Date.parse(ct) > Date.parse(cj.status.lastSuccessfulTime)) {
          cj.status.lastSuccessfulTime = ct;
          updateStatus = true;
        }
      }
    }
    // A Job in status.active that no longer exists (checked with a live GET, the lister may lag).
    for (const ref of [...(cj.status.active ?? [])]) {
      if (children.has(ref.uid)) continue;
      try {
        await this.client.get(JobsGVR, ref.namespace, ref.name!);
      } catch (e) {
        if (!isNotFound(e)) return fail(e);
        this.recorder.eventf(cj, 'Normal', 'MissingJob', 'Active job went missing: %v', ref.name);
        deleteFromActiveList(cj, ref.uid);
        updateStatus = true;
      }
    }
    if (cj.metadata?.deletionTimestamp) return { updateStatus };

    const tz = cj.spec?.timeZone;
    if (tz !== undefined && tz !== null && !isValidTimeZone(tz)) {
      this.recorder.eventf(cj, 'Warning', 'UnknownTimeZone', 'invalid timeZone: %q: %s', tz, `unknown time zone ${tz}`);
      return { updateStatus };
    }
    if (cj.spec?.suspend) return { updateStatus };

    let sched: CronSchedule;
    try {
      sched = parseStandard(formatSchedule(cj, this.recorder));
    } catch (e) {
      this.recorder.eventf(cj, 'Warning', 'UnparseableSchedule', 'unparseable schedule: %q : %s', cj.spec?.schedule, e instanceof Error ? e.message : e);
      return { updateStatus };
    }
    let scheduledTime: number | undefined;
    try {
      scheduledTime = nextScheduleTime(cj, now, sched, this.recorder);
    } catch (e) {
      this.recorder.eventf(cj, 'Warning', 'InvalidSchedule', 'invalid schedule: %s : %s', cj.spec?.schedule, e instanceof Error ? e.message : e);
      return { updateStatus };
    }
    const requeue = () => ({ requeueAfter: nextScheduleTimeDuration(cj, now, sched), updateStatus });
    if (scheduledTime === undefined) return requeue();

    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds !== undefined && sds !== null && scheduledTime + sds * 1000 < now) {
      this.recorder.eventf(cj, 'Warning', 'MissSchedule', 'Missed scheduled time to start a job: %s', rfc1123z(scheduledTime));
      return requeue();
    }
    const jobName = getJobName(cj, scheduledTime);
    const lst = cj.status.lastScheduleTime;
    if ((cj.status.active ?? []).some((r) => r.name === jobName && r.namespace === cj.metadata?.namespace) || (lst && Date.parse(lst) === scheduledTime)) {
      return requeue();
    }
    if (cj.spec?.concurrencyPolicy === 'Forbid' && (cj.status.active ?? []).length > 0) {
      this.recorder.eventf(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue();
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const ref of [...(cj.status.active ?? [])]) {
        let job: JobObj;
        try {
          job = await this.client.get<JobObj>(JobsGVR, ref.namespace, ref.name!);
        } catch (e) {
          this.recorder.eventf(cj, 'Warning', 'FailedGet', 'Get job: %v', e instanceof Error ? e.message : e);
          return fail(e);
        }
        if (!(await this.deleteJob(cj, job))) return fail(new Error(`could not replace job ${job.metadata?.namespace}/${job.metadata?.name}`));
        updateStatus = true;
      }
    }

    const jobReq = getJobFromTemplate2(cj, scheduledTime);
    let jobResp: JobObj;
    try {
      jobResp = await this.client.create<JobObj>(JobsGVR, cj.metadata?.namespace, jobReq);
      this.recorder.eventf(cj, 'Normal', 'SuccessfulCreate', 'Created job %v', jobResp.metadata?.name);
    } catch (e) {
      if (isNamespaceTerminating(e)) return fail(e);
      if (!isAlreadyExists(e)) {
        this.recorder.eventf(cj, 'Warning', 'FailedCreate', 'Error creating job: %v', e instanceof Error ? e.message : e);
        return fail(e);
      }
      // Created earlier (status write lost) or by someone else.
      let existing: JobObj;
      try {
        existing = await this.client.get<JobObj>(JobsGVR, cj.metadata?.namespace, jobReq.metadata!.name!);
      } catch (e2) {
        return fail(e2);
      }
      if (getControllerOf(existing)?.uid !== cj.metadata?.uid) return { updateStatus };
      if (inActiveList(cj, existing.metadata?.uid)) return { updateStatus };
      this.log.info?.({ cronjob: keyOf(cj), job: existing.metadata?.name }, 'job already exists');
      jobResp = existing;
    }
    cj.status.active = [...(cj.status.active ?? []), getRef(jobResp)];
    cj.status.lastScheduleTime = rfc3339(scheduledTime);
    updateStatus = true;
    return requeue();
  }
}

/** `getRef`: the ObjectReference of a Job as stored in status.active. */
export function getRef(job: KubeObject): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata?.namespace,
    name: job.metadata?.name,
    uid: job.metadata?.uid,
    apiVersion: 'batch/v1',
    resourceVersion: job.metadata?.resourceVersion,
  };
}

function inActiveList(cj: CronJobObj, uid: string | undefined): boolean {
  return (cj.status?.active ?? []).some((r) => r.uid === uid);
}

function deleteFromActiveList(cj: CronJobObj, uid: string | undefined): void {
  if (!cj.status?.active) return;
  cj.status.active = cj.status.active.filter((r) => r.uid !== uid);
}

/**
 * `getJobFromTemplate2`: the Job for `scheduledTime` — template labels and annotations, the
 * scheduled-timestamp annotation (RFC 3339 in the CronJob's time zone), a ControllerRef, the
 * template's spec, name from {@link getJobName}.
 */
export function getJobFromTemplate2(cj: CronJobObj, scheduledTime: number): KubeObject {
  const tmpl = cj.spec?.jobTemplate ?? {};
  const annotations: Record<string, string> = { ...(tmpl.metadata?.annotations ?? {}) };
  annotations[CronJobScheduledTimestampAnnotation] = formatRFC3339InZone(scheduledTime, cj.spec?.timeZone ?? 'UTC');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: getJobName(cj, scheduledTime),
      namespace: cj.metadata?.namespace,
      labels: { ...(tmpl.metadata?.labels ?? {}) },
      annotations,
      ownerReferences: [newControllerRef(cj, controllerKind)],
    },
    spec: deepCopy(tmpl.spec ?? {}),
  };
}

/** Offset (ms) of `zone` from UTC at instant `ms`. */
function zoneOffsetMs(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms));
  const v = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUTC = Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second'));
  return asUTC - Math.floor(ms / 1000) * 1000;
}

/** Go's `t.In(zone).Format(time.RFC3339)`: `2026-01-01T09:00:00+09:00`, or `…Z` at offset 0. */
export function formatRFC3339InZone(ms: number, zone: string): string {
  const off = zone === 'UTC' || zone === '' ? 0 : zoneOffsetMs(ms, zone);
  const local = new Date(Math.floor(ms / 1000) * 1000 + off).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off) / 60_000;
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}
