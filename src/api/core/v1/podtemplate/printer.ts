/** PodTemplate Table, after upstream printPodTemplate: NAME, CONTAINERS, IMAGES, POD LABELS. */
import type { TableConvertor } from '../../../resource-types.ts';
import { column, formatLabels, layoutContainerCells, nameColumn, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** PodTemplate Table. */
export const podTemplateTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(obj) {
    const t = rec(obj.template);
    const [names, images] = layoutContainerCells(arr(rec(t.spec).containers));
    return [objName(obj), names, images, formatLabels(rec(rec(t.metadata).labels))];
  },
};
