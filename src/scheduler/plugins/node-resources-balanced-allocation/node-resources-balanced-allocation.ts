/**
 * NodeResourcesBalancedAllocation, after
 * pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go: prefers nodes whose cpu
 * and memory utilisation (requested / allocatable, pod included, each capped at 1) are close to
 * each other. Score = (1 - std) * 100 where, for two resources, std = |cpuFraction -
 * memoryFraction| / 2. Uses actual requests (no non-zero defaults); a pod requesting nothing is
 * skipped (PreScore returns Skip).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code,
  MaxNodeScore,
  Status,
  type CycleState,
  type NodeInfo,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/types.ts';
import { podRequests, type Resource } from '../../framework/resources.ts';

/** Plugin name. */
export const Name = 'NodeResourcesBalancedAllocation';
/** This plugin only scores; it never rejects a node. */
export const ErrReason = '';

const preScoreStateKey = 'PreScore' + Name;

/** Upstream balancedResourceScorer over (requested, allocatable) pairs. */
export function balancedResourceScore(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i] / allocatable[i]);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0] - fractions[1]) / 2);
  } else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MaxNodeScore);
}

/** The NodeResourcesBalancedAllocation plugin. */
export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  name(): string {
    return Name;
  }

  /** Skip when the pod requests neither cpu nor memory. */
  preScore(state: CycleState, pod: Pod): Status | undefined {
    const req = podRequests(pod);
    if (req.milliCPU === 0 && req.memory === 0) return new Status(Code.Skip);
    state.write(preScoreStateKey, req);
    return undefined;
  }

  /** (1 - std of cpu/memory utilisation) * 100. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    const req = state.read<Resource>(preScoreStateKey) ?? podRequests(pod);
    return balancedResourceScore(
      [nodeInfo.requested.milliCPU + req.milliCPU, nodeInfo.requested.memory + req.memory],
      [nodeInfo.allocatable.milliCPU, nodeInfo.allocatable.memory],
    );
  }
}
