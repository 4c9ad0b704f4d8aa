/**
 * NodeResourcesFit, after pkg/scheduler/framework/plugins/noderesources/fit.go and
 * least_allocated.go / resource_allocation.go.
 *
 * Filter (fitsRequest): the node must have room for one more pod ("Too many pods") and, for each
 * resource the pod requests (> 0), allocatable - already requested >= the pod's request
 * ("Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage",
 * "Insufficient <extended resource>"). All shortfalls are reported. The status is Unschedulable
 * (preemption might free room), or UnschedulableAndUnresolvable when some request exceeds the
 * node's whole allocatable.
 * Score (LeastAllocated, cpu and memory with weight 1): per resource
 * (allocatable - requested) * 100 / allocatable with the pod's request added and upstream's
 * non-zero defaults (100m / 200Mi) for containers without requests; averaged by weight.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code,
  MaxNodeScore,
  Status,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PreFilterPlugin,
  type ScorePlugin,
} from '../../framework/types.ts';
import { nonZeroRequests, podRequests, type Resource } from '../../framework/resources.ts';

/** Plugin name. */
export const Name = 'NodeResourcesFit';
/** Reason template for a missing resource: "Insufficient <resource>". */
export const ErrReason = 'Insufficient %s';
/** Reason when the node is at its pod limit. */
export const ErrReasonTooManyPods = 'Too many pods';

const preFilterStateKey = 'PreFilter' + Name;

/** One resource the node lacks (upstream InsufficientResource). */
export interface InsufficientResource {
  resourceName: string;
  reason: string;
  /** Amount requested by the pod (millicores for cpu, bytes for memory, count for pods). */
  requested: number;
  used: number;
  capacity: number;
  /** True when even an empty node could not fit the request (preemption cannot help). */
  unresolvable: boolean;
}

/**
 * Every resource of `nodeInfo` that cannot take a pod requesting `podRequest`
 * (upstream fitsRequest). Empty when the pod fits.
 */
export function fitsRequest(podRequest: Resource, nodeInfo: NodeInfo): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.pods) {
    out.push({ resourceName: 'pods', reason: ErrReasonTooManyPods, requested: 1, used: nodeInfo.pods.length, capacity: alloc.pods, unresolvable: false });
  }
  if (podRequest.milliCPU === 0 && podRequest.memory === 0 && podRequest.ephemeralStorage === 0 && Object.values(podRequest.scalar).every((v) => v === 0)) {
    return out;
  }
  const check = (name: string, req: number, a: number, u: number) => {
    if (req > 0 && req > a - u) {
      out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: req, used: u, capacity: a, unresolvable: req > a });
    }
  };
  check('cpu', podRequest.milliCPU, alloc.milliCPU, used.milliCPU);
  check('memory', podRequest.memory, alloc.memory, used.memory);
  check('ephemeral-storage', podRequest.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  for (const [name, req] of Object.entries(podRequest.scalar)) {
    check(name, req, alloc.scalar[name] ?? 0, used.scalar[name] ?? 0);
  }
  return out;
}

/** Upstream leastRequestedScore: (capacity - requested) * 100 / capacity, 0 when over capacity. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MaxNodeScore) / capacity);
}

/** The NodeResourcesFit plugin (LeastAllocated scoring strategy). */
export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  name(): string {
    return Name;
  }

  /** Computes the pod's requests once per cycle. */
  preFilter(state: CycleState, pod: Pod): Status | undefined {
    state.write(preFilterStateKey, podRequests(pod));
    return undefined;
  }

  /** Rejects nodes lacking room; see the file comment for codes and reasons. */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const req = state.read<Resource>(preFilterStateKey) ?? podRequests(pod);
    const insufficient = fitsRequest(req, nodeInfo);
    if (!insufficient.length) return undefined;
    const code = insufficient.some((r) => r.unresolvable) ? Code.UnschedulableAndUnresolvable : Code.Unschedulable;
    return new Status(code, ...insufficient.map((r) => r.reason));
  }

  /** LeastAllocated score of cpu and memory (weights 1 and 1). */
  score(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    const podReq = nonZeroRequests(pod);
    const cpu = leastRequestedScore(nodeInfo.nonZeroRequested.milliCPU + podReq.milliCPU, nodeInfo.allocatable.milliCPU);
    const mem = leastRequestedScore(nodeInfo.nonZeroRequested.memory + podReq.memory, nodeInfo.allocatable.memory);
    return Math.trunc((cpu + mem) / 2);
  }
}
