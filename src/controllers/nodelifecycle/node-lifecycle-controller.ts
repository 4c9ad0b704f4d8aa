/**
 * Node lifecycle controller, after pkg/controller/nodelifecycle/node_lifecycle_controller.go
 * (`monitorNodeHealth`, `tryUpdateNodeHealth`, `doNoExecuteTaintingPass`, `doNoScheduleTaintingPass`,
 * `MarkPodsNotReady` from pkg/controller/util/node).
 *
 * Every `monitorPeriodMs` (upstream --node-monitor-period, 5 s) each Node is checked:
 * - its probe timestamp is the local time at which the controller last saw its Lease in
 *   `kube-node-lease` renewed (`spec.renewTime` changed) or its Ready condition's
 *   `lastHeartbeatTime` change; a node seen for the first time gets "now" (so a restarted controller
 *   gives every node a full grace period, as upstream's nodeHealthMap starts empty);
 * - when `now > probe + gracePeriodMs` (upstream --node-monitor-grace-period, 40 s) the Ready,
 *   MemoryPressure, DiskPressure and PIDPressure conditions become Unknown with reason
 *   `NodeStatusUnknown`, message `Kubelet stopped posting node status.` (missing ones:
 *   `NodeStatusNeverUpdated` / `Kubelet never posted node status.`), written through `/status`;
 * - NoExecute taints follow Ready: False → `node.kubernetes.io/not-ready`, Unknown →
 *   `node.kubernetes.io/unreachable` (with `timeAdded`), True → neither;
 * - NoSchedule taints follow the conditions (TaintNodesByCondition): Ready False/Unknown →
 *   not-ready/unreachable, MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable True →
 *   memory-pressure/disk-pressure/pid-pressure/network-unavailable, and `spec.unschedulable` →
 *   `node.kubernetes.io/unschedulable`;
 * - pods bound to a node whose Ready is not True get their Ready condition set to False.
 *
 * Disruption handling is reduced to one zone: when every node is not Ready (upstream's
 * FullDisruption) no NoExecute taints are added and existing ones are removed, so losing the only
 * node (or the control plane's view of all of them) evicts nothing. Eviction itself is done by the
 * taint-eviction controller (taint-eviction-controller.ts).
 */
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { K } from '../../client/object-util.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Clock } from '../../client/workqueue.ts';
import { realClock } from '../../client/workqueue.ts';

type NodeObj = K<Node>;
type PodObj = K<Pod>;
type LeaseObj = KubeObject & { spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number } };

/** Taint keys set by the node lifecycle controller (k8s.io/api/core/v1 well_known_taints.go). */
export const TaintNodeNotReady = 'node.kubernetes.io/not-ready';
export const TaintNodeUnreachable = 'node.kubernetes.io/unreachable';
export const TaintNodeUnschedulable = 'node.kubernetes.io/unschedulable';
export const TaintNodeMemoryPressure = 'node.kubernetes.io/memory-pressure';
export const TaintNodeDiskPressure = 'node.kubernetes.io/disk-pressure';
export const TaintNodeNetworkUnavailable = 'node.kubernetes.io/network-unavailable';
export const TaintNodePIDPressure = 'node.kubernetes.io/pid-pressure';

/** Namespace holding the node heartbeat Leases. */
export const NodeLeaseNamespace = 'kube-node-lease';

/** Conditions the kubelet posts; set to Unknown when it stops (upstream nodeConditionTypes). */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** NoSchedule taint per condition type and status (upstream nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TaintNodeNotReady },
  { type: 'Ready', status: 'Unknown', key: TaintNodeUnreachable },
  { type: 'MemoryPressure', status: 'True', key: TaintNodeMemoryPressure },
  { type: 'DiskPressure', status: 'True', key: TaintNodeDiskPressure },
  { type: 'NetworkUnavailable', status: 'True', key: TaintNodeNetworkUnavailable },
  { type: 'PIDPressure', status: 'True', key: TaintNodePIDPressure },
];
const NO_SCHEDULE_KEYS = new Set([...CONDITION_TAINTS.map((c) => c.key), TaintNodeUnschedulable]);
const NO_EXECUTE_KEYS = new Set([TaintNodeNotReady, TaintNodeUnreachable]);

