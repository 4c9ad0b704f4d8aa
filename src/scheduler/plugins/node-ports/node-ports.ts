/**
 * NodePorts, after pkg/scheduler/framework/plugins/nodeports/node_ports.go: a pod asking for
 * host ports fits a node only if none of them is taken there. A port conflicts with a used one of
 * the same protocol and number when either side binds 0.0.0.0 or both bind the same IP
 * (upstream HostPortInfo.CheckConflict).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Code, Status, type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin } from '../../framework/types.ts';

/** Plugin name. */
export const Name = 'NodePorts';
/** Reason when a requested host port is taken. */
export const ErrReason = "node(s) didn't have free ports for the requested pod ports";

const preFilterStateKey = 'PreFilter' + Name;

/** A wanted host port. */
export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

/** The pod's host ports (containers' ports with hostPort > 0); hostIP '' means 0.0.0.0, protocol '' means TCP. */
export function getContainerPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) out.push({ protocol: p.protocol || 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

/** True when `want` conflicts with a port in `used` (`protocol/ip/port` strings). */
export function checkConflict(used: ReadonlySet<string>, want: HostPort): boolean {
  for (const u of used) {
    const [protocol, ip, port] = u.split('/');
    if (protocol !== want.protocol || Number(port) !== want.port) continue;
    if (ip === '0.0.0.0' || want.hostIP === '0.0.0.0' || ip === want.hostIP) return true;
  }
  return false;
}

/** The NodePorts plugin. */
export class NodePorts implements PreFilterPlugin, FilterPlugin {
  name(): string {
    return Name;
  }

  /** Records the pod's wanted host ports. */
  preFilter(state: CycleState, pod: Pod): Status | undefined {
    state.write(preFilterStateKey, getContainerPorts(pod));
    return undefined;
  }

  /** Unschedulable with {@link ErrReason} when a wanted port is in use on the node. */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const wanted = state.read<HostPort[]>(preFilterStateKey) ?? getContainerPorts(pod);
    for (const w of wanted) if (checkConflict(nodeInfo.usedPorts, w)) return new Status(Code.Unschedulable, ErrReason);
    return undefined;
  }
}
