/**
 * NodeAffinity, after pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go and
 * k8s.io/component-helpers/scheduling/corev1/nodeaffinity.
 * Filter: the node's labels must match `spec.nodeSelector` (every pair) and, when set,
 * `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution` (any of the
 * nodeSelectorTerms; within a term every matchExpression (In, NotIn, Exists, DoesNotExist, Gt,
 * Lt) and matchField (metadata.name In/NotIn) must hold; a term with neither matches nothing).
 * Rejection: UnschedulableAndUnresolvable "node(s) didn't match Pod's node affinity/selector".
 * Score: sum of the weights of matching preferredDuringScheduling terms, normalised to 0..100.
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';
import { Code, MaxNodeScore, Status, type CycleState, type FilterPlugin, type NodeInfo, type ScorePlugin } from '../../framework/types.ts';
import { defaultNormalizeScore } from '../helper/normalize-score.ts';

/** Plugin name. */
export const Name = 'NodeAffinity';
/** Reason when the node does not match the pod's nodeSelector / required node affinity. */
export const ErrReason = "node(s) didn't match Pod's node affinity/selector";

const INT = /^-?\d+$/;

/** True when `labels` satisfy one NodeSelectorRequirement (label expressions). */
export function matchesRequirement(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(v);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || (r.values ?? []).length !== 1 || !INT.test(v) || !INT.test(r.values![0])) return false;
      const a = BigInt(v);
      const b = BigInt(r.values![0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** True when `node` matches the term (expressions on labels, fields on metadata.name). */
export function matchesTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
  if (!exprs.every((r) => matchesRequirement(r, labels))) return false;
  const nodeFields: Record<string, string> = { 'metadata.name': node.metadata?.name ?? '' };
  return fields.every((r) => r.key === 'metadata.name' && matchesRequirement(r, nodeFields));
}

/** Upstream GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required terms. */
export function matchesRequiredNodeAffinity(pod: Pod, node: Node): boolean {
  const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) return (req.nodeSelectorTerms ?? []).some((t) => matchesTerm(t, node));
  return true;
}

/** The NodeAffinity plugin. */
export class NodeAffinity implements FilterPlugin, ScorePlugin {
  name(): string {
    return Name;
  }

  /** UnschedulableAndUnresolvable with {@link ErrReason} when the node does not match. */
  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    if (!nodeInfo.node) return new Status(Code.UnschedulableAndUnresolvable, 'node not found');
    return matchesRequiredNodeAffinity(pod, nodeInfo.node) ? undefined : new Status(Code.UnschedulableAndUnresolvable, ErrReason);
  }

  /** Sum of weights of matching preferred terms. */
  score(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    let s = 0;
    const node = nodeInfo.node;
    if (!node) return 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight && matchesTerm(p.preference, node)) s += p.weight;
    }
    return s;
  }

  /** Scales to 0..100 by the highest score. */
  normalizeScore(_state: CycleState, _pod: Pod, scores: number[]): void {
    defaultNormalizeScore(MaxNodeScore, false, scores);
  }
}
