/**
 * DaemonSetsController, after pkg/controller/daemon/daemon_controller.go.
 *
 * Handlers only enqueue DaemonSet keys (DaemonSet events; pod events through their controllerRef,
 * recording expectations; node add/delete and label/taint/spec changes enqueue every DaemonSet;
 * ControllerRevision deletes enqueue their owner). `syncDaemonSet(key)`:
 * 1. reads the DaemonSet and all nodes from the listers; gone → drop expectations;
 * 2. `constructHistory`: finds or creates the current ControllerRevision (its hash labels the pods);
 * 3. if expectations are satisfied: `manage` (one pod per node that should run one, extra/failed
 *    pods and pods on nodes that should not run them deleted — a pod whose node was removed is not
 *    moved), then for RollingUpdate one `rollingUpdatePlan` step, then `cleanupHistory`;
 * 4. always recomputes status and writes it through `/status`, and requeues after minReadySeconds
 *    while ready pods are not yet available.
 * Pods are created unscheduled with a required node affinity on `metadata.name` (the scheduler binds
 * them), carrying the controller-revision-hash and pod-template-generation labels and the default
 * daemon tolerations.
 */
import type { Node, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { GVR, type Client, type GroupVersionResource } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import { labelSelectorAsSelector, type Selector } from '../../client/selectors.ts';
import { deepCopy, getControllerOf, type K } from '../../client/object-util.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { ControllerExpectations } from '../shared/expectations.ts';
import { PodOwnerEvents } from '../shared/pod-owner-events.ts';
import { PodControllerRefManager, newControllerRef, recheckDeletionTimestamp, type ControllerKind } from '../shared/controller-ref-manager.ts';
import { RealPodControl, type PodControlInterface } from '../shared/pod-control.ts';
import { isPodAvailable, isPodReady, keyOf, labelsEqual, slowStartBatch, SlowStartInitialBatchSize } from '../shared/controller-utils.ts';
import {
  ControllerRevisionHashLabel, controllerRevisionsGVR, History, newControllerRevision, revisionsToTruncate, sortControllerRevisions,
  type ControllerRevision,
} from '../history/controller-history.ts';
import { normalizeForCompare } from '../deployment/util/deployment-util.ts';
import { createPodTemplate, getPatch, getTargetNodeName, getTemplateGeneration, isPodUpdated, nodeShouldRunDaemonPod, replaceDaemonSetPodNodeNameNodeAffinity, type DSObj, type PodObj } from './util.ts';
import { rollingUpdatePlan } from './update.ts';
import { isNamespaceTerminating } from '../replicaset/replica-set.ts';

/** Max pods created or deleted in one sync (upstream BurstReplicas). */
export const BurstReplicas = 250;
/** `apps/v1 daemonsets`. */
export const daemonSetsGVR: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'daemonsets' };
const controllerKind: ControllerKind = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
type NodeObj = K<Node>;

/** Options for {@link DaemonSetsController}. */
export interface DaemonSetsControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  podControl?: PodControlInterface;
  burstReplicas?: number;
  logger?: Logger;
  /** Clock (ms), for availability. */
  now?: () => number;
}

/** DaemonSetsController; see module comment. */
export class DaemonSetsController extends BaseController {
  readonly client: Client;
  readonly expectations = new ControllerExpectations();
  readonly dsInformer: SharedInformer<DSObj>;
  readonly podInformer: SharedInformer<PodObj>;
  readonly nodeInformer: SharedInformer<NodeObj>;
  readonly historyInformer: SharedInformer<ControllerRevision>;
  podControl: PodControlInterface;
  readonly burstReplicas: number;
  private readonly recorder: EventRecorder;
  private readonly now: () => number;
  private readonly podEvents: PodOwnerEvents<DSObj>;
  private readonly history: History;

