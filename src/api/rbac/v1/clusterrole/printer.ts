/** ClusterRole Table, after upstream printClusterRole: NAME, CREATED AT (same columns as Role). */
import type { TableConvertor } from '../../../resource-types.ts';
import { roleTable } from '../role/printer.ts';

/** ClusterRole Table. */
export const clusterRoleTable: TableConvertor = roleTable;
