/**
 * The pod stage controller of simulated nodes, after kwok's pkg/kwok/controllers/stage_controller.go
 * pipeline: watch (a pod informer) → preprocess (only pods bound to a simulated node; match a stage;
 * compute its delay) → delaying work queue → workers that apply the stage: a status write through
 * `pods/status`, or `DELETE gracePeriodSeconds=0` with a uid precondition, plus an optional Event.
 * A write that would not change the status is skipped. Conflicts and errors are retried with
 * per-key back-off.
 *
 * A key remembers the stage it was scheduled for and when it is due; when the pod changes so that a
 * different stage matches (e.g. deletion while a completion is pending), the key is rescheduled
 * with the new stage's delay.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { SharedInformer, defaultLogger, metaNamespaceKey, unwrapTombstone, type Logger } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { ClientEventRecorder, type EventRecorder } from '../../client/record.ts';
import { KindDefaultingRecorder } from '../../controllers/shared/event-recorder.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import { computeStageAction, matchStage, renderTemplate, stageDelayMs, type Stage, type TemplateFuncs } from './stage.ts';
import type { PodIPAllocator } from './pod-ip.ts';

/** A simulated node as the stage controller sees it. */
export interface SimulatedNodeInfo {
  name: string;
  /** InternalIP (hostIP of its pods). */
  nodeIP: string;
  /** Allocator of pod IPs for this node (may be shared between nodes). */
  ips: PodIPAllocator;
}

/** Configuration of {@link StageController}. */
export interface StageControllerConfig {
  client: Client;
  /** Simulated nodes by name; pods bound to other nodes are ignored. */
  nodes: ReadonlyMap<string, SimulatedNodeInfo>;
  stages: readonly Stage[];
  /** Number of workers (default 8). */
  workers?: number;
  recorder?: EventRecorder;
  logger?: Logger;
  /** Clock, ms since epoch (default Date.now). */
  now?: () => number;
  /** [0, 1) random source for delay jitter (default Math.random). */
  random?: () => number;
}

interface Pending {
  stage: Stage;
  due: number;
  resourceVersion: string;
}

type PodObject = Pod & KubeObject;

function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Runs stages on pods of simulated nodes. */
export class StageController {
  readonly informer: SharedInformer<PodObject>;
  private readonly queue = new WorkQueue<string>({ name: 'simulated-pod-stages', baseDelayMs: 50, maxDelayMs: 10_000 });
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly recorder: EventRecorder;

  constructor(private readonly cfg: StageControllerConfig) {
    this.log = cfg.logger ?? defaultLogger;
    this.now = cfg.now ?? Date.now;
    this.random = cfg.random ?? Math.random;
    // Pods listed by the informer carry no kind; events about them must still say Pod.
    this.recorder = cfg.recorder ?? new KindDefaultingRecorder(new ClientEventRecorder(cfg.client, { component: 'kubelet', logger: this.log }), { apiVersion: 'v1', kind: 'Pod' });
    this.informer = new SharedInformer<PodObject>(cfg.client, GVR.pods, { logger: this.log });
    this.informer.addEventHandler({
      onAdd: (p) => {
        this.markIP(p);
        this.enqueue(p);
      },
      onUpdate: (_old, p) => this.enqueue(p),
      onDelete: (o) => {
        const p = unwrapTombstone(o);
        const node = this.nodeOf(p);
        if (!node) return;
        const ip = p.status?.podIP;
        if (ip && !this.stillUsed(ip, p.metadata?.uid)) node.ips.release(ip);
        this.pending.delete(metaNamespaceKey(p));
      },
    });
  }

  private nodeOf(p: PodObject): SimulatedNodeInfo | undefined {
    const n = p.spec?.nodeName;
    return n ? this.cfg.nodes.get(n) : undefined;
  }

  private markIP(p: PodObject): void {
    const ip = p.status?.podIP;
    if (ip) this.nodeOf(p)?.ips.markUsed(ip);
  }

  private stillUsed(ip: string, uid: string | undefined): boolean {
    return this.informer.store.list().some((q) => q.metadata?.uid !== uid && q.status?.podIP === ip);
  }

  /** Preprocess: match a stage for a pod of ours and schedule its key after the stage's delay. */
  private enqueue(p: PodObject): void {
    if (!this.nodeOf(p)) return;
    const key = metaNamespaceKey(p);
    const stage = matchStage(this.cfg.stages, p);
    if (!stage) {
      this.pending.delete(key);
      return;
    }
    const prev = this.pending.get(key);
    if (prev && prev.stage === stage) {
      prev.resourceVersion = p.metadata?.resourceVersion ?? '';
      return;
    }
    const delay = stageDelayMs(stage, this.random, p);
    this.pending.set(key, { stage, due: this.now() + delay, resourceVersion: p.metadata?.resourceVersion ?? '' });
    this.queue.addAfter(key, delay);
  }

  /** Runs the informer and workers until `signal` aborts. Resolves once stopped. */
  async run(signal: AbortSignal): Promise<void> {
    const informerDone = this.informer.run(signal);
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    const workers = Array.from({ length: this.cfg.workers ?? 8 }, () => this.worker());
    await Promise.all([informerDone, ...workers]);
  }

  /** Resolves true once the pod informer has listed (false if `signal` aborts first). */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.sync(key);
        this.queue.forget(key);
      } catch (e) {
        this.log.warn({ err: e instanceof Error ? e.message : e, pod: key }, 'simulated pod stage failed; retrying');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Applies the due stage to the pod `key` (namespace/name), reading it from the informer's cache. */
  async sync(key: string): Promise<void> {
    const pod = this.informer.store.getByKey(key);
    if (!pod) {
      this.pending.delete(key);
      return;
    }
    const node = this.nodeOf(pod);
    if (!node) return;
    const stage = matchStage(this.cfg.stages, pod);
    const pend = this.pending.get(key);
    if (!stage) {
      this.pending.delete(key);
      return;
    }
    if (!pend || pend.stage !== stage) {
      // The pod moved on to another stage while this one waited: schedule that one.
      this.pending.delete(key);
      this.enqueue(pod);
      return;
    }
    const left = pend.due - this.now();
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    await this.apply(stage, pod, node);
    this.pending.delete(key);
  }

  private async apply(stage: Stage, pod: PodObject, node: SimulatedNodeInfo): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    let allocated: string | undefined;
    const funcs: TemplateFuncs = {
      Now: metaTime(this.now()),
      NodeIP: node.nodeIP,
      NodeName: node.name,
      PodIP: () => (allocated ??= pod.status?.podIP ?? node.ips.allocate()),
    };
    const action = computeStageAction(stage, pod, funcs);
    this.log.debug?.({ pod: `${ns}/${name}`, node: node.name, stage: stage.name, action: action.kind }, 'simulated pod stage');
    if (action.kind === 'delete') {
      try {
        await this.cfg.client.delete(GVR.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    } else if (action.kind === 'status') {
      try {
        await this.cfg.client.update(GVR.pods, ns, { ...pod, status: action.status } as PodObject, { subresource: 'status' });
      } catch (e) {
        if (allocated && allocated !== pod.status?.podIP) node.ips.release(allocated);
        if (isNotFound(e)) return;
        throw e; // conflict: retried against the next cached version
      }
    }
    if (stage.next.event && action.kind !== 'none') {
      const ev = stage.next.event;
      const message = String(renderTemplate(ev.message, pod, funcs) ?? '');
      this.recorder.event(pod, ev.type, ev.reason, message);
    }
  }
}
