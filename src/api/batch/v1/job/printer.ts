/**
 * Job Table, after upstream pkg/printers/internalversion/printers.go printJob: Status
 * (Complete, Failed, Terminating, Suspended, FailureTarget, SuccessCriteriaMet, Running — first
 * that applies), Completions (`succeeded/completions`, `n/1 of P` for a work-queue Job with
 * parallelism > 1), Duration (startTime → completionTime, or → now while running), Age, and
 * (wide) Containers, Images, Selector.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName, podTemplateWideCells, podTemplateWideColumns } from '../../../common/table.ts';
import { humanDuration } from '../../../common/duration.ts';
import { arr, rec } from '../../../common/meta.ts';

const hasTrueCondition = (obj: KubeObject, type: string) =>
  arr(rec(obj.status).conditions).some((c) => rec(c).type === type && rec(c).status === 'True');

/** The STATUS cell of a Job (printJob's switch). */
export function jobStatusCell(obj: KubeObject): string {
  if (hasTrueCondition(obj, 'Complete')) return 'Complete';
  if (hasTrueCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  if (hasTrueCondition(obj, 'Suspended')) return 'Suspended';
  if (hasTrueCondition(obj, 'FailureTarget')) return 'FailureTarget';
  if (hasTrueCondition(obj, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** The COMPLETIONS cell of a Job: `1/3`, or `0/1 of 4` for a work-queue Job with parallelism 4. */
export function jobCompletionsCell(obj: KubeObject): string {
  const spec = rec(obj.spec);
  const succeeded = Number(rec(obj.status).succeeded ?? 0);
  if (spec.completions !== undefined && spec.completions !== null) return `${succeeded}/${Number(spec.completions)}`;
  if (spec.parallelism !== undefined && spec.parallelism !== null && Number(spec.parallelism) > 1) return `${succeeded}/1 of ${Number(spec.parallelism)}`;
  return `${succeeded}/1`;
}

/** The DURATION cell: '' before startTime, else startTime → completionTime (or → `now`, ms). */
export function jobDurationCell(obj: KubeObject, now: number): string {
  const st = rec(obj.status);
  if (!st.startTime) return '';
  const start = Date.parse(String(st.startTime));
  const end = st.completionTime ? Date.parse(String(st.completionTime)) : now;
  return humanDuration(end - start);
}

/** Job Table. */
export const jobTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The completion status of the job as `succeeded/completions`.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn,
    ...podTemplateWideColumns('A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
  ],
  cells(obj, now) {
    return [objName(obj), jobStatusCell(obj), jobCompletionsCell(obj), jobDurationCell(obj, now), objAge(obj, now), ...podTemplateWideCells(obj)];
  },
};
