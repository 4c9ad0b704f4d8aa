/**
 * NodeUnschedulable filter, after pkg/scheduler/framework/plugins/nodeunschedulable: a cordoned
 * node (`spec.unschedulable: true`) takes only pods tolerating the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Code, Status, type CycleState, type FilterPlugin, type NodeInfo } from '../../framework/types.ts';
import { tolerationsTolerateTaint } from '../taint-toleration/toleration.ts';
import { TaintNodeUnschedulable } from '../../../api/core/v1/well-known-taints.ts';

/** Plugin name. */
export const Name = 'NodeUnschedulable';
/** Reason for a cordoned node. */
export const ErrReasonUnschedulable = 'node(s) were unschedulable';
/** Reason when the node object is unknown. */
export const ErrReasonUnknownCondition = 'node(s) had unknown conditions';
/** The taint key equivalent to `spec.unschedulable` (upstream v1.TaintNodeUnschedulable), re-exported. */
export { TaintNodeUnschedulable };

/** The NodeUnschedulable plugin. */
export class NodeUnschedulable implements FilterPlugin {
  name(): string {
    return Name;
  }
  /** UnschedulableAndUnresolvable when the node is cordoned and the pod does not tolerate it. */
  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const node = nodeInfo.node;
    if (!node) return new Status(Code.UnschedulableAndUnresolvable, ErrReasonUnknownCondition);
    if (!node.spec?.unschedulable) return undefined;
    const tolerates = tolerationsTolerateTaint(pod.spec?.tolerations, { key: TaintNodeUnschedulable, effect: 'NoSchedule' });
    return tolerates ? undefined : new Status(Code.UnschedulableAndUnresolvable, ErrReasonUnschedulable);
  }
}
