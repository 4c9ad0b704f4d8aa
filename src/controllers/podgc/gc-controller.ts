/**
 * Pod garbage collector, after pkg/controller/podgc/gc_controller.go. Every `gcCheckPeriodMs`
 * (upstream 20 s) it runs, over the pod and node informers:
 * - `gcTerminated` (when `terminatedPodThreshold` > 0, upstream --terminated-pod-gc-threshold,
 *   default 12500): deletes terminated pods (phase neither Pending, Running nor Unknown) above the
 *   threshold, evicted pods first (Failed with reason `Evicted`), then oldest creationTimestamp,
 *   then name;
 * - `gcTerminating`: force-deletes terminating pods on nodes that are not Ready and carry the
 *   `node.kubernetes.io/out-of-service` taint;
 * - `gcOrphaned`: pods bound to a node missing from the informer put the node in quarantine for
 *   `quarantineTimeMs` (upstream 40 s); a node still missing then and confirmed absent by a live GET
 *   has its pods marked Failed with condition `DisruptionTarget` (reason `DeletionByPodGC`, message
 *   `PodGC: node no longer exists`) and force-deleted;
 * - `gcUnscheduledTerminating`: force-deletes terminating pods with no `spec.nodeName`.
 *
 * Every deletion goes through `markFailedAndDeletePodWithCondition`: a pod not yet Succeeded or
 * Failed gets phase Failed (and the condition) through `pods/status` first, then
 * `DELETE gracePeriodSeconds=0`. NotFound is ignored. PodGC records no Events (as upstream).
 */
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { K } from '../../client/object-util.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { realClock, type Clock } from '../../client/workqueue.ts';

type PodObj = K<Pod>;
type NodeObj = K<Node>;

/** Taint an admin puts on a node known to be shut down (k8s.io/api/core/v1 TaintNodeOutOfService). */
export const TaintNodeOutOfService = 'node.kubernetes.io/out-of-service';

/** Options of {@link PodGCController}. */
export interface PodGCControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  /** Terminated pods kept before the oldest are deleted; ≤ 0 disables gcTerminated (default 12500). */
  terminatedPodThreshold?: number;
  /** ms between passes (default 20 000). */
  gcCheckPeriodMs?: number;
  /** ms a node missing from the informer waits before a live GET confirms it is gone (default 40 000). */
  quarantineTimeMs?: number;
  logger?: Logger;
  clock?: Clock;
}

/** True when the pod's phase is terminal (upstream isPodTerminated: not Pending, Running or Unknown). */
export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

/** Kubelet-evicted pod: phase Failed with reason `Evicted` (upstream eviction.PodIsEvicted). */
export function podIsEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted';
}

