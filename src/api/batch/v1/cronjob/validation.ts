/**
 * CronJob validation, after upstream pkg/apis/batch/validation ValidateCronJobCreate /
 * ValidateCronJobUpdate / ValidateCronJobSpec / validateScheduleFormat / validateTimeZone /
 * ValidateJobTemplateSpec, and ValidateCronJobStatusUpdate (ObjectMeta only).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateNonnegativeField, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { goLabelSelectorValue } from '../../../common/go-value.ts';
import { rec } from '../../../common/meta.ts';
import { validateJobSpec } from '../job/validation.ts';
import { isValidTimeZone, parseStandard } from './schedule.ts';

const specPath = FieldPath.root('spec');
const unset = (v: unknown) => v === undefined || v === null;
const validTimeZoneCharacters = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** `validateScheduleFormat`: parseable by ParseStandard; no `TZ`/`CRON_TZ` prefix (use `timeZone`). */
export function validateScheduleFormat(schedule: string, timeZone: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  try {
    parseStandard(schedule);
  } catch (e) {
    errs.push(invalid(path, schedule, e instanceof Error ? e.message : String(e)));
  }
  if (schedule.includes('TZ')) {
    errs.push(invalid(path, schedule, unset(timeZone) ? 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead' : 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  }
  return errs;
}

/** `validateTimeZone`: nil or a non-empty, loadable, explicit (not `Local`) IANA zone name. */
export function validateTimeZone(timeZone: unknown, path: FieldPath): FieldError[] {
  if (unset(timeZone)) return [];
  const tz = String(timeZone);
  if (tz.length === 0) return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !validTimeZoneCharacters.test(part)) {
      return [invalid(path, tz, `unknown time zone ${tz}`)];
    }
  }
  if (tz.toLowerCase() === 'local') return [invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  if (!isValidTimeZone(tz)) return [invalid(path, tz, `unknown time zone ${tz}`)];
  return [];
}

/**
 * `ValidateJobTemplateSpec`: the Job spec rules (counters, restartPolicy OnFailure/Never, pod
 * template) without the selector requirement; a selector is refused (`will be auto-generated`),
 * and so is `manualSelector: true`.
 */
export function validateJobTemplateSpec(jobTemplate: unknown, path: FieldPath): FieldError[] {
  const spec = rec(rec(jobTemplate).spec);
  const sp = path.child('spec');
  // validateJobSpec checks selector-vs-labels; an empty selector matches everything.
  const errs = validateJobSpec({ ...spec, selector: {} }, sp);
  if (!unset(spec.selector)) errs.push(invalid(sp.child('selector'), goLabelSelectorValue(rec(spec.selector) as never), '`selector` will be auto-generated'));
  if (spec.manualSelector === true) errs.push(notSupported(sp.child('manualSelector'), true, ['nil', 'false']));
  return errs;
}

/** `ValidateCronJobSpec`. */
export function validateCronJobSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  if (unset(s.schedule) || s.schedule === '') errs.push(required(path.child('schedule'), ''));
  else errs.push(...validateScheduleFormat(String(s.schedule), s.timeZone, path.child('schedule')));
  if (!unset(s.startingDeadlineSeconds)) errs.push(...validateNonnegativeField(Number(s.startingDeadlineSeconds), path.child('startingDeadlineSeconds')));
  const cp = s.concurrencyPolicy;
  if (unset(cp) || cp === '') errs.push(required(path.child('concurrencyPolicy'), ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported(path.child('concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateJobTemplateSpec(s.jobTemplate, path.child('jobTemplate')));
  for (const f of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    if (!unset(s[f])) errs.push(...validateNonnegativeField(Number(s[f]), path.child(f)));
  }
  errs.push(...validateTimeZone(s.timeZone, path.child('timeZone')));
  return errs;
}

/**
 * `ValidateCronJobCreate`: ObjectMeta (DNS subdomain), name ≤ 52 characters (the Job name adds
 * `-<minutes>`, 11 characters, and must stay a DNS-1035 label length), spec.
 */
export function validateCronJob(cj: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, true, nameIsDNSSubdomain, 'metadata');
  const name = cj.metadata?.name ?? '';
  if (name.length > 63 - 11) errs.push(invalid(FieldPath.root('metadata').child('name'), name, 'must be no more than 52 characters'));
  errs.push(...validateCronJobSpec(cj.spec, specPath));
  return errs;
}

/** `ValidateCronJobUpdate`: ObjectMeta update rules and the spec. */
export function validateCronJobUpdate(cj: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(cj.metadata, old.metadata, 'metadata'), ...validateCronJobSpec(cj.spec, specPath)];
}

/** `ValidateCronJobStatusUpdate`: ObjectMeta update rules. */
export function validateCronJobStatusUpdate(cj: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(cj.metadata, old.metadata, 'metadata');
}
