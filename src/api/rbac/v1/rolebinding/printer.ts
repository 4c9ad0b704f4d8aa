/**
 * RoleBinding and ClusterRoleBinding Tables, after upstream printRoleBinding /
 * printClusterRoleBinding: NAME, ROLE (`<kind>/<name>`), AGE; with -o wide USERS, GROUPS,
 * SERVICEACCOUNTS (comma+space joined, service accounts as `ns/name`).
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';
import { subjectsStrings } from '../policy.ts';

/** RoleBinding Table (also used for ClusterRoleBinding). */
export const roleBindingTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Role', 'string', 'Role references the Role being bound to.'),
    ageColumn,
    column('Users', 'string', 'Users in the roleBinding', 1),
    column('Groups', 'string', 'Groups in the roleBinding', 1),
    column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
  ],
  cells(obj, now) {
    const ref = rec((obj as Record<string, unknown>).roleRef);
    const s = subjectsStrings((obj as Record<string, unknown>).subjects);
    return [objName(obj), `${ref.kind ?? ''}/${ref.name ?? ''}`, objAge(obj, now), s.users.join(', '), s.groups.join(', '), s.serviceAccounts.join(', ')];
  },
};
