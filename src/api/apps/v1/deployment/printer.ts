/** Deployment Table (upstream printDeployment): Ready `ready/desired`, Up-to-date, Available, Age, (wide) Containers, Images, Selector. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName, podTemplateWideCells, podTemplateWideColumns } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** Deployment Table. */
export const deploymentTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn,
    ...podTemplateWideColumns('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    return [
      objName(obj),
      `${Number(status.readyReplicas ?? 0)}/${Number(spec.replicas ?? 0)}`,
      Number(status.updatedReplicas ?? 0),
      Number(status.availableReplicas ?? 0),
      objAge(obj, now),
      ...podTemplateWideCells(obj),
    ];
  },
};
