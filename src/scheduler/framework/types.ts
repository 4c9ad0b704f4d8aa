/**
 * The scheduling framework's types, after k8s.io/kubernetes/pkg/scheduler/framework
 * (`interface.go`: Code, Status, plugin interfaces; `cycle_state.go`: CycleState; `types.go`:
 * NodeInfo, Resource, FitError/Diagnosis).
 *
 * A scheduling cycle for one pod runs PreFilter plugins once, Filter plugins per node (stopping at
 * the first plugin that rejects the node), then Score plugins on the feasible nodes; each score
 * plugin may normalise its scores to 0..{@link MaxNodeScore}; the weighted sum picks the node.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import {
  addResource,
  emptyResource,
  nonZeroRequests,
  podRequests,
  resourceFromList,
  subResource,
  type Resource,
} from './resources.ts';

/** Highest score a plugin may give a node after normalisation (upstream framework.MaxNodeScore). */
export const MaxNodeScore = 100;
/** Lowest score (upstream framework.MinNodeScore). */
export const MinNodeScore = 0;

/**
 * Status codes (upstream framework.Code).
 * - Success: the plugin ran and the pod may proceed.
 * - Error: an internal error; the pod is retried with back-off.
 * - Unschedulable: the node cannot take the pod now; preemption might help.
 * - UnschedulableAndUnresolvable: the node cannot take the pod and preemption will not help.
 * - Skip: (PreFilter/PreScore) the plugin has nothing to do for this pod.
 */
export enum Code {
  Success = 0,
  Error = 1,
  Unschedulable = 2,
  UnschedulableAndUnresolvable = 3,
  Wait = 4,
  Skip = 5,
}

/** The result of running a plugin: a code, reasons (user-facing messages) and the plugin's name. */
export class Status {
  /** Name of the plugin that produced a non-success status (set by the framework). */
  plugin = '';
  readonly reasons: string[];
  constructor(
    readonly code: Code,
    ...reasons: string[]
  ) {
    this.reasons = reasons;
  }
  /** True for Success (an absent status is Success too: see {@link isSuccess}). */
  isSuccess(): boolean {
    return this.code === Code.Success;
  }
  /** True for Unschedulable and UnschedulableAndUnresolvable. */
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }
  /** Reasons joined with ", " (upstream Status.Message). */
  message(): string {
    return this.reasons.join(', ');
  }
  /** Returns this status with `plugin` set. */
  withPlugin(name: string): Status {
    this.plugin = name;
    return this;
  }
}

/** Convenience constructors. */
export const success = (): Status => new Status(Code.Success);
/** True when `s` is undefined (plugins return undefined for success) or has code Success. */
export const isSuccess = (s: Status | undefined | void): boolean => !s || s.code === Code.Success;

/**
 * Per-cycle scratch space shared by the plugins of one scheduling cycle (upstream CycleState):
 * PreFilter writes, Filter/Score read. Keys are plugin-specific strings.
 */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Stores `value` under `key`. */
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  /** Reads `key`; undefined when absent. */
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
}

/** A pod with its computed requests (cached per pod object). */
export interface PodInfo {
  pod: Pod;
  /** Effective requests (PodRequests: containers summed, init-container max rule, overhead). */
  requests: Resource;
  /** Requests with upstream's non-zero defaults (100m cpu / 200Mi memory per container without requests), for scoring. */
  nonZeroRequests: Resource;
}

/** Builds a {@link PodInfo}. */
export function newPodInfo(pod: Pod): PodInfo {
  return { pod, requests: podRequests(pod), nonZeroRequests: nonZeroRequests(pod) };
}

/**
 * A node plus the pods assigned (or assumed) to it, and their aggregated requests
 * (upstream framework.NodeInfo). Units: cpu in millicores, memory/ephemeral-storage in bytes,
 * pods as a count; scalar (extended) resources in their own integer units.
 */
export class NodeInfo {
  readonly pods: PodInfo[] = [];
  /** Sum of the pods' requests. */
  readonly requested: Resource = emptyResource();
  /** Sum of the pods' non-zero requests (for scoring). */
  readonly nonZeroRequested: Resource = emptyResource();
  /** Node allocatable (status.allocatable, falling back to status.capacity). */
  allocatable: Resource = emptyResource();
  /** Host ports in use: `protocol/hostIP/port`. */
  readonly usedPorts = new Set<string>();

  constructor(public node: Node | undefined = undefined) {
    if (node) this.setNode(node);
  }

