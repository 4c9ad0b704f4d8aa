/** Namespace Table (upstream printNamespace): Name, Status (phase), Age. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';

/** Namespace Table: Name, Status, Age. */
export const namespaceTable: TableConvertor = {
  columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
  cells: (obj, now) => [objName(obj), String(rec(obj.status).phase ?? ''), objAge(obj, now)],
};
