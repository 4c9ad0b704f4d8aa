/**
 * CronJob Table, after upstream printCronJob: Schedule, Timezone (`<none>` when unset), Suspend
 * (`True`/`False`, `<unset>`), Active (number of active Jobs), Last Schedule (age of
 * status.lastScheduleTime or `<none>`), Age, and (wide) Containers, Images, Selector of the job
 * template.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, formatLabelSelector, layoutContainerCells, nameColumn, objAge, objName } from '../../../common/table.ts';
import { translateTimestampSince } from '../../../common/duration.ts';
import { arr, rec } from '../../../common/meta.ts';

/** CronJob Table. */
export const cronJobTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    ageColumn,
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', 1),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const jts = rec(rec(spec.jobTemplate).spec);
    const [names, images] = layoutContainerCells(arr(rec(jts.template).spec?.containers));
    const suspend = spec.suspend === undefined || spec.suspend === null ? '<unset>' : spec.suspend ? 'True' : 'False';
    return [
      objName(obj),
      String(spec.schedule ?? ''),
      spec.timeZone === undefined || spec.timeZone === null ? '<none>' : String(spec.timeZone),
      suspend,
      arr(status.active).length,
      status.lastScheduleTime ? translateTimestampSince(status.lastScheduleTime, now) : '<none>',
      objAge(obj, now),
      names,
      images,
      formatLabelSelector(jts.selector),
    ];
  },
};
