/**
 * StatefulSetController (wiring), after upstream pkg/controller/statefulset/stateful_set.go.
 *
 * Handlers only map events to StatefulSet keys and enqueue: a pod's controllerRef names its set;
 * an orphan pod enqueues every set whose selector matches it (so one can adopt it); revisions
 * enqueue their owner. `syncStatefulSet(key)` reads the listers, adopts/releases
 * ControllerRevisions and pods (pods must also parse as `<set>-<ordinal>`, isMemberOf), then runs
 * one {@link StatefulSetControl.updateStatefulSet} step, which always rewrites status. With
 * minReadySeconds the set is requeued until every ready pod is available.
 */
import { GVR, type Client } from '../../client/interface.ts';
import type { SharedInformer } from '../../client/informer.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import { labelSelectorAsSelector, type Selector } from '../../client/selectors.ts';
import { getControllerOf } from '../../client/object-util.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { PodControllerRefManager, recheckDeletionTimestamp } from '../shared/controller-ref-manager.ts';
import { resolveControllerRef } from '../shared/pod-owner-events.ts';
import { keyOf, labelsEqual } from '../shared/controller-utils.ts';
import { History, controllerRevisionsGVR, type ControllerRevision } from '../history/controller-history.ts';
import { StatefulPodControl, type StatefulPodControlInterface } from './stateful-pod-control.ts';
import { StatefulSetControl } from './stateful-set-control.ts';
import { isMemberOf, pvcsGVR, statefulSetKind, statefulSetsGVR, type PodObj, type PVC, type StsObj } from './stateful-set-utils.ts';

/** Options for {@link StatefulSetController}. */
export interface StatefulSetControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  /** Replaces the real pod control (tests). */
  podControl?: StatefulPodControlInterface;
  logger?: Logger;
  /** Clock (ms) for availability. */
  now?: () => number;
}

/** StatefulSetController; see module comment. */
export class StatefulSetController extends BaseController {
  readonly client: Client;
  readonly setInformer: SharedInformer<StsObj>;
  readonly podInformer: SharedInformer<PodObj>;
  readonly claimInformer: SharedInformer<PVC>;
  readonly revisionInformer: SharedInformer<ControllerRevision>;
  readonly control: StatefulSetControl;
  private readonly history: History;