/** Options for {@link NodeLifecycleController}. */
export interface NodeLifecycleControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  logger?: Logger;
  /** ms without a Lease renewal / Ready heartbeat before a node is Unknown (default 40 000). */
  gracePeriodMs?: number;
  /** ms between health passes (default 5000). */
  monitorPeriodMs?: number;
  /** Clock for probe timestamps and the pass timer (tests inject a FakeClock). */
  clock?: Clock;
}

interface NodeHealth {
  /** Local ms when a heartbeat was last observed. */
  probeTimestamp: number;
  lastHeartbeat: string | undefined;
  lastRenew: string | undefined;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function condition(n: NodeObj, type: string): NodeCondition | undefined {
  return n.status?.conditions?.find((c) => c.type === type);
}

/**
 * The taints `node` should carry from the controller's point of view, given its (already updated)
 * conditions. Returns `{noSchedule, noExecute}` taint keys; `evict` false drops the NoExecute ones
 * (full disruption).
 */
export function desiredTaintKeys(node: NodeObj, evict = true): { noSchedule: string[]; noExecute: string[] } {
  const noSchedule: string[] = [];
  for (const ct of CONDITION_TAINTS) if (condition(node, ct.type)?.status === ct.status) noSchedule.push(ct.key);
  if (node.spec?.unschedulable) noSchedule.push(TaintNodeUnschedulable);
  const ready = condition(node, 'Ready')?.status;
  const noExecute = !evict ? [] : ready === 'False' ? [TaintNodeNotReady] : ready === 'Unknown' ? [TaintNodeUnreachable] : [];
  return { noSchedule, noExecute };
}

/**
 * `taints` with the controller-managed ones replaced by `want` (others kept in order); existing
 * taints that are still wanted keep their `timeAdded`. NoExecute taints get `timeAdded = nowMs`.
 * Returns undefined when nothing changes.
 */
export function reconcileTaints(taints: Taint[] | undefined, want: { noSchedule: string[]; noExecute: string[] }, nowMs: number): Taint[] | undefined {
  const cur = taints ?? [];
  const managed = (t: Taint) => (t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key)) || (t.effect === 'NoExecute' && NO_EXECUTE_KEYS.has(t.key));
  const wanted = (t: Taint) => (t.effect === 'NoSchedule' ? want.noSchedule.includes(t.key) : want.noExecute.includes(t.key));
  const out = cur.filter((t) => !managed(t) || wanted(t));
  let changed = out.length !== cur.length;
  for (const key of want.noSchedule) {
    if (!out.some((t) => t.key === key && t.effect === 'NoSchedule')) {
      out.push({ key, effect: 'NoSchedule' });
      changed = true;
    }
  }
  for (const key of want.noExecute) {
    if (!out.some((t) => t.key === key && t.effect === 'NoExecute')) {
      out.push({ key, effect: 'NoExecute', timeAdded: rfc3339(nowMs) });
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/** The node lifecycle controller; see the module comment. */
export class NodeLifecycleController {
  readonly client: Client;
  readonly nodeInformer: SharedInformer<NodeObj>;
  readonly leaseInformer: SharedInformer<LeaseObj>;
  readonly podInformer: SharedInformer<PodObj>;
  readonly gracePeriodMs: number;
  readonly monitorPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly health = new Map<string, NodeHealth>();

  constructor(opts: NodeLifecycleControllerOptions) {
    this.client = opts.client;
    this.log = opts.logger ?? defaultLogger;
    this.clock = opts.clock ?? realClock;
    this.gracePeriodMs = opts.gracePeriodMs ?? 40_000;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? 5000;
    this.nodeInformer = opts.factory.forResource<NodeObj>(GVR.nodes);
    this.leaseInformer = opts.factory.forResource<LeaseObj>(GVR.leases, { namespace: NodeLeaseNamespace });
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.nodeInformer.addEventHandler({ onDelete: (n) => this.health.delete((n as NodeObj).metadata?.name ?? '') });
  }

  /** Waits for the informers, then runs a health pass every `monitorPeriodMs` until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    for (const inf of [this.nodeInformer, this.leaseInformer, this.podInformer]) if (!(await inf.waitForSync(signal))) return;
    while (!signal.aborted) {
      try {
        await this.monitorNodeHealth();
      } catch (e) {
        this.log.warn({ controller: 'node-lifecycle', err: e instanceof Error ? e.message : e }, 'node health pass failed');
      }
      await new Promise<void>((resolve) => {
        const h = this.clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, this.monitorPeriodMs);
        const onAbort = () => {
          this.clock.clearTimeout(h);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /**
   * One pass over every Node: update health (conditions to Unknown past the grace period), then
   * taints, then pod readiness. Errors on one node are logged and the pass goes on (the next pass
   * retries).
   */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodeInformer.lister.list();
    const updated: NodeObj[] = [];
    for (const node of nodes) {
      try {
        updated.push(await this.tryUpdateNodeHealth(node));
      } catch (e) {
        if (!isNotFound(e)) this.log.warn({ node: node.metadata?.name, err: e instanceof Error ? e.message : e }, 'node health update failed');
      }
    }
    const fullDisruption = updated.length > 0 && updated.every((n) => condition(n, 'Ready')?.status !== 'True');
    for (const node of updated) {
      try {
        await this.syncTaints(node, !fullDisruption);
        if (condition(node, 'Ready')?.status !== 'True') await this.markPodsNotReady(node.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) this.log.warn({ node: node.metadata?.name, err: e instanceof Error ? e.message : e }, 'node taint/pod update failed');
      }
    }
  }

  /**
   * Records heartbeats seen for `node` and, past the grace period, writes its kubelet conditions as
   * Unknown. Returns the node as it now is (the written object, or the input).
   */
  async tryUpdateNodeHealth(node: NodeObj): Promise<NodeObj> {
    const name = node.metadata!.name!;
    const now = this.clock.now();
    const heartbeat = condition(node, 'Ready')?.lastHeartbeatTime;
    const renew = this.leaseInformer.lister.get(NodeLeaseNamespace, name)?.spec?.renewTime;
    let h = this.health.get(name);
    if (!h) {
      h = { probeTimestamp: now, lastHeartbeat: heartbeat, lastRenew: renew };
      this.health.set(name, h);
    } else {
      if (heartbeat !== h.lastHeartbeat || renew !== h.lastRenew) h.probeTimestamp = now;
      h.lastHeartbeat = heartbeat;
      h.lastRenew = renew;
    }
    if (now <= h.probeTimestamp + this.gracePeriodMs) return node;

    const nowStr = rfc3339(now);
    const conditions = [...(node.status?.conditions ?? [])];
    let changed = false;
    for (const type of KUBELET_CONDITIONS) {
      const i = conditions.findIndex((c) => c.type === type);
      if (i < 0) {
        conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: rfc3339(Date.parse(node.metadata?.creationTimestamp ?? nowStr)), lastTransitionTime: nowStr });
        changed = true;
      } else if (conditions[i]!.status !== 'Unknown') {
        conditions[i] = { ...conditions[i]!, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: nowStr };
        changed = true;
      }
    }
    if (!changed) return node;
    this.log.info({ node: name, graceMs: this.gracePeriodMs }, 'node stopped posting status; conditions set to Unknown');
    return (await this.client.update(GVR.nodes, undefined, { ...node, status: { ...(node.status ?? {}), conditions } } as KubeObject, { subresource: 'status' })) as NodeObj;
  }

