/** ServiceAccount Table (upstream printServiceAccount): Name, Secrets (count), Age. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr } from '../../../common/meta.ts';

/** ServiceAccount Table. */
export const serviceAccountTable: TableConvertor = {
  columns: [nameColumn, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), ageColumn],
  cells: (obj, now) => [objName(obj), arr(obj.secrets).length, objAge(obj, now)],
};