  constructor(opts: StatefulSetControllerOptions) {
    super('statefulset', (key) => this.syncStatefulSet(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.setInformer = opts.factory.forResource<StsObj>(statefulSetsGVR);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.claimInformer = opts.factory.forResource<PVC>(pvcsGVR);
    this.revisionInformer = opts.factory.forResource<ControllerRevision>(controllerRevisionsGVR);
    this.history = new History(opts.client);
    const podControl = opts.podControl ?? new StatefulPodControl(opts.client, this.claimInformer.lister, opts.recorder);
    this.control = new StatefulSetControl({ client: opts.client, podControl, history: this.history, now: opts.now, recorder: opts.recorder });
    this.setInformer.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, n) => this.queue.add(keyOf(n)),
      onDelete: (o) => this.queue.add(keyOf(o instanceof DeletedFinalStateUnknown ? o.obj : o)),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.addPod(p),
      onUpdate: (o, n) => this.updatePod(o, n),
      onDelete: (p) => this.deletePod(p instanceof DeletedFinalStateUnknown ? p.obj : p),
    });
    const enqueueOwner = (r: ControllerRevision | DeletedFinalStateUnknown<ControllerRevision>) => {
      const rev = r instanceof DeletedFinalStateUnknown ? r.obj : r;
      const ref = getControllerOf(rev);
      const set = ref && resolveControllerRef(this.setInformer.lister, 'StatefulSet', rev.metadata?.namespace, ref);
      if (set) this.queue.add(keyOf(set));
    };
    this.revisionInformer.addEventHandler({ onAdd: enqueueOwner, onUpdate: (_o, n) => enqueueOwner(n), onDelete: enqueueOwner });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.setInformer, this.podInformer, this.claimInformer, this.revisionInformer]) {
      if (!(await inf.waitForSync(signal))) return;
    }
    await this.runWorkers(workers, signal);
  }

  // ---------------------------------------------------------------- event handlers (enqueue only)

  /** `getPodStatefulSets`: sets in the pod's namespace whose (non-empty) selector matches its labels. */
  private getPodStatefulSets(pod: PodObj): StsObj[] {
    return this.setInformer.lister.list(pod.metadata?.namespace).filter((s) => {
      try {
        const sel = labelSelectorAsSelector(s.spec?.selector);
        return !sel.empty && sel.matches(pod.metadata?.labels);
      } catch {
        return false;
      }
    });
  }

  private addPod(pod: PodObj): void {
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    const ref = getControllerOf(pod);
    if (ref) {
      const set = resolveControllerRef(this.setInformer.lister, 'StatefulSet', pod.metadata?.namespace, ref);
      if (set) this.queue.add(keyOf(set));
      return;
    }
    for (const s of this.getPodStatefulSets(pod)) this.queue.add(keyOf(s));
  }

  private updatePod(old: PodObj, cur: PodObj): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    const labelChanged = !labelsEqual(cur.metadata?.labels, old.metadata?.labels);
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    if (oldRef && JSON.stringify(oldRef) !== JSON.stringify(curRef ?? null)) {
      const s = resolveControllerRef(this.setInformer.lister, 'StatefulSet', old.metadata?.namespace, oldRef);
      if (s) this.queue.add(keyOf(s));
    }
    if (curRef) {
      const s = resolveControllerRef(this.setInformer.lister, 'StatefulSet', cur.metadata?.namespace, curRef);
      if (!s) return;
      this.queue.add(keyOf(s));
      // A pod that just became ready becomes available minReadySeconds later: check again then.
      const mrs = s.spec?.minReadySeconds ?? 0;
      if (mrs > 0) this.queue.addAfter(keyOf(s), mrs * 1000 + 1000);
      return;
    }
    if (labelChanged || oldRef) for (const s of this.getPodStatefulSets(cur)) this.queue.add(keyOf(s));
  }

  private deletePod(pod: PodObj): void {
    const ref = getControllerOf(pod);
    if (!ref) return;
    const s = resolveControllerRef(this.setInformer.lister, 'StatefulSet', pod.metadata?.namespace, ref);
    if (s) this.queue.add(keyOf(s));
  }

  // ---------------------------------------------------------------- sync

  /**
   * Reconciles the set with key `namespace/name` (see module comment).
   * @throws on API errors (the worker retries with back-off).
   */
  async syncStatefulSet(key: string): Promise<void> {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    const set = this.setInformer.lister.get(namespace, name);
    if (!set) return;
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(set.spec?.selector);
    } catch (e) {
      // Not retryable: a bad selector is a user error (validation should have caught it).
      this.log.error({ key, err: e instanceof Error ? e.message : e }, 'invalid selector');
      return;
    }
    if (selector.empty) return; // an empty selector would match every pod: upstream refuses it
    const canAdopt = recheckDeletionTimestamp(() => this.client.get(statefulSetsGVR, namespace, name), set.metadata!.uid!);
    const revisions = await this.history.claimControllerRevisions(
      set,
      statefulSetKind,
      selector,
      this.revisionInformer.lister.list(namespace),
      canAdopt,
    );
    const cm = new PodControllerRefManager(this.client, GVR.pods, set, selector, statefulSetKind, canAdopt);
    const pods = await cm.claimPods(this.podInformer.lister.list(namespace), (p) => isMemberOf(set, p));
    try {
      await this.control.updateStatefulSet(set, revisions, pods);
    } catch (e) {
      if (isNotFound(e) && !this.setInformer.lister.get(namespace, name)) return;
      throw e;
    }
    const mrs = set.spec?.minReadySeconds ?? 0;
    const cur = this.setInformer.lister.get(namespace, name);
    if (mrs > 0 && cur && (cur.status?.availableReplicas ?? 0) !== (cur.spec?.replicas ?? 1)) this.queue.addAfter(key, mrs * 1000);
  }
}
