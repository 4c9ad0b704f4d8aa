/** LimitRange Table, after upstream printLimitRange: NAME, CREATED AT (RFC 3339, UTC). */
import type { TableConvertor } from '../../../resource-types.ts';
import { nameColumn, objName } from '../../../common/table.ts';

/** LimitRange Table. */
export const limitRangeTable: TableConvertor = {
  columns: [
    nameColumn,
    {
      name: 'Created At',
      type: 'date',
      format: '',
      description:
        'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
      priority: 0,
    },
  ],
  cells: (obj) => [objName(obj), obj.metadata?.creationTimestamp ?? '0001-01-01T00:00:00Z'],
};
