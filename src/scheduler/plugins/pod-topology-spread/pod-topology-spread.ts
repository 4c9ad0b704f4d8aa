/**
 * PodTopologySpread filter, after pkg/scheduler/framework/plugins/podtopologyspread (filtering.go,
 * common.go). Only `whenUnsatisfiable: DoNotSchedule` constraints are enforced.
 *
 * PreFilter: for each hard constraint, count the pods matching its selector (same namespace as the
 * incoming pod, not terminating) per topology domain (value of the node label `topologyKey`),
 * over the eligible nodes: nodes carrying every constraint's topology key, matching the pod's
 * nodeSelector/required node affinity (nodeAffinityPolicy Honor, the default) and, with
 * nodeTaintsPolicy Honor, whose NoSchedule/NoExecute taints the pod tolerates. The constraint's
 * minimum is the smallest domain count (0 when fewer domains than `minDomains` exist).
 * Filter: a node without the topology label is UnschedulableAndUnresolvable ("node(s) didn't match
 * pod topology spread constraints (missing required label)"); a node where
 * count(domain) + (1 if the pod matches the selector) - minimum > maxSkew is Unschedulable
 * ("node(s) didn't match pod topology spread constraints").
 * `matchLabelKeys` adds `key in (pod's value)` to the selector. ScheduleAnyway constraints and
 * default (cluster-level) constraints, which only affect scoring, are not implemented.
 */
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector, type Selector } from '../../../client/selectors.ts';
import { Code, Status, type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin } from '../../framework/types.ts';
import { matchesRequiredNodeAffinity } from '../node-affinity/node-affinity.ts';
import { findMatchingUntoleratedTaint } from '../taint-toleration/toleration.ts';

/** Plugin name. */
export const Name = 'PodTopologySpread';
/** Reason when placing the pod on the node would exceed maxSkew. */
export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
/** Reason when the node lacks a constraint's topology label. */
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)';
/** The plugin's main reason. */
export const ErrReason = ErrReasonConstraintsNotMatch;

const preFilterStateKey = 'PreFilter' + Name;

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  honorTaints: boolean;
  honorAffinity: boolean;
}

interface PreFilterState {
  constraints: Constraint[];
  /** per constraint: domain value → matching pod count */
  counts: Map<string, number>[];
  /** per constraint: minimum count over domains */
  minimums: number[];
}

function compile(pod: Pod, c: TopologySpreadConstraint): Constraint {
  let ls = c.labelSelector;
  if (ls && c.matchLabelKeys?.length) {
    const podLabels = pod.metadata?.labels ?? {};
    const extra = c.matchLabelKeys.filter((k) => k in podLabels).map((k) => ({ key: k, operator: 'In', values: [podLabels[k]] }));
    ls = { ...ls, matchExpressions: [...(ls.matchExpressions ?? []), ...extra] };
  }
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector: labelSelectorAsSelector(ls),
    minDomains: c.minDomains ?? 1,
    honorTaints: c.nodeTaintsPolicy === 'Honor',
    honorAffinity: c.nodeAffinityPolicy !== 'Ignore',
  };
}

/** The PodTopologySpread plugin (hard constraints). */
export class PodTopologySpread implements PreFilterPlugin, FilterPlugin {
  name(): string {
    return Name;
  }

  /** Counts matching pods per domain for every DoNotSchedule constraint. */
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status | undefined {
    const constraints = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule').map((c) => compile(pod, c));
    const s: PreFilterState = { constraints, counts: constraints.map(() => new Map()), minimums: [] };
    if (constraints.length) {
      const ns = pod.metadata?.namespace ?? '';
      for (const ni of nodes) {
        const node = ni.node;
        if (!node) continue;
        const labels = (node.metadata?.labels ?? {}) as Record<string, string>;
        if (!constraints.every((c) => c.topologyKey in labels)) continue;
        constraints.forEach((c, i) => {
          if (c.honorAffinity && !matchesRequiredNodeAffinity(pod, node)) return;
          if (c.honorTaints && findMatchingUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return;
          const domain = labels[c.topologyKey];
          let n = 0;
          for (const pi of ni.pods) {
            const p = pi.pod;
            if (p.metadata?.deletionTimestamp || (p.metadata?.namespace ?? '') !== ns) continue;
            if (c.selector.matches(p.metadata?.labels ?? {})) n++;
          }
          s.counts[i].set(domain, (s.counts[i].get(domain) ?? 0) + n);
        });
      }
      s.minimums = constraints.map((c, i) => {
        const m = s.counts[i];
        if (m.size < c.minDomains) return 0;
        let min = Infinity;
        for (const v of m.values()) min = Math.min(min, v);
        return min === Infinity ? 0 : min;
      });
    }
    state.write(preFilterStateKey, s);
    return undefined;
  }

  /** Rejects nodes missing a topology label or where the skew would exceed maxSkew. */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const s = state.read<PreFilterState>(preFilterStateKey);
    if (!s) return new Status(Code.Error, `reading "${preFilterStateKey}" from cycleState: not found`);
    const labels = (nodeInfo.node?.metadata?.labels ?? {}) as Record<string, string>;
    const podLabels = pod.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const domain = labels[c.topologyKey];
      if (domain === undefined) return new Status(Code.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch);
      const selfMatch = c.selector.matches(podLabels) ? 1 : 0;
      const skew = (s.counts[i].get(domain) ?? 0) + selfMatch - s.minimums[i];
      if (skew > c.maxSkew) return new Status(Code.Unschedulable, ErrReasonConstraintsNotMatch);
    }
    return undefined;
  }
}
