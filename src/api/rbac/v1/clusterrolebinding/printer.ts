/** ClusterRoleBinding Table, after upstream printClusterRoleBinding: same columns as RoleBinding. */
import type { TableConvertor } from '../../../resource-types.ts';
import { roleBindingTable } from '../rolebinding/printer.ts';

/** ClusterRoleBinding Table. */
export const clusterRoleBindingTable: TableConvertor = roleBindingTable;
