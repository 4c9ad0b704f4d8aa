/**
 * Node lifecycle controller, after pkg/controller/nodelifecycle/node_lifecycle_controller.go
 * (`monitorNodeHealth`, `tryUpdateNodeHealth`, `processTaintBaseEviction`, `handleDisruption`,
 * `doNoExecuteTaintingPass`, `doNoScheduleTaintingPass`, `ComputeZoneState`, and from
 * pkg/controller/util/node `MarkPodsNotReady`, `RecordNodeEvent`, `RecordNodeStatusChange`).
 *
 * Every `monitorPeriodMs` (upstream --node-monitor-period, 5 s) each Node is checked:
 * - nodes seen for the first time get a `RegisteredNode` Event ("Node <n> event: Registered Node
 *   <n> in Controller"), vanished ones `RemovingNode` ("… Removing Node <n> from Controller");
 * - its probe timestamp is the local time at which the controller last saw its Lease in
 *   `kube-node-lease` renewed (`spec.renewTime` changed) or its Ready condition's
 *   `lastHeartbeatTime` change; a node seen for the first time gets "now" (so a restarted controller
 *   gives every node a full grace period, as upstream's nodeHealthMap starts empty), except a node
 *   that never posted a Ready condition, which is measured from its creationTimestamp against
 *   `startupGracePeriodMs` (upstream --node-startup-grace-period, 60 s);
 * - when `now > probe + gracePeriodMs` (upstream --node-monitor-grace-period, 50 s since 1.32) the
 *   Ready, MemoryPressure, DiskPressure and PIDPressure conditions become Unknown with reason
 *   `NodeStatusUnknown`, message `Kubelet stopped posting node status.` (missing ones:
 *   `NodeStatusNeverUpdated` / `Kubelet never posted node status.`), written through `/status`;
 * - on the Ready True → not True transition the Node gets a `NodeNotReady` Event ("Node <n> status
 *   is now: NodeNotReady") and its pods' Ready condition is set to False, each with a Warning
 *   `NodeNotReady` "Node is not ready" Event;
 * - NoSchedule taints follow the conditions (TaintNodesByCondition): Ready False/Unknown →
 *   not-ready/unreachable, MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable True →
 *   memory-pressure/disk-pressure/pid-pressure/network-unavailable, `spec.unschedulable` →
 *   `node.kubernetes.io/unschedulable`;
 * - NoExecute taints follow the Ready condition observed at the start of the pass: Ready True
 *   removes them at once; a not-ready ↔ unreachable swap is immediate; otherwise the node joins
 *   its zone's rate-limited tainting queue (see rate-limited-queue.ts), drained every 100 ms.
 *
 * Zones (`topology.kubernetes.io/region` + `zone` labels, beta labels as fallback; nodes labelled
 * `node.kubernetes.io/exclude-disruption` are not counted) are Normal, PartialDisruption (more
 * than 2 nodes and ≥ `unhealthyZoneThreshold` (0.55) of them not Ready) or FullDisruption (none
 * Ready). Tainting runs at `evictionRate` (--node-eviction-rate, 0.1 nodes/s) in Normal and
 * FullDisruption zones; in PartialDisruption at `secondaryEvictionRate` (0.01/s) when the zone has
 * more than `largeClusterSizeThreshold` (50) nodes, else not at all. When every zone is fully
 * disrupted, all NoExecute taints are removed and tainting stops (so losing the only node, or the
 * control plane's view of all of them, evicts nothing); leaving that state resets every probe
 * timestamp. Eviction itself is done by the taint-eviction controller (taint-eviction-controller.ts).
 */
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { K } from '../../client/object-util.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Clock } from '../../client/workqueue.ts';
import { realClock } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/record.ts';
import { RateLimitedTimedQueue } from './rate-limited-queue.ts';
import {
  TaintNodeDiskPressure,
  TaintNodeMemoryPressure,
  TaintNodeNetworkUnavailable,
  TaintNodeNotReady,
  TaintNodePIDPressure,
  TaintNodeUnreachable,
  TaintNodeUnschedulable,
} from '../../api/core/v1/well-known-taints.ts';

type NodeObj = K<Node>;
type PodObj = K<Pod>;
type LeaseObj = KubeObject & { spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number } };