  /** Brings the controller-managed taints of `node` in line with its conditions (one update; 409 retried next pass). */
  async syncTaints(node: NodeObj, evict: boolean): Promise<void> {
    const taints = reconcileTaints(node.spec?.taints, desiredTaintKeys(node, evict), this.clock.now());
    if (!taints) return;
    const spec = { ...(node.spec ?? {}) };
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
    await this.client.update(GVR.nodes, undefined, { ...node, spec } as KubeObject);
  }

  /**
   * Sets the Ready condition of every pod bound to `nodeName` to False (upstream
   * nodeutil.MarkPodsNotReady); pods already not ready are left alone.
   */
  async markPodsNotReady(nodeName: string): Promise<void> {
    for (const pod of this.podInformer.lister.list()) {
      if (pod.spec?.nodeName !== nodeName || pod.metadata?.deletionTimestamp) continue;
      const conds = pod.status?.conditions ?? [];
      const i = conds.findIndex((c) => c.type === 'Ready');
      if (i < 0 || conds[i]!.status === 'False') continue;
      const next = [...conds];
      next[i] = { ...conds[i]!, status: 'False', lastTransitionTime: rfc3339(this.clock.now()) };
      try {
        await this.client.update(GVR.pods, pod.metadata!.namespace, { ...pod, status: { ...pod.status, conditions: next } } as KubeObject, { subresource: 'status' });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
  }
}
