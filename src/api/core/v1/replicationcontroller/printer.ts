/**
 * ReplicationController Table (upstream printReplicationController): Desired, Current, Ready,
 * Age, (wide) Containers, Images, Selector (`labels.FormatLabels` of the selector map).
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, formatLabels, layoutContainerCells, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** ReplicationController Table. */
export const replicationControllerTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller'),
    column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    ageColumn,
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', 'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', 1),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const [names, images] = layoutContainerCells(arr(rec(rec(spec.template).spec).containers));
    return [
      objName(obj),
      Number(spec.replicas ?? 0),
      Number(status.replicas ?? 0),
      Number(status.readyReplicas ?? 0),
      objAge(obj, now),
      names,
      images,
      formatLabels(rec(spec.selector) as Record<string, string>),
    ];
  },
};
