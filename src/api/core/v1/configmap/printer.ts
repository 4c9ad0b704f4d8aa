/** ConfigMap Table (upstream printConfigMap): Name, Data (number of data + binaryData keys), Age. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';

/** ConfigMap Table. */
export const configMapTable: TableConvertor = {
  columns: [nameColumn, column('Data', 'string', 'Data contains the configuration data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.'), ageColumn],
  cells: (obj, now) => [objName(obj), Object.keys(rec(obj.data)).length + Object.keys(rec(obj.binaryData)).length, objAge(obj, now)],
};