/** Sort order of upstream byEvictionAndCreationTimestamp: evicted first, then oldest, then by name. */
export function byEvictionAndCreationTimestamp(a: Pod, b: Pod): number {
  const ae = podIsEvicted(a);
  const be = podIsEvicted(b);
  if (ae !== be) return ae ? -1 : 1;
  const at = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const bt = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (at !== bt) return at - bt;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The PodGC controller; see the module comment. */
export class PodGCController {
  readonly podInformer: SharedInformer<PodObj>;
  readonly nodeInformer: SharedInformer<NodeObj>;
  readonly terminatedPodThreshold: number;
  private readonly client: Client;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly gcCheckPeriodMs: number;
  private readonly quarantineTimeMs: number;
  /** Node names missing from the informer → local ms when their quarantine ends. */
  private readonly quarantine = new Map<string, number>();

  constructor(o: PodGCControllerOptions) {
    this.client = o.client;
    this.log = o.logger ?? defaultLogger;
    this.clock = o.clock ?? realClock;
    this.terminatedPodThreshold = o.terminatedPodThreshold ?? 12500;
    this.gcCheckPeriodMs = o.gcCheckPeriodMs ?? 20_000;
    this.quarantineTimeMs = o.quarantineTimeMs ?? 40_000;
    this.podInformer = o.factory.forResource<PodObj>(GVR.pods);
    this.nodeInformer = o.factory.forResource<NodeObj>(GVR.nodes);
  }

  /** Waits for the informers, then runs {@link gc} every gcCheckPeriodMs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    for (const inf of [this.podInformer, this.nodeInformer]) if (!(await inf.waitForSync(signal))) return;
    while (!signal.aborted) {
      try {
        await this.gc();
      } catch (e) {
        this.log.warn({ controller: 'pod-garbage-collector', err: e instanceof Error ? e.message : e }, 'pod GC pass failed');
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, this.gcCheckPeriodMs);
      });
    }
  }

  /** One pass: gcTerminated (threshold > 0), gcTerminating, gcOrphaned, gcUnscheduledTerminating. */
  async gc(): Promise<void> {
    const pods = this.podInformer.lister.list();
    const nodes = this.nodeInformer.lister.list();
    if (this.terminatedPodThreshold > 0) await this.gcTerminated(pods);
    await this.gcTerminating(pods);
    await this.gcOrphaned(pods, nodes);
    await this.gcUnscheduledTerminating(pods);
  }

  /** Deletes terminated pods above the threshold, evicted and oldest first. */
  async gcTerminated(pods: PodObj[]): Promise<void> {
    const terminated = pods.filter(isPodTerminated);
    const deleteCount = terminated.length - this.terminatedPodThreshold;
    if (deleteCount <= 0) return;
    this.log.info({ numPods: deleteCount }, 'Garbage collecting pods');
    terminated.sort(byEvictionAndCreationTimestamp);
    await Promise.all(terminated.slice(0, deleteCount).map((p) => this.deleteLogged(p)));
  }

  /** Force-deletes terminating pods on NotReady nodes tainted out-of-service. */
  async gcTerminating(pods: PodObj[]): Promise<void> {
    const victims = pods.filter((p) => {
      if (!p.metadata?.deletionTimestamp) return false;
      const node = this.nodeInformer.lister.get(undefined, p.spec?.nodeName ?? '');
      return !!node && !isNodeReady(node) && (node.spec?.taints ?? []).some((t) => t.key === TaintNodeOutOfService);
    });
    victims.sort(byEvictionAndCreationTimestamp);
    await Promise.all(victims.map((p) => this.deleteLogged(p)));
  }

  /** Quarantines unknown node names and force-deletes pods of nodes confirmed gone. */
  async gcOrphaned(pods: PodObj[], nodes: NodeObj[]): Promise<void> {
    const existing = new Set(nodes.map((n) => n.metadata?.name));
    const now = this.clock.now();
    for (const p of pods) {
      const n = p.spec?.nodeName;
      // Upstream re-adds with AddAfter each pass; the delaying queue keeps the earliest due time.
      if (n && !existing.has(n) && !this.quarantine.has(n)) this.quarantine.set(n, now + this.quarantineTimeMs);
    }
    const deleted = new Set<string>();
    for (const [name, due] of [...this.quarantine]) {
      if (due > now) continue;
      this.quarantine.delete(name);
      if (existing.has(name)) continue;
      try {
        await this.client.get(GVR.nodes, undefined, name);
      } catch (e) {
        if (isNotFound(e)) deleted.add(name);
        else this.log.warn({ node: name, err: (e as Error).message }, 'Error while getting node');
      }
    }
    const condition: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
    for (const p of pods) {
      if (!deleted.has(p.spec?.nodeName ?? '')) continue;
      this.log.info({ pod: `${p.metadata?.namespace}/${p.metadata?.name}`, node: p.spec?.nodeName }, 'Found orphaned Pod assigned to the Node, deleting');
      await this.deleteLogged(p, condition);
    }
  }

  /** Force-deletes terminating pods that were never scheduled. */
  async gcUnscheduledTerminating(pods: PodObj[]): Promise<void> {
    for (const p of pods) {
      if (!p.metadata?.deletionTimestamp || p.spec?.nodeName) continue;
      await this.deleteLogged(p);
    }
  }

  private async deleteLogged(pod: PodObj, condition?: PodCondition): Promise<void> {
    try {
      await this.markFailedAndDeletePodWithCondition(pod, condition);
    } catch (e) {
      if (!isNotFound(e)) this.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: (e as Error).message }, 'PodGC failed to delete pod');
    }
  }

  /**
   * Sets phase Failed (and `condition`, replacing one of the same type) on a pod that is not
   * Succeeded/Failed, then deletes it with gracePeriodSeconds 0 and a uid precondition.
   * Throws the API error (NotFound included).
   */
  async markFailedAndDeletePodWithCondition(pod: PodObj, condition?: PodCondition): Promise<void> {
    const ns = pod.metadata?.namespace;
    const name = pod.metadata!.name!;
    this.log.info({ pod: `${ns}/${name}` }, 'PodGC is force deleting Pod');
    const phase = pod.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      // Strategic merge: conditions merge by type, as upstream's PatchPodStatus two-way patch.
      const at = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const status: Record<string, unknown> = { phase: 'Failed' };
      if (condition) status.conditions = [{ ...condition, lastTransitionTime: at }];
      await this.client.patch(GVR.pods, ns, name, 'application/strategic-merge-patch+json', { metadata: { uid: pod.metadata?.uid }, status }, { subresource: 'status' });
    }
    await this.client.delete(GVR.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
  }
}
