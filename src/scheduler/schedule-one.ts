/**
 * One scheduling decision, after pkg/scheduler/schedule_one.go (`schedulePod`,
 * `findNodesThatFitPod`, `prioritizeNodes`, `selectHost`). Synchronous: the caller passes the
 * cache's live NodeInfos and must assume the result before the next await.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Framework } from './framework/runtime.ts';
import { Code, CycleState, ErrNoNodesAvailable, FitError, NoNodeAvailableMsg, type Diagnosis, type NodeInfo, type Status } from './framework/types.ts';

/** Result of {@link schedulePod}. */
export interface ScheduleResult {
  suggestedHost: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** Thrown when the cluster has no nodes at all (message: "no nodes available to schedule pods"). */
export class NoNodesAvailableError extends Error {
  constructor() {
    super(ErrNoNodesAvailable);
    this.name = 'NoNodesAvailableError';
  }
}

/** "Preemption is not helpful for scheduling" — upstream's reason for nodes preemption cannot fix. */
export const PreemptionNotHelpful = 'Preemption is not helpful for scheduling';
/** Upstream's reason for nodes where no lower-priority pod could be evicted. */
export const NoPreemptionVictims = 'No preemption victims found for incoming pod';

/**
 * The PostFilter (preemption) message for a pod that fits no node, as upstream DefaultPreemption
 * reports it when it finds no candidate: `preemption: 0/N nodes are available: <histogram>` where
 * nodes rejected as UnschedulableAndUnresolvable count as "Preemption is not helpful for
 * scheduling" and the rest as "No preemption victims found for incoming pod"; or
 * `preemption: not eligible due to preemptionPolicy=Never` for such pods.
 * Skiff does not evict victims (no preemption yet), so every Unschedulable node reports no victims.
 */
export function preemptionMessage(pod: Pod, numAllNodes: number, nodeToStatus: Map<string, Status>): string {
  if (pod.spec?.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never';
  const hist = new Map<string, number>();
  for (const st of nodeToStatus.values()) {
    const r = st.code === Code.Unschedulable ? NoPreemptionVictims : PreemptionNotHelpful;
    hist.set(r, (hist.get(r) ?? 0) + 1);
  }
  const parts = [...hist].map(([r, n]) => `${n} ${r}`).sort();
  return `preemption: ${NoNodeAvailableMsg(numAllNodes)}: ${parts.join(', ')}`;
}

/**
 * Picks a node for `pod` among `nodes` (the cache's NodeInfos with node objects).
 * Throws {@link NoNodesAvailableError} when `nodes` is empty, {@link FitError} when no node passes
 * the filters, or Error when a plugin errors. Ties between the best scores are broken uniformly at
 * random with `random` (reservoir sampling, as upstream selectHost).
 */
export function schedulePod(fwk: Framework, pod: Pod, nodes: NodeInfo[], random: () => number = Math.random): ScheduleResult {
  if (!nodes.length) throw new NoNodesAvailableError();
  const state = new CycleState();
  const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set() };

  const pre = fwk.runPreFilterPlugins(state, pod, nodes);
  if (pre) {
    if (pre.code === Code.Error) throw new Error(pre.message());
    for (const n of nodes) diagnosis.nodeToStatus.set(n.name, pre);
    diagnosis.preFilterMsg = pre.message();
    diagnosis.unschedulablePlugins.add(pre.plugin);
    diagnosis.postFilterMsg = preemptionMessage(pod, nodes.length, diagnosis.nodeToStatus);
    throw new FitError(pod, nodes.length, diagnosis);
  }

  const feasible: NodeInfo[] = [];
  for (const n of nodes) {
    const st = fwk.runFilterPlugins(state, pod, n);
    if (!st) {
      feasible.push(n);
      continue;
    }
    if (st.code === Code.Error) throw new Error(st.message());
    diagnosis.nodeToStatus.set(n.name, st);
    diagnosis.unschedulablePlugins.add(st.plugin);
  }
  if (!feasible.length) {
    diagnosis.postFilterMsg = preemptionMessage(pod, nodes.length, diagnosis.nodeToStatus);
    throw new FitError(pod, nodes.length, diagnosis);
  }
  if (feasible.length === 1) return { suggestedHost: feasible[0].name, evaluatedNodes: nodes.length, feasibleNodes: 1 };

  const totals = fwk.runScorePlugins(state, pod, feasible);
  return { suggestedHost: selectHost(feasible, totals, random), evaluatedNodes: nodes.length, feasibleNodes: feasible.length };
}

/** The highest-scoring node; ties broken uniformly at random (reservoir sampling). */
export function selectHost(nodes: NodeInfo[], scores: number[], random: () => number = Math.random): string {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    if (scores[i] > scores[best]) {
      best = i;
      ties = 1;
    } else if (scores[i] === scores[best]) {
      ties++;
      if (random() * ties < 1) best = i;
    }
  }
  return nodes[best].name;
}