  constructor(opts: DaemonSetsControllerOptions) {
    super('daemonset', (key) => this.syncDaemonSet(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.podControl = opts.podControl ?? new RealPodControl(opts.client, opts.recorder);
    this.burstReplicas = opts.burstReplicas ?? BurstReplicas;
    this.now = opts.now ?? (() => Date.now());
    this.history = new History(opts.client);
    this.dsInformer = opts.factory.forResource<DSObj>(daemonSetsGVR);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.nodeInformer = opts.factory.forResource<NodeObj>(GVR.nodes);
    this.historyInformer = opts.factory.forResource<ControllerRevision>(controllerRevisionsGVR);
    this.podEvents = new PodOwnerEvents<DSObj>({
      lister: this.dsInformer.lister,
      kind: 'DaemonSet',
      getSelector: (ds) => labelSelectorAsSelector(ds.spec?.selector as LabelSelector | undefined),
      expectations: this.expectations,
      enqueue: (key) => this.queue.add(key),
    });
    this.dsInformer.addEventHandler({
      onAdd: (ds) => this.queue.add(keyOf(ds)),
      onUpdate: (_o, n) => this.queue.add(keyOf(n)),
      onDelete: (o) => {
        const ds = o instanceof DeletedFinalStateUnknown ? o.obj : o;
        this.expectations.deleteExpectations(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.podEvents.addPod(p),
      onUpdate: (o, n) => this.updatePod(o, n),
      onDelete: (p) => this.podEvents.deletePod(p),
    });
    this.nodeInformer.addEventHandler({
      onAdd: () => this.enqueueAll(),
      onUpdate: (o, n) => {
        if (!shouldIgnoreNodeUpdate(o, n)) this.enqueueAll();
      },
      onDelete: () => this.enqueueAll(),
    });
    this.historyInformer.addEventHandler({
      onDelete: (o) => {
        const cr = o instanceof DeletedFinalStateUnknown ? o.obj : o;
        const ref = getControllerOf(cr);
        if (ref?.kind === 'DaemonSet') this.queue.add(`${cr.metadata?.namespace}/${ref.name}`);
      },
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.dsInformer, this.podInformer, this.nodeInformer, this.historyInformer]) {
      if (!(await inf.waitForSync(signal))) return;
    }
    await this.runWorkers(workers, signal);
  }

  private enqueueAll(): void {
    for (const ds of this.dsInformer.lister.list()) this.queue.add(keyOf(ds));
  }

  private updatePod(old: PodObj, cur: PodObj): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      this.podEvents.deletePod(cur);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const ds = this.podEvents.resolveControllerRef(old.metadata?.namespace, oldRef);
      if (ds) this.queue.add(keyOf(ds));
    }
    if (curRef) {
      const ds = this.podEvents.resolveControllerRef(cur.metadata?.namespace, curRef);
      if (!ds) return;
      this.queue.add(keyOf(ds));
      const mrs = ds.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && mrs > 0) this.queue.addAfter(keyOf(ds), mrs * 1000 + 1000);
      return;
    }
    if (!labelsEqual(cur.metadata?.labels, old.metadata?.labels)) for (const ds of this.podEvents.getPodOwners(cur)) this.queue.add(keyOf(ds));
  }

  // ---------------------------------------------------------------- sync

  /**
   * Reconciles the DaemonSet `namespace/name` (see module comment).
   * @throws on API errors (the worker retries with back-off)
   */
  async syncDaemonSet(key: string): Promise<void> {
    const i = key.indexOf('/');
    const ds = this.dsInformer.lister.get(key.slice(0, i), key.slice(i + 1));
    if (!ds) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const nodes = this.nodeInformer.lister.list();
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(ds.spec?.selector as LabelSelector | undefined);
    } catch (e) {
      this.log.error({ key, err: e instanceof Error ? e.message : e }, 'invalid selector');
      return;
    }
    if (selector.empty) {
      this.recorder.eventf(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    if (ds.metadata?.deletionTimestamp) return;
    const { cur, old } = await this.constructHistory(ds, selector);
    const hash = cur.metadata.labels?.[ControllerRevisionHashLabel] ?? '';
    if (!this.expectations.satisfiedExpectations(key)) {
      await this.updateDaemonSetStatus(ds, nodes, hash, selector, false);
      return;
    }
    await this.manage(ds, nodes, hash, selector);
    if (this.expectations.satisfiedExpectations(key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      await this.rollingUpdate(ds, nodes, hash, selector);
    }
    await this.cleanupHistory(ds, old, selector);
    await this.updateDaemonSetStatus(ds, nodes, hash, selector, true);
  }

  /** `getDaemonPods`: the DaemonSet's pods after adoption/release (with a fresh-read deletion recheck). */
  private async getDaemonPods(ds: DSObj, selector: Selector): Promise<PodObj[]> {
    const pods = this.podInformer.lister.list(ds.metadata?.namespace);
    const canAdopt = recheckDeletionTimestamp(() => this.client.get(daemonSetsGVR, ds.metadata?.namespace, ds.metadata!.name!), ds.metadata!.uid!);
    return new PodControllerRefManager(this.client, GVR.pods, ds, selector, controllerKind, canAdopt).claimPods(pods);
  }

  /** `getNodesToDaemonPods`: target node name → its pods (terminal pods being deleted left out). */
  async getNodesToDaemonPods(ds: DSObj, selector: Selector): Promise<Map<string, PodObj[]>> {
    const out = new Map<string, PodObj[]>();
    for (const p of await this.getDaemonPods(ds, selector)) {
      const phase = p.status?.phase;
      if (p.metadata?.deletionTimestamp && (phase === 'Failed' || phase === 'Succeeded')) continue;
      const node = getTargetNodeName(p);
      if (node === undefined) continue;
      const list = out.get(node) ?? [];
      list.push(p);
      out.set(node, list);
    }
    return out;
  }

  /**
   * `manage`: nodes that should run a daemon pod and have none get one; extra pods on a node (all
   * but the oldest), failed pods, and pods on nodes that may no longer run them are deleted;
   * unscheduled pods whose target node no longer exists are deleted. Scheduled pods on removed
   * nodes are left alone (the pod garbage collector's job), never moved.
   */
  private async manage(ds: DSObj, nodes: NodeObj[], hash: string, selector: Selector): Promise<void> {
    const nodeToDaemonPods = await this.getNodesToDaemonPods(ds, selector);
    const nodesNeedingDaemonPods: string[] = [];
    const podsToDelete: string[] = [];
    const surge = (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && ds.spec?.updateStrategy?.rollingUpdate?.maxSurge && ds.spec.updateStrategy.rollingUpdate.maxSurge !== '0%';
    const gen = getTemplateGeneration(ds);
    for (const node of nodes) {
      const name = node.metadata!.name!;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      const daemonPods = nodeToDaemonPods.get(name) ?? [];
      if (shouldRun && daemonPods.length === 0) {
        nodesNeedingDaemonPods.push(name);
      } else if (shouldContinueRunning && daemonPods.length > 0) {
        const running: PodObj[] = [];
        for (const p of daemonPods) {
          if (p.metadata?.deletionTimestamp) continue;
          if (p.status?.phase === 'Failed') {
            this.recorder.eventf(ds, 'Warning', 'FailedDaemonPod', 'Found failed daemon pod %s/%s on node %s, will try to kill it', p.metadata?.namespace, p.metadata?.name, name);
            podsToDelete.push(p.metadata!.name!);
            continue;
          }
          if (p.status?.phase === 'Succeeded') {
            this.recorder.eventf(ds, 'Normal', 'SucceededDaemonPod', 'Found succeeded daemon pod %s/%s on node %s, will try to delete it', p.metadata?.namespace, p.metadata?.name, name);
            podsToDelete.push(p.metadata!.name!);
            continue;
          }
          running.push(p);
        }
        running.sort(byCreationTimestamp);
        if (surge) {
          // Keep the oldest current pod and the oldest old pod; the update step retires the old one.
          const current = running.filter((p) => isPodUpdated(p, hash, gen));
          const stale = running.filter((p) => !isPodUpdated(p, hash, gen));
          for (const p of [...current.slice(1), ...stale.slice(1)]) podsToDelete.push(p.metadata!.name!);
        } else {
          for (const p of running.slice(1)) podsToDelete.push(p.metadata!.name!);
        }
      } else if (!shouldContinueRunning && daemonPods.length > 0) {
        for (const p of daemonPods) if (!p.metadata?.deletionTimestamp) podsToDelete.push(p.metadata!.name!);
      }
    }
    const nodeNames = new Set(nodes.map((n) => n.metadata?.name));
    for (const [node, pods] of nodeToDaemonPods) {
      if (nodeNames.has(node)) continue;
      for (const p of pods) if (!p.spec?.nodeName && !p.metadata?.deletionTimestamp) podsToDelete.push(p.metadata!.name!);
    }
    await this.syncNodes(ds, podsToDelete, nodesNeedingDaemonPods, hash);
  }

  /**
   * `syncNodes`: deletes `podsToDelete` and creates one pod per node in `nodesNeedingDaemonPods`
   * (slow-start batches), at most `burstReplicas` each, recording expectations first.
   * @throws the first create/delete error
   */
  private async syncNodes(ds: DSObj, podsToDelete: string[], nodesNeedingDaemonPods: string[], hash: string): Promise<void> {
    const key = keyOf(ds);
    const creates = nodesNeedingDaemonPods.slice(0, this.burstReplicas);
    const deletes = podsToDelete.slice(0, this.burstReplicas);
    const ns = ds.metadata!.namespace!;
    // expectDeletions replaces the record, so the creations are added on top of it.
    this.expectations.expectDeletions(key, deletes.map((n) => `${ns}/${n}`));
    this.expectations.raiseExpectations(key, creates.length, 0);
    const template = createPodTemplate(ds.spec?.template as PodTemplateSpec, getTemplateGeneration(ds), hash);
    const ref = newControllerRef(ds, controllerKind);
    let idx = 0;
    const { successes, error } = await slowStartBatch(creates.length, SlowStartInitialBatchSize, async () => {
      const nodeName = creates[idx++];
      const t = structuredClone(template);
      t.spec!.affinity = replaceDaemonSetPodNodeNameNodeAffinity(t.spec!.affinity, nodeName);
      try {
        await this.podControl.createPods(ns, t, ds, ref);
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    });
    for (let i = successes; i < creates.length; i++) this.expectations.creationObserved(key);
    const errors: unknown[] = error ? [error] : [];
    await Promise.all(
      deletes.map(async (name) => {
        try {
          await this.podControl.deletePod(ns, name, ds);
        } catch (e) {
          this.expectations.deletionObserved(key, `${ns}/${name}`);
          if (!isNotFound(e)) errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  /** One RollingUpdate step ({@link rollingUpdatePlan}) over the nodes that should run a daemon pod. */
  private async rollingUpdate(ds: DSObj, nodes: NodeObj[], hash: string, selector: Selector): Promise<void> {
    const nodeToDaemonPods = await this.getNodesToDaemonPods(ds, selector);
    const eligible = new Map<string, Pod[]>();
    let desired = 0;
    for (const node of nodes) {
      const name = node.metadata!.name!;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
      if (shouldRun) desired++;
      if ((shouldRun || shouldContinueRunning) && nodeToDaemonPods.has(name)) eligible.set(name, nodeToDaemonPods.get(name)!);
    }
    const plan = rollingUpdatePlan(ds, eligible, hash, desired, this.now());
    if (plan.podsToDelete.length || plan.nodesNeedingPods.length) await this.syncNodes(ds, plan.podsToDelete, plan.nodesNeedingPods, hash);
  }

  // ---------------------------------------------------------------- history

  /**
   * `constructHistory`: claims the DaemonSet's ControllerRevisions, splits them into the current one
   * (data equal to {@link getPatch}) and old ones, creates the current one (revision = max old + 1)
   * when missing and renumbers it when an old one has a higher number. A name clash with different
   * data bumps `status.collisionCount` and throws (the retry uses the new count).
   */
  private async constructHistory(ds: DSObj, selector: Selector): Promise<{ cur: ControllerRevision; old: ControllerRevision[] }> {
    const all = this.historyInformer.lister.list(ds.metadata?.namespace);
    const canAdopt = recheckDeletionTimestamp(() => this.client.get(daemonSetsGVR, ds.metadata?.namespace, ds.metadata!.name!), ds.metadata!.uid!);
    const histories = await this.history.claimControllerRevisions(ds, controllerKind, selector, all, canAdopt);
    const patch = normalizeForCompare(getPatch(ds));
    const current: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (const h of histories) {
      if (JSON.stringify(normalizeForCompare(h.data)) === JSON.stringify(patch)) current.push(h);
      else old.push(h);
    }
    const currRevision = old.reduce((m, h) => Math.max(m, h.revision), 0) + 1;
    if (current.length === 0) return { cur: await this.snapshot(ds, currRevision), old };
    sortControllerRevisions(current);
    let cur = current[current.length - 1];
    for (const dup of current.slice(0, -1)) await this.history.deleteControllerRevision(dup); // dedupCurHistories
    if (cur.revision < currRevision) cur = await this.history.updateControllerRevision(cur, currRevision);
    return { cur, old };
  }

  private async snapshot(ds: DSObj, revision: number): Promise<ControllerRevision> {
    const cr = newControllerRevision(ds, controllerKind, ds.spec?.template?.metadata?.labels, getPatch(ds), revision, ds.status?.collisionCount);
    if (ds.metadata?.annotations) cr.metadata.annotations = { ...ds.metadata.annotations };
    try {
      return await this.client.create<ControllerRevision>(controllerRevisionsGVR, ds.metadata?.namespace, cr);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await this.client.get<ControllerRevision>(controllerRevisionsGVR, ds.metadata?.namespace, cr.metadata.name!);
      if (JSON.stringify(normalizeForCompare(existing.data)) === JSON.stringify(normalizeForCompare(cr.data)) && getControllerOf(existing)?.uid === ds.metadata?.uid) return existing;
      const fresh = await this.client.get<DSObj>(daemonSetsGVR, ds.metadata?.namespace, ds.metadata!.name!);
      const copy = deepCopy(fresh);
      (copy as { status?: DaemonSetStatus }).status = { ...(copy.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }), collisionCount: (fresh.status?.collisionCount ?? 0) + 1 };
      await this.client.update(daemonSetsGVR, ds.metadata?.namespace, copy, { subresource: 'status' });
      throw new Error(`found a hash collision for DaemonSet ${ds.metadata?.name}: bumped collisionCount`);
    }
  }

  /** `cleanupHistory`: deletes old revisions beyond revisionHistoryLimit that no daemon pod's hash uses. */
  private async cleanupHistory(ds: DSObj, old: ControllerRevision[], selector: Selector): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? 10;
    if (old.length <= limit) return;
    const live = new Set<string>();
    for (const pods of (await this.getNodesToDaemonPods(ds, selector)).values()) {
      for (const p of pods) {
        const h = p.metadata?.labels?.[ControllerRevisionHashLabel];
        if (h) live.add(h);
      }
    }
    for (const r of revisionsToTruncate(old, limit, live)) await this.history.deleteControllerRevision(r);
  }

  // ---------------------------------------------------------------- status

  /**
   * `updateDaemonSetStatus`: counts over the nodes (see {@link calculateDaemonSetStatus}), written
   * through `/status` when changed; observedGeneration only when `updateObservedGen`.
   */
  private async updateDaemonSetStatus(ds: DSObj, nodes: NodeObj[], hash: string, selector: Selector, updateObservedGen: boolean): Promise<void> {
    const nodeToDaemonPods = await this.getNodesToDaemonPods(ds, selector);
    const st = calculateDaemonSetStatus(ds, nodes, nodeToDaemonPods, hash, this.now());
    st.observedGeneration = updateObservedGen ? ds.metadata?.generation : ds.status?.observedGeneration;
    if (ds.status?.collisionCount !== undefined) st.collisionCount = ds.status.collisionCount;
    const curStatus: Partial<DaemonSetStatus> = ds.status ?? {};
    const same = (Object.keys(st) as (keyof DaemonSetStatus)[]).every((k) => (curStatus[k] ?? 0) === (st[k] ?? 0));
    if (!same) {
      const copy = deepCopy(ds);
      (copy as { status?: DaemonSetStatus }).status = { ...(ds.status ?? {}), ...st } as DaemonSetStatus;
      try {
        await this.client.update(daemonSetsGVR, ds.metadata?.namespace, copy, { subresource: 'status' });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    const mrs = ds.spec?.minReadySeconds ?? 0;
    if (updateObservedGen && mrs > 0 && st.numberReady !== (st.numberAvailable ?? 0)) this.queue.addAfter(keyOf(ds), mrs * 1000);
  }
}

/** Orders pods by creation time, then name (oldest first). */
function byCreationTimestamp(a: Pod, b: Pod): number {
  const ta = String(a.metadata?.creationTimestamp ?? '');
  const tb = String(b.metadata?.creationTimestamp ?? '');
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
}

/**
 * DaemonSet status counts (upstream updateDaemonSetStatus): for each node that should run a daemon
 * pod, desiredNumberScheduled; with a pod, currentNumberScheduled and — judging its oldest pod —
 * numberReady, numberAvailable (ready for minReadySeconds) and updatedNumberScheduled (current
 * revision); nodes that should not run one but have one count in numberMisscheduled;
 * numberUnavailable = desired − available. observedGeneration is left to the caller.
 */
export function calculateDaemonSetStatus(ds: DSObj, nodes: Node[], nodeToDaemonPods: Map<string, Pod[]>, hash: string, nowMs: number): DaemonSetStatus {
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  const gen = getTemplateGeneration(ds);
  const mrs = ds.spec?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToDaemonPods.get(node.metadata?.name ?? '') ?? [];
    if (shouldRun) {
      desired++;
      if (pods.length === 0) continue;
      current++;
      const pod = [...pods].sort(byCreationTimestamp)[0];
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, mrs, nowMs)) available++;
      }
      if (isPodUpdated(pod, hash, gen)) updated++;
    } else if (pods.length > 0) {
      misscheduled++;
    }
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    updatedNumberScheduled: updated,
    numberUnavailable: desired - available,
  };
}

/**
 * `shouldIgnoreNodeUpdate`: true when only the node's status heartbeats (or nothing the DaemonSet
 * decisions read: labels, taints, unschedulable, spec) changed.
 */
export function shouldIgnoreNodeUpdate(old: Node, cur: Node): boolean {
  return labelsEqual(old.metadata?.labels, cur.metadata?.labels) && JSON.stringify(old.spec ?? {}) === JSON.stringify(cur.spec ?? {});
}