/** Taint keys set by the node lifecycle controller, re-exported from src/api/core/v1/well-known-taints.ts. */
export { TaintNodeDiskPressure, TaintNodeMemoryPressure, TaintNodeNetworkUnavailable, TaintNodeNotReady, TaintNodePIDPressure, TaintNodeUnreachable, TaintNodeUnschedulable };

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
  /** Events (component `node-controller` upstream); none when absent. */
  recorder?: EventRecorder;
  /** ms without a Lease renewal / Ready heartbeat before a node is Unknown (default 50 000). */
  gracePeriodMs?: number;
  /** ms a node that never posted a Ready condition gets from its creation (default 60 000). */
  startupGracePeriodMs?: number;
  /** ms between health passes (default 5000). */
  monitorPeriodMs?: number;
  /** Nodes tainted per second per zone in normal operation (default 0.1). */
  evictionRate?: number;
  /** Nodes tainted per second in a partially disrupted zone larger than largeClusterSizeThreshold (default 0.01). */
  secondaryEvictionRate?: number;
  /** Zone size above which a partial disruption still taints at the secondary rate (default 50). */
  largeClusterSizeThreshold?: number;
  /** Fraction of not-Ready nodes (with more than 2 of them) making a zone partially disrupted (default 0.55). */
  unhealthyZoneThreshold?: number;
  /** Clock for probe timestamps and the pass timer (tests inject a FakeClock). */
  clock?: Clock;
}

/** Zone health (upstream ZoneState). */
export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** Label excluding a node from the zone disruption count (upstream labelNodeDisruptionExclusion). */
export const LabelNodeDisruptionExclusion = 'node.kubernetes.io/exclude-disruption';

/**
 * The zone key of a node (upstream GetZoneKey): `<region>:\0:<zone>` from
 * `topology.kubernetes.io/{region,zone}` (falling back to the `failure-domain.beta.kubernetes.io`
 * labels), or "" when neither is set.
 */
export function getZoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  if (!zone && !region) return '';
  return `${region}:\0:${zone}`;
}

/**
 * Zone state from its nodes' Ready statuses (undefined = never posted), upstream ComputeZoneState:
 * FullDisruption when none is Ready (and there is at least one), PartialDisruption when more than
 * 2 are not Ready and they are at least `unhealthyThreshold` of the zone, else Normal. Returns the
 * not-Ready count too.
 */
