/**
 * Taint-based eviction, after pkg/controller/tainteviction/taint_eviction.go (`processPodOnNode`,
 * `getMinTolerationTime`, `emitPodDeletionEvent`):
 * - a pod bound to a node with NoExecute taints it does not tolerate is deleted at once;
 * - a pod tolerating all of them is deleted `min(tolerationSeconds)` seconds (over the tolerations
 *   that match those taints) after the controller first saw it on the tainted node; a toleration
 *   without `tolerationSeconds` tolerates forever (negative counts as 0);
 * - when the taints go away (or the pod comes to tolerate them forever) the pending deletion is
 *   cancelled.
 * Deletion adds the `DisruptionTarget` condition, then uses the pod's own grace period (plain DELETE, as upstream) after an Event
 * `TaintManagerEviction` "Marking for deletion Pod <ns>/<name>"; cancellation records
 * "Cancelling deletion of Pod <ns>/<name>". Pending deletions are `addAfter` requeues of the pod key.
 */
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import { defaultLogger, splitMetaNamespaceKey, DeletedFinalStateUnknown, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import type { K } from '../../client/object-util.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { WorkQueue, realClock, type Clock } from '../../client/workqueue.ts';
import { BaseController } from '../shared/base-controller.ts';
import { keyOf } from '../shared/controller-utils.ts';
import { toleratesTaint } from '../../scheduler/plugins/taint-toleration/toleration.ts';

type NodeObj = K<Node>;
type PodObj = K<Pod>;

/** Options for {@link TaintEvictionController}. */
export interface TaintEvictionControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
  /** Clock for toleration timers (tests inject a FakeClock). */
  clock?: Clock;
}

/** NoExecute taints of `node`. */
export function getNoExecuteTaints(taints: Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/**
 * Whether `tolerations` tolerate every one of `taints`, and the minimum `tolerationSeconds` over
 * the tolerations used (seconds; Infinity = forever). Upstream GetMatchingTolerations +
 * getMinTolerationTime.
 */
export function minTolerationSeconds(taints: Taint[], tolerations: Toleration[] | undefined): { tolerated: boolean; seconds: number } {
  let seconds = Infinity;
  for (const taint of taints) {
    const used = (tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (!used.length) return { tolerated: false, seconds: 0 };
    for (const t of used) if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) seconds = Math.min(seconds, Math.max(0, t.tolerationSeconds));
  }
  return { tolerated: true, seconds };
}

/** The taint-eviction controller; see the module comment. */
export class TaintEvictionController extends BaseController {
  readonly client: Client;
  readonly nodeInformer: SharedInformer<NodeObj>;
  readonly podInformer: SharedInformer<PodObj>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  /** Pod key → local ms when its eviction timer started (upstream's scheduled eviction CreatedAt). */
  private readonly scheduled = new Map<string, number>();

  constructor(opts: TaintEvictionControllerOptions) {
    const clock = opts.clock ?? realClock;
    super('taint-eviction-controller', (key) => this.syncPod(key), { logger: opts.logger ?? defaultLogger, queue: new WorkQueue<string>({ name: 'taint-eviction-controller', clock }) });
    this.clock = clock;
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.nodeInformer = opts.factory.forResource<NodeObj>(GVR.nodes);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.podInformer.addEventHandler({
      onAdd: (p) => {
        if (p.spec?.nodeName) this.queue.add(keyOf(p));
      },
      onUpdate: (o, n) => {
        if (n.spec?.nodeName && (o.spec?.nodeName !== n.spec.nodeName || JSON.stringify(o.spec?.tolerations) !== JSON.stringify(n.spec?.tolerations))) this.queue.add(keyOf(n));
      },
      onDelete: (p) => {
        const pod = p instanceof DeletedFinalStateUnknown ? (p.obj as PodObj) : p;
        this.scheduled.delete(keyOf(pod));
      },
    });
    const enqueueNode = (name: string | undefined) => {
      for (const p of this.podInformer.lister.list()) if (name && p.spec?.nodeName === name) this.queue.add(keyOf(p));
    };
    this.nodeInformer.addEventHandler({
      onAdd: (n) => {
        if (getNoExecuteTaints(n.spec?.taints).length) enqueueNode(n.metadata?.name);
      },
      onUpdate: (o, n) => {
        if (JSON.stringify(getNoExecuteTaints(o.spec?.taints)) !== JSON.stringify(getNoExecuteTaints(n.spec?.taints))) enqueueNode(n.metadata?.name);
      },
    });
  }

  /** Pending evictions: pod key → local ms when its toleration timer started (for tests and debugging). */
  scheduledEvictions(): ReadonlyMap<string, number> {
    return this.scheduled;
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.podInformer.waitForSync(signal)) || !(await this.nodeInformer.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** Upstream processPodOnNode for one pod key: delete now, schedule, or cancel. */
  async syncPod(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const pod = this.podInformer.lister.get(namespace, name);
    if (!pod || pod.metadata?.deletionTimestamp || !pod.spec?.nodeName) {
      this.scheduled.delete(key);
      return;
    }
    const node = this.nodeInformer.lister.get(undefined, pod.spec.nodeName);
    const taints = getNoExecuteTaints(node?.spec?.taints);
    const { tolerated, seconds } = taints.length ? minTolerationSeconds(taints, pod.spec.tolerations) : { tolerated: true, seconds: Infinity };
    if (tolerated && seconds === Infinity) {
      if (this.scheduled.delete(key)) this.recorder.eventf(pod, 'Normal', 'TaintManagerEviction', 'Cancelling deletion of Pod %s', key);
      return;
    }
    const now = this.clock.now();
    if (tolerated) {
      const start = this.scheduled.get(key) ?? now;
      this.scheduled.set(key, start);
      const remaining = start + seconds * 1000 - now;
      if (remaining > 0) {
        this.queue.addAfter(key, remaining);
        return;
      }
    }
    this.recorder.eventf(pod, 'Normal', 'TaintManagerEviction', 'Marking for deletion Pod %s', key);
    try {
      await this.addDisruptionCondition(pod);
      await this.client.delete(GVR.pods, namespace, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.scheduled.delete(key);
  }

  /**
   * Upstream addConditionAndDeletePod (PodDisruptionConditions, GA in 1.31): before deleting, the
   * pod gets `DisruptionTarget=True`, reason `DeletionByTaintManager`, message
   * `Taint manager: deleting due to NoExecute taint`, through `/status`. 409 is thrown (retry).
   */
  private async addDisruptionCondition(pod: PodObj): Promise<void> {
    const conds = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: now });
    await this.client.update(GVR.pods, pod.metadata!.namespace, { ...pod, status: { ...(pod.status ?? {}), conditions: conds } }, { subresource: 'status' });
  }
}
