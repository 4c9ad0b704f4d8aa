/**
 * Role and ClusterRole Tables, after upstream printRole / printClusterRole: NAME and CREATED AT
 * (the creation timestamp, RFC 3339, printed by kubectl as is).
 */
import type { TableColumnDefinition, TableConvertor } from '../../../resource-types.ts';
import { nameColumn, objName } from '../../../common/table.ts';

/** The `Created At` column (type date). */
export const createdAtColumn: TableColumnDefinition = {
  name: 'Created At',
  type: 'date',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  priority: 0,
};

/** Role Table (also used for ClusterRole). */
export const roleTable: TableConvertor = {
  columns: [nameColumn, createdAtColumn],
  cells: (obj) => [objName(obj), obj.metadata?.creationTimestamp ?? null],
};