export function computeZoneState(readyStatuses: (string | undefined)[], unhealthyThreshold = 0.55): { notReady: number; state: ZoneState } {
  const ready = readyStatuses.filter((s) => s === 'True').length;
  const notReady = readyStatuses.length - ready;
  if (ready === 0 && notReady > 0) return { notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyThreshold) return { notReady, state: 'PartialDisruption' };
  return { notReady, state: 'Normal' };
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
  readonly startupGracePeriodMs: number;
  readonly monitorPeriodMs: number;
  readonly evictionRate: number;
  readonly secondaryEvictionRate: number;
  readonly largeClusterSizeThreshold: number;
  readonly unhealthyZoneThreshold: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recorder?: EventRecorder;
  private readonly health = new Map<string, NodeHealth>();
  private readonly knownNodes = new Map<string, NodeObj>();
  /** Zone key → state, and its NoExecute tainting queue. */
  readonly zoneStates = new Map<string, ZoneState>();
  readonly zoneNoExecuteTainter = new Map<string, RateLimitedTimedQueue>();

  constructor(opts: NodeLifecycleControllerOptions) {
    this.client = opts.client;
    this.log = opts.logger ?? defaultLogger;
    this.recorder = opts.recorder;
    this.clock = opts.clock ?? realClock;
    this.gracePeriodMs = opts.gracePeriodMs ?? 50_000;
    this.startupGracePeriodMs = opts.startupGracePeriodMs ?? 60_000;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? 5000;
    this.evictionRate = opts.evictionRate ?? 0.1;
    this.secondaryEvictionRate = opts.secondaryEvictionRate ?? 0.01;
    this.largeClusterSizeThreshold = opts.largeClusterSizeThreshold ?? 50;
    this.unhealthyZoneThreshold = opts.unhealthyZoneThreshold ?? 0.55;
    this.nodeInformer = opts.factory.forResource<NodeObj>(GVR.nodes);
    this.leaseInformer = opts.factory.forResource<LeaseObj>(GVR.leases, { namespace: NodeLeaseNamespace });
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.nodeInformer.addEventHandler({ onDelete: (n) => this.health.delete((n as NodeObj).metadata?.name ?? '') });
  }

  /**
   * Waits for the informers, then runs a health pass every `monitorPeriodMs` and a NoExecute
   * tainting pass every 100 ms (upstream nodeEvictionPeriod) until `signal` aborts.
   */
  async run(signal: AbortSignal): Promise<void> {
    for (const inf of [this.nodeInformer, this.leaseInformer, this.podInformer]) if (!(await inf.waitForSync(signal))) return;
    const loop = async (periodMs: number, what: string, fn: () => Promise<void>) => {
      while (!signal.aborted) {
        try {
          await fn();
        } catch (e) {
          this.log.warn({ controller: 'node-lifecycle', err: e instanceof Error ? e.message : e }, `${what} failed`);
        }
        await this.sleep(periodMs, signal);
      }
    };
    await Promise.all([loop(this.monitorPeriodMs, 'node health pass', () => this.monitorNodeHealth()), loop(100, 'NoExecute tainting pass', () => this.doNoExecuteTaintingPass())]);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const h = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.clock.clearTimeout(h);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private nodeEvent(node: NodeObj, reason: string, message: string): void {
    const name = node.metadata?.name ?? '';
    this.recorder?.event({ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid } as never, 'Normal', reason, message);
  }

  private tainter(node: NodeObj): RateLimitedTimedQueue {
    const zone = getZoneKey(node);
    let q = this.zoneNoExecuteTainter.get(zone);
    if (!q) {
      q = new RateLimitedTimedQueue(this.evictionRate, this.clock);
      this.zoneNoExecuteTainter.set(zone, q);
      this.zoneStates.set(zone, 'Initial');
    }
    return q;
  }

  /**
   * One pass over every Node: registration events, health (conditions to Unknown past the grace
   * period), NoSchedule taints, NoExecute tainting decisions, pod readiness, then zone disruption
   * states, then a tainting pass. Errors on one node are logged and the pass goes on (the next
   * pass retries).
   */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodeInformer.lister.list();
    const seen = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata!.name!;
      seen.add(name);
      this.tainter(node);
      if (!this.knownNodes.has(name)) {
        this.nodeEvent(node, 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
        this.knownNodes.set(name, node);
        await this.markNodeAsReachable(node).catch((e: unknown) => this.log.warn({ node: name, err: (e as Error).message }, 'removing NoExecute taints failed'));
      }
    }
    for (const [name, node] of [...this.knownNodes]) {
      if (seen.has(name)) continue;
      this.nodeEvent(node, 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      this.knownNodes.delete(name);
      this.zoneNoExecuteTainter.get(getZoneKey(node))?.remove(name);
    }

    const zoneReady = new Map<string, (string | undefined)[]>();
    for (const listed of nodes) {
      const name = listed.metadata!.name!;
      let node = listed;
      try {
        const observed = condition(node, 'Ready')?.status ?? 'Unknown';
        node = await this.tryUpdateNodeHealth(node);
        const current = condition(node, 'Ready')?.status;
        if (!(LabelNodeDisruptionExclusion in (node.metadata?.labels ?? {}))) {
          const z = getZoneKey(node);
          zoneReady.set(z, [...(zoneReady.get(z) ?? []), current]);
        }
        if (current === undefined) continue;
        node = (await this.doNoScheduleTaintingPass(node)) ?? node;
        await this.processTaintBaseEviction(node, observed);
        if (current !== 'True' && observed === 'True') this.nodeEvent(node, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        if (current !== 'True') await this.markPodsNotReady(name);
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) this.log.warn({ node: name, err: e instanceof Error ? e.message : e }, 'node health update failed');
      }
    }
    await this.handleDisruption(zoneReady);
    await this.doNoExecuteTaintingPass();
  }

  /**
   * Records heartbeats seen for `node` and, past the grace period (the startup grace period for a
   * node that never posted Ready), writes its kubelet conditions as Unknown. Returns the node as it
   * now is (the written object, or the input).
   */
  async tryUpdateNodeHealth(node: NodeObj): Promise<NodeObj> {
    const name = node.metadata!.name!;
    const now = this.clock.now();
    const heartbeat = condition(node, 'Ready')?.lastHeartbeatTime;
    const renew = this.leaseInformer.lister.get(NodeLeaseNamespace, name)?.spec?.renewTime;
    const neverPosted = !condition(node, 'Ready');
    const gracePeriod = neverPosted ? this.startupGracePeriodMs : this.gracePeriodMs;
    let h = this.health.get(name);
    if (!h) {
      const created = Date.parse(node.metadata?.creationTimestamp ?? '');
      h = { probeTimestamp: neverPosted && Number.isFinite(created) ? Math.min(created, now) : now, lastHeartbeat: heartbeat, lastRenew: renew };
      this.health.set(name, h);
    } else {
      if (heartbeat !== h.lastHeartbeat || renew !== h.lastRenew) h.probeTimestamp = now;
      h.lastHeartbeat = heartbeat;
      h.lastRenew = renew;
    }
    if (now <= h.probeTimestamp + gracePeriod) return node;

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
    this.log.info({ node: name, graceMs: gracePeriod }, 'node stopped posting status; conditions set to Unknown');
    return (await this.client.update(GVR.nodes, undefined, { ...node, status: { ...(node.status ?? {}), conditions } } as KubeObject, { subresource: 'status' })) as NodeObj;
  }

  /**
   * Brings the NoSchedule taints managed by the controller in line with the node's conditions and
   * `spec.unschedulable` (NoExecute taints untouched). Returns the updated node, or undefined when
   * nothing changed. Throws the API error (409 retried next pass).
   */
  async doNoScheduleTaintingPass(node: NodeObj): Promise<NodeObj | undefined> {
    const keepNoExecute = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute' && NO_EXECUTE_KEYS.has(t.key)).map((t) => t.key);
    const taints = reconcileTaints(node.spec?.taints, { noSchedule: desiredTaintKeys(node).noSchedule, noExecute: keepNoExecute }, this.clock.now());
    if (!taints) return undefined;
    const spec = { ...(node.spec ?? {}) };
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
    return (await this.client.update(GVR.nodes, undefined, { ...node, spec } as KubeObject)) as NodeObj;
  }

  /**
   * NoExecute handling for the Ready status observed at the start of the pass (upstream
   * processTaintBaseEviction): False/Unknown swap an existing opposite taint at once or queue the
   * node for tainting; True removes both taints and dequeues the node.
   */
  async processTaintBaseEviction(node: NodeObj, observed: string): Promise<void> {
    const has = (key: string) => (node.spec?.taints ?? []).some((t) => t.key === key && t.effect === 'NoExecute');
    if (observed === 'False' || observed === 'Unknown') {
      const want = observed === 'False' ? TaintNodeNotReady : TaintNodeUnreachable;
      const opposite = observed === 'False' ? TaintNodeUnreachable : TaintNodeNotReady;
      if (has(opposite)) {
        await this.swapNodeControllerTaint(node.metadata!.name!, want, opposite);
        return;
      }
      const q = this.tainter(node);
      if (!has(want)) q.remove(node.metadata!.name!);
      q.add(node.metadata!.name!, node.metadata?.uid ?? '');
    } else {
      await this.markNodeAsReachable(node);
    }
  }

  /** Removes the not-ready/unreachable NoExecute taints (if any) and dequeues the node. */
  async markNodeAsReachable(node: NodeObj): Promise<void> {
    const name = node.metadata!.name!;
    if ((node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute' && NO_EXECUTE_KEYS.has(t.key))) await this.swapNodeControllerTaint(name, undefined, TaintNodeNotReady, TaintNodeUnreachable);
    this.zoneNoExecuteTainter.get(getZoneKey(node))?.remove(name);
  }

  /**
   * Adds the NoExecute taint `add` (timeAdded now; kept when already there) and removes the
   * NoExecute taints `remove` on the live Node, retrying conflicts (upstream SwapNodeControllerTaint).
   * Returns false when the node is gone. Throws other API errors.
   */
  async swapNodeControllerTaint(name: string, add: string | undefined, ...remove: string[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      let node: NodeObj;
      try {
        node = (await this.client.get(GVR.nodes, undefined, name)) as NodeObj;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
      const cur = node.spec?.taints ?? [];
      const next = cur.filter((t) => !(t.effect === 'NoExecute' && remove.includes(t.key)));
      if (add && !next.some((t) => t.key === add && t.effect === 'NoExecute')) next.push({ key: add, effect: 'NoExecute', timeAdded: rfc3339(this.clock.now()) });
      if (next.length === cur.length && next.every((t, i) => t === cur[i])) return true;
      const spec = { ...(node.spec ?? {}) };
      if (next.length) spec.taints = next;
      else delete spec.taints;
      try {
        await this.client.update(GVR.nodes, undefined, { ...node, spec } as KubeObject);
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }

  /**
   * Updates zone states from this pass's Ready statuses per zone and sets each zone's tainting
   * rate (upstream handleDisruption / setLimiterInZone); see the module comment.
   */
  async handleDisruption(zoneReady: Map<string, (string | undefined)[]>): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, statuses] of zoneReady) {
      const { state } = computeZoneState(statuses, this.unhealthyZoneThreshold);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneReady.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      this.log.info({}, 'Controller detected that all Nodes are not-Ready. Entering master disruption mode');
      for (const node of this.nodeInformer.lister.list()) await this.markNodeAsReachable(node).catch((e: unknown) => this.log.warn({ node: node.metadata?.name, err: (e as Error).message }, 'removing NoExecute taints failed'));
      for (const zone of this.zoneStates.keys()) {
        this.zoneNoExecuteTainter.get(zone)?.swapLimiter(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWasFullyDisrupted) {
      this.log.info({}, 'Controller detected that some Nodes are Ready. Exiting master disruption mode');
      const now = this.clock.now();
      for (const h of this.health.values()) h.probeTimestamp = now;
      for (const zone of this.zoneStates.keys()) {
        this.setLimiterInZone(zone, zoneReady.get(zone)?.length ?? 0, newStates.get(zone)!);
        this.zoneStates.set(zone, newStates.get(zone)!);
      }
      return;
    }
    for (const [zone, state] of this.zoneStates) {
      const next = newStates.get(zone)!;
      if (state === next) continue;
      this.log.info({ zone, newState: next }, 'Controller detected that zone is now in new state');
      this.setLimiterInZone(zone, zoneReady.get(zone)?.length ?? 0, next);
      this.zoneStates.set(zone, next);
    }
  }

  private setLimiterInZone(zone: string, zoneSize: number, state: ZoneState): void {
    const q = this.zoneNoExecuteTainter.get(zone);
    if (!q) return;
    if (state === 'Normal' || state === 'FullDisruption') q.swapLimiter(this.evictionRate);
    else if (state === 'PartialDisruption') q.swapLimiter(zoneSize > this.largeClusterSizeThreshold ? this.secondaryEvictionRate : 0);
  }

  /**
   * Drains each zone's tainting queue within its rate: a queued node still not Ready gets the
   * NoExecute taint matching its Ready status (removing the opposite one); a Ready or vanished node
   * is dropped (upstream doNoExecuteTaintingPass).
   */
  async doNoExecuteTaintingPass(): Promise<void> {
    for (const q of this.zoneNoExecuteTainter.values()) {
      await q.try(async (v) => {
        const node = this.nodeInformer.lister.get(undefined, v.value);
        if (!node) return { done: true };
        const ready = condition(node, 'Ready');
        if (!ready) return { done: false, retryAfterMs: 50 };
        if (ready.status === 'True') return { done: true };
        const add = ready.status === 'False' ? TaintNodeNotReady : TaintNodeUnreachable;
        const opposite = ready.status === 'False' ? TaintNodeUnreachable : TaintNodeNotReady;
        try {
          await this.swapNodeControllerTaint(v.value, add, opposite);
          return { done: true };
        } catch (e) {
          this.log.warn({ node: v.value, err: (e as Error).message }, 'adding NoExecute taint failed');
          return { done: false, retryAfterMs: 0 };
        }
      });
    }
  }

  /**
   * Sets the Ready condition of every pod bound to `nodeName` to False (upstream
   * nodeutil.MarkPodsNotReady) with a Warning `NodeNotReady` "Node is not ready" Event per pod;
   * pods already not ready are left alone.
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
        this.recorder?.event({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid } as never, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
  }
}
