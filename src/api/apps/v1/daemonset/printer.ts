/**
 * DaemonSet Table (upstream printDaemonSet): Desired, Current, Ready, Up-to-date, Available,
 * Node Selector (the template's nodeSelector, `<none>` when empty), Age, (wide) Containers, Images, Selector.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, formatLabels, nameColumn, objAge, objName, podTemplateWideCells, podTemplateWideColumns } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';

/** DaemonSet Table. */
export const daemonSetTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    column('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    column('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
    ageColumn,
    ...podTemplateWideColumns('A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
  ],
  cells(obj, now) {
    const status = rec(obj.status);
    return [
      objName(obj),
      Number(status.desiredNumberScheduled ?? 0),
      Number(status.currentNumberScheduled ?? 0),
      Number(status.numberReady ?? 0),
      Number(status.updatedNumberScheduled ?? 0),
      Number(status.numberAvailable ?? 0),
      formatLabels(rec(rec(rec(obj.spec).template).spec).nodeSelector),
      objAge(obj, now),
      ...podTemplateWideCells(obj),
    ];
  },
};
