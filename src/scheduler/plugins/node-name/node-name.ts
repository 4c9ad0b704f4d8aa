/**
 * NodeName filter, after pkg/scheduler/framework/plugins/nodename/node_name.go: a pod that names a
 * node in `spec.nodeName` fits only that node.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Code, Status, type CycleState, type FilterPlugin, type NodeInfo } from '../../framework/types.ts';

/** Plugin name. */
export const Name = 'NodeName';
/** Reason when the pod asks for another node. */
export const ErrReason = "node(s) didn't match the requested node name";

/** True when the pod names no node or names this one (upstream Fits). */
export function fits(pod: Pod, nodeInfo: NodeInfo): boolean {
  const want = pod.spec?.nodeName;
  return !want || want === nodeInfo.name;
}

/** The NodeName plugin. */
export class NodeName implements FilterPlugin {
  name(): string {
    return Name;
  }
  /** UnschedulableAndUnresolvable with {@link ErrReason} when the pod names another node. */
  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    return fits(pod, nodeInfo) ? undefined : new Status(Code.UnschedulableAndUnresolvable, ErrReason);
  }
}
