/**
 * Node Table, after upstream printNode: STATUS from the Ready condition (`Ready`, `NotReady`,
 * `Unknown`) plus `SchedulingDisabled` when cordoned; ROLES from `node-role.kubernetes.io/<role>`
 * and `kubernetes.io/role` labels; VERSION (kubeletVersion); wide INTERNAL-IP, EXTERNAL-IP,
 * OS-IMAGE, KERNEL-VERSION, CONTAINER-RUNTIME.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

const labelNodeRolePrefix = 'node-role.kubernetes.io/';
const nodeLabelRole = 'kubernetes.io/role';

/** `findNodeRoles`: sorted, de-duplicated role names. */
export function findNodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (k.startsWith(labelNodeRolePrefix)) {
      const role = k.slice(labelNodeRolePrefix.length);
      if (role) roles.add(role);
    } else if (k === nodeLabelRole && v) roles.add(v);
  }
  return [...roles].sort();
}

/** The STATUS cell: `Ready`, `NotReady`, `Unknown`, with `,SchedulingDisabled` when unschedulable. */
export function nodeStatusString(node: KubeObject): string {
  const status: string[] = [];
  const ready = arr(rec(node.status).conditions).find((c) => rec(c).type === 'Ready');
  if (ready) status.push(rec(ready).status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (rec(node.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const a = arr(rec(node.status).addresses).find((x) => rec(x).type === type);
  return a ? String(rec(a).address ?? '') : '<none>';
}

/** Node Table: Name, Status, Roles, Age, Version, (wide) Internal-IP, External-IP, OS-Image, Kernel-Version, Container-Runtime. */
export const nodeTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
    column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(obj, now) {
    const info = rec(rec(obj.status).nodeInfo);
    const roles = findNodeRoles(obj).join(',') || '<none>';
    return [
      objName(obj),
      nodeStatusString(obj),
      roles,
      objAge(obj, now),
      String(info.kubeletVersion ?? ''),
      nodeAddress(obj, 'InternalIP'),
      nodeAddress(obj, 'ExternalIP'),
      String(info.osImage ?? '') || '<unknown>',
      String(info.kernelVersion ?? '') || '<unknown>',
      String(info.containerRuntimeVersion ?? '') || '<unknown>',
    ];
  },
};
