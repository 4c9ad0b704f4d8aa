/** StatefulSet Table (upstream printStatefulSet): Ready `ready/desired`, Age, (wide) Containers, Images. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, layoutContainerCells, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** StatefulSet Table. */
export const statefulSetTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    ageColumn,
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const [names, images] = layoutContainerCells(arr(rec(rec(spec.template).spec).containers));
    return [objName(obj), `${Number(status.readyReplicas ?? 0)}/${Number(spec.replicas ?? 0)}`, objAge(obj, now), names, images];
  },
};
