/**
 * CronJob schedule arithmetic and helpers, after upstream pkg/controller/cronjob/utils.go:
 * mostRecentScheduleTime (with the rough missed-schedule count and the >100 "many missed" rule),
 * nextScheduleTime, nextScheduleTimeDuration (+100 ms padding), getJobName
 * (`<cronjob>-<scheduled unix time / 60>`), formatSchedule (TZ prefix from spec.timeZone),
 * job finished/succeeded checks, and byJobStartTime ordering. Times are ms since the epoch.
 */
import type { KubeObject } from '../../client/interface.ts';
import type { EventRecorder } from '../../client/record.ts';
import type { CronSchedule } from '../../api/batch/v1/cronjob/schedule.ts';

/** Requeue padding after the next schedule (upstream nextScheduleDelta, 100 ms). */
export const nextScheduleDelta = 100;

/** How many schedules were missed: none, a few (≤ 100) or many (> 100). */
export type MissedSchedules = 'none' | 'few' | 'many';

/** A CronJob as the controller reads it (untyped spec/status). */
export type CronJobObj = KubeObject & {
  spec?: { schedule?: string; timeZone?: string | null; startingDeadlineSeconds?: number | null; concurrencyPolicy?: string; suspend?: boolean; successfulJobsHistoryLimit?: number | null; failedJobsHistoryLimit?: number | null; jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> } };
  status?: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
};

/** core/v1 ObjectReference (subset) as stored in `status.active`. */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

const parseTime = (t: string | undefined | null): number | undefined => (t ? Date.parse(t) : undefined);

/**
 * `mostRecentScheduleTime`: from the last schedule time (or creation time; with
 * `includeStartingDeadlineSeconds`, no earlier than now − startingDeadlineSeconds) returns that
 * earliest time, the most recent schedule time ≤ now (undefined when none) and how many were
 * missed.
 * @throws Error `time difference between two schedules is less than 1 second` for a schedule whose
 *   consecutive activations are < 1 s apart (or never happen).
 */
export function mostRecentScheduleTime(
  cj: CronJobObj,
  now: number,
  schedule: CronSchedule,
  includeStartingDeadlineSeconds: boolean,
): { earliestTime: number; mostRecentTime?: number; missed: MissedSchedules } {
  let earliestTime = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadlineSeconds && sds !== undefined && sds !== null) {
    const schedulingDeadline = now - sds * 1000;
    if (schedulingDeadline > earliestTime) earliestTime = schedulingDeadline;
  }
  const t1 = schedule.next(earliestTime);
  const t2 = t1 === undefined ? undefined : schedule.next(t1);
  if (t1 !== undefined && now < t1) return { earliestTime, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliestTime, mostRecentTime: t1, missed: 'none' };
  const between = t1 !== undefined && t2 !== undefined ? Math.round((t2 - t1) / 1000) : 0;
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const elapsed = Math.trunc((now - t1!) / 1000);
  const numberOfMissed = Math.trunc(elapsed / between) + 1;
  // Start one interval before the estimate and let the schedule find the exact times.
  const potentialEarliest = t1! + (numberOfMissed - 1 - 1) * between * 1000;
  let mostRecentTime: number | undefined;
  for (let t = schedule.next(potentialEarliest); t !== undefined && t <= now; t = schedule.next(t)) mostRecentTime = t;
  const missed: MissedSchedules = numberOfMissed > 100 ? 'many' : numberOfMissed > 0 ? 'few' : 'none';
  return { earliestTime, mostRecentTime, missed };
}

/**
 * `nextScheduleTimeDuration`: ms from `now` until the schedule after the most recent one
 * (ignoring startingDeadlineSeconds), plus {@link nextScheduleDelta}.
 */
export function nextScheduleTimeDuration(cj: CronJobObj, now: number, schedule: CronSchedule): number {
  let base: number;
  try {
    const r = mostRecentScheduleTime(cj, now, schedule, false);
    base = r.mostRecentTime ?? r.earliestTime;
  } catch {
    base = now;
  }
  const next = schedule.next(base);
  return next === undefined ? 24 * 3600_000 : next + nextScheduleDelta - now;
}

/**
 * `nextScheduleTime`: the most recent unmet schedule time ≤ now (honouring
 * startingDeadlineSeconds), or undefined. Records `TooManyMissedTimes` (Warning) when more than
 * 100 were missed.
 * @throws as {@link mostRecentScheduleTime}
 */
export function nextScheduleTime(cj: CronJobObj, now: number, schedule: CronSchedule, recorder: EventRecorder): number | undefined {
  const r = mostRecentScheduleTime(cj, now, schedule, true);
  if (r.mostRecentTime === undefined || r.mostRecentTime > now) return undefined;
  if (r.missed === 'many') {
    recorder.eventf(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times: %d. Set or decrease .spec.startingDeadlineSeconds or check clock skew', 2);
  }
  return r.mostRecentTime;
}

/** `getJobName`: `<cronjob name>-<scheduledTime in minutes since the epoch>`. */
export function getJobName(cj: CronJobObj, scheduledTime: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduledTime / 60_000)}`;
}

/**
 * `formatSchedule`: `TZ=<spec.timeZone> <schedule>` when a time zone is set; a schedule that
 * already carries TZ is used as is (with an `UnsupportedSchedule` warning when a recorder is given).
 */
export function formatSchedule(cj: CronJobObj, recorder?: EventRecorder): string {
  const schedule = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) {
    recorder?.eventf(cj, 'Warning', 'UnsupportedSchedule', 'CRON_TZ or TZ used in schedule %q is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details', schedule);
    return schedule;
  }
  const tz = cj.spec?.timeZone;
  return tz !== undefined && tz !== null ? `TZ=${tz} ${schedule}` : schedule;
}

type JobLike = KubeObject & { status?: { conditions?: { type?: string; status?: string }[]; startTime?: string; completionTime?: string } };

/** `getFinishedStatus`: `Complete` or `Failed` when that condition is True, else undefined. */
export function getFinishedStatus(job: JobLike): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** `IsJobFinished`. */
export function isJobFinished(job: JobLike): boolean {
  return getFinishedStatus(job) !== undefined;
}

/** `IsJobSucceeded`: Complete=True. */
export function isJobSucceeded(job: JobLike): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
}

/** `byJobStartTime`: by status.startTime (unset last), then by name. */
export function byJobStartTime(a: JobLike, b: JobLike): number {
  const sa = parseTime(a.status?.startTime);
  const sb = parseTime(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0;
  return sa! - sb!;
}