  /** Node name ('' when the node object is unknown). */
  get name(): string {
    return this.node?.metadata?.name ?? '';
  }

  /** Sets the node object and recomputes allocatable. */
  setNode(node: Node): void {
    this.node = node;
    const alloc = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, string | number>;
    this.allocatable = resourceFromList(alloc);
  }

  /** Adds a pod's requests (and host ports). */
  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    addResource(this.requested, pi.requests);
    addResource(this.nonZeroRequested, pi.nonZeroRequests);
    this.requested.pods += 1;
    this.nonZeroRequested.pods += 1;
    for (const p of hostPorts(pi.pod)) this.usedPorts.add(p);
  }

  /** Removes a pod (by uid, or namespace/name when no uid); returns true if it was there. */
  removePod(pod: Pod): boolean {
    const key = podKey(pod);
    const i = this.pods.findIndex((p) => podKey(p.pod) === key);
    if (i < 0) return false;
    const [pi] = this.pods.splice(i, 1);
    subResource(this.requested, pi.requests);
    subResource(this.nonZeroRequested, pi.nonZeroRequests);
    this.requested.pods -= 1;
    this.nonZeroRequested.pods -= 1;
    this.usedPorts.clear();
    for (const p of this.pods) for (const hp of hostPorts(p.pod)) this.usedPorts.add(hp);
    return true;
  }

  /** A copy whose pod list and sums can be changed independently (for snapshots). */
  clone(): NodeInfo {
    const n = new NodeInfo();
    n.node = this.node;
    n.allocatable = { ...this.allocatable, scalar: { ...this.allocatable.scalar } };
    for (const p of this.pods) n.addPod(p);
    return n;
  }
}

/** Identity of a pod: its uid, or namespace/name when it has none. */
export function podKey(pod: Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** `protocol/hostIP/port` for every container port with a hostPort. */
function hostPorts(pod: Pod): string[] {
  const out: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push(`${p.protocol || 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
    }
  }
  return out;
}

/** PreFilter: runs once per pod before Filter; may reject the pod for all nodes or store state. */
export interface PreFilterPlugin {
  name(): string;
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status | undefined;
}

/** Filter: decides whether one node can run the pod. Return undefined or Success to accept. */
export interface FilterPlugin {
  name(): string;
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined;
}

/** PreScore: runs once before Score on the feasible nodes. */
export interface PreScorePlugin {
  name(): string;
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status | undefined;
}

/** Score: ranks one feasible node (any integer); optional normalizeScore maps scores to 0..100. */
export interface ScorePlugin {
  name(): string;
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number;
  /** Rewrites `scores` (same order as `nodes`) in place to the 0..MaxNodeScore range. */
  normalizeScore?(state: CycleState, pod: Pod, scores: number[]): void;
}

/** Any plugin. */
export type Plugin = PreFilterPlugin | FilterPlugin | PreScorePlugin | ScorePlugin;

/** Per-node filter outcome of a failed scheduling attempt (upstream framework.Diagnosis). */
export interface Diagnosis {
  /** Node name → the status that rejected it. */
  nodeToStatus: Map<string, Status>;
  /** Message of a PreFilter rejection (then every node shares that status). */
  preFilterMsg?: string;
  /** Message of PostFilter (preemption). */
  postFilterMsg?: string;
  /** Plugins that rejected nodes (for queueing hints). */
  unschedulablePlugins: Set<string>;
}

/** "0/%v nodes are available" (upstream NoNodeAvailableMsg). */
export const NoNodeAvailableMsg = (n: number) => `0/${n} nodes are available`;

/** "no nodes available to schedule pods" (upstream ErrNoNodesAvailable). */
export const ErrNoNodesAvailable = 'no nodes available to schedule pods';

/**
 * The pod fits no node (upstream framework.FitError). `message` is upstream's form:
 * `0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: …`
 * — per-reason node counts, each as "<count> <reason>", sorted as strings, joined by ", ".
 */
export class FitError extends Error {
  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super('');
    this.name = 'FitError';
    this.message = this.render();
  }

  private render(): string {
    let msg = `${NoNodeAvailableMsg(this.numAllNodes)}:`;
    const d = this.diagnosis;
    if (d.preFilterMsg) {
      msg += ` ${d.preFilterMsg}.`;
    } else {
      const histogram = new Map<string, number>();
      for (const st of d.nodeToStatus.values()) for (const r of st.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
      const parts = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
      if (parts.length) msg += ` ${parts.join(', ')}.`;
    }
    if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
    return msg;
  }
}
