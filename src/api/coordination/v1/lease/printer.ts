/** Lease Table (upstream printLease): Name, Holder (spec.holderIdentity), Age. */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';

/** Lease Table. */
export const leaseTable: TableConvertor = {
  columns: [nameColumn, column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.'), ageColumn],
  cells: (obj, now) => [objName(obj), String(rec(obj.spec).holderIdentity ?? ''), objAge(obj, now)],
};
