/** ReplicaSet Table (upstream printReplicaSet): Desired, Current, Ready, Age, (wide) Containers, Images, Selector. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName, podTemplateWideCells, podTemplateWideColumns } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** ReplicaSet Table. */
export const replicaSetTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
    column('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
    column('Ready', 'integer', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
    ageColumn,
    ...podTemplateWideColumns('Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    return [
      objName(obj),
      Number(spec.replicas ?? 0),
      Number(status.replicas ?? 0),
      Number(status.readyReplicas ?? 0),
      objAge(obj, now),
      ...podTemplateWideCells(obj),
    ];
  },
};
