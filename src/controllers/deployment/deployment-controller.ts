/**
 * DeploymentController wiring, after pkg/controller/deployment/deployment_controller.go.
 * Handlers only enqueue Deployment keys; `syncDeployment(key)` claims ReplicaSets, then runs, in
 * upstream's order: status-only for deleting Deployments, paused-condition bookkeeping, `sync` for
 * paused Deployments and scaling events, else the strategy's rollout (rolling.ts / recreate.ts).
 * Rollback is client-side (`kubectl rollout undo` patches the template); re-applying an old
 * template makes findNewReplicaSet pick the old RS, whose revision is then bumped to max+1.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import { labelSelectorAsSelector, type Selector } from '../../client/selectors.ts';
import { deepCopy, getControllerOf, type K, type Mutable } from '../../client/object-util.ts';
import { BaseController } from '../shared/base-controller.ts';
import { resolveControllerRef } from '../shared/pod-owner-events.ts';
import { ReplicaSetControllerRefManager, recheckDeletionTimestamp } from '../shared/controller-ref-manager.ts';
import { keyOf, labelsEqual } from '../shared/controller-utils.ts';
import {
  PausedDeployReason,
  ResumedDeployReason,
  getDeploymentCondition,
  hasProgressDeadline,
  newDeploymentCondition,
  setDeploymentCondition,
  type DeploymentObj,
  type RSObj,
} from './util/deployment-util.ts';
import { getAllReplicaSetsAndSyncRevision, isScalingEvent, sync, syncDeploymentStatus, updateDeploymentStatus, type DeploymentContext } from './sync.ts';
import { rolloutRolling } from './rolling.ts';
import { rolloutRecreate } from './recreate.ts';

type PodObj = K<Pod>;

/** Options for {@link DeploymentController}. */
export interface DeploymentControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
  now?: () => number;
}

/** DeploymentController; see module comment. */
export class DeploymentController extends BaseController implements DeploymentContext {
  readonly client: Client;
  readonly recorder: EventRecorder;
  readonly dInformer: SharedInformer<DeploymentObj>;
  readonly rsInformer: SharedInformer<RSObj>;
  readonly podInformer: SharedInformer<PodObj>;
  readonly now: () => number;

  constructor(opts: DeploymentControllerOptions) {
    super('deployment', (key) => this.syncDeployment(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.now = opts.now ?? (() => Date.now());
    this.dInformer = opts.factory.forResource<DeploymentObj>(GVR.deployments);
    this.rsInformer = opts.factory.forResource<RSObj>(GVR.replicasets);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.dInformer.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_o, n) => this.enqueue(n),
      onDelete: (d) => this.enqueue(d instanceof DeletedFinalStateUnknown ? d.obj : d),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.addReplicaSet(rs),
      onUpdate: (o, n) => this.updateReplicaSet(o, n),
      onDelete: (rs) => this.deleteReplicaSet(rs),
    });
    this.podInformer.addEventHandler({ onDelete: (p) => this.deletePod(p) });
  }

  /** Lister over ReplicaSets (DeploymentContext). */
  get rsLister() {
    return this.rsInformer.lister;
  }

  enqueue(d: DeploymentObj): void {
    this.queue.add(keyOf(d));
  }
  enqueueAfter(d: DeploymentObj, ms: number): void {
    this.queue.addAfter(keyOf(d), ms);
  }
  enqueueRateLimited(d: DeploymentObj): void {
    this.queue.addRateLimited(keyOf(d));
  }

  /** Waits for informers, then runs workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.dInformer, this.rsInformer, this.podInformer]) if (!(await inf.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  // ------------------------------------------------------------------ handlers

  private resolveControllerRef(namespace: string | undefined, ref: { kind: string; name: string; uid: string }): DeploymentObj | undefined {
    return resolveControllerRef(this.dInformer.lister, 'Deployment', namespace, ref);
  }

  /** Deployments in the RS's namespace whose selector matches its labels. */
  private getDeploymentsForReplicaSet(rs: RSObj): DeploymentObj[] {
    const out: DeploymentObj[] = [];
    for (const d of this.dInformer.lister.list(rs.metadata?.namespace)) {
      let sel: Selector;
      try {
        sel = labelSelectorAsSelector(d.spec?.selector as LabelSelector);
      } catch {
        continue;
      }
      if (sel.empty) continue;
      if (sel.matches(rs.metadata?.labels)) out.push(d);
    }
    return out;
  }

  private addReplicaSet(rs: RSObj): void {
    if (rs.metadata?.deletionTimestamp) {
      this.deleteReplicaSet(rs);
      return;
    }
    const ref = getControllerOf(rs);
    if (ref) {
      const d = this.resolveControllerRef(rs.metadata?.namespace, ref);
      if (d) this.enqueue(d);
      return;
    }
    for (const d of this.getDeploymentsForReplicaSet(rs)) this.enqueue(d);
  }

  private updateReplicaSet(old: RSObj, cur: RSObj): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const d = this.resolveControllerRef(old.metadata?.namespace, oldRef);
      if (d) this.enqueue(d);
    }
    if (curRef) {
      const d = this.resolveControllerRef(cur.metadata?.namespace, curRef);
      if (d) this.enqueue(d);
      return;
    }
    if (!labelsEqual(cur.metadata?.labels, old.metadata?.labels) || refChanged) for (const d of this.getDeploymentsForReplicaSet(cur)) this.enqueue(d);
  }

  private deleteReplicaSet(obj: RSObj | DeletedFinalStateUnknown<RSObj>): void {
    const rs = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    const ref = getControllerOf(rs);
    if (!ref) return;
    const d = this.resolveControllerRef(rs.metadata?.namespace, ref);
    if (d) this.enqueue(d);
  }

  /** Recreate waits for old pods to go away: a pod deletion may unblock it. */
  private deletePod(obj: PodObj | DeletedFinalStateUnknown<PodObj>): void {
    const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.lister.get(pod.metadata?.namespace, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const dref = getControllerOf(rs);
    if (!dref) return;
    const d = this.resolveControllerRef(rs.metadata?.namespace, dref);
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  // ------------------------------------------------------------------ sync

  /** Claims ReplicaSets for `d` (adopt matching orphans, release non-matching). */
  async getReplicaSetsForDeployment(d: DeploymentObj): Promise<RSObj[]> {
    const rsList = this.rsInformer.lister.list(d.metadata?.namespace);
    const selector = labelSelectorAsSelector(d.spec?.selector as LabelSelector);
    const canAdopt = recheckDeletionTimestamp(() => this.client.get(GVR.deployments, d.metadata?.namespace, d.metadata!.name!), d.metadata!.uid!);
    const cm = new ReplicaSetControllerRefManager(this.client, GVR.replicasets, d, selector, { apiVersion: 'apps/v1', kind: 'Deployment' }, canAdopt);
    return cm.claimReplicaSets(rsList);
  }

  /** Pods of the Deployment grouped by the uid of their controlling RS (getPodMapForDeployment). */
  getPodMapForDeployment(d: DeploymentObj, rsList: RSObj[]): Map<string, Pod[]> {
    const selector = labelSelectorAsSelector(d.spec?.selector as LabelSelector);
    const map = new Map<string, Pod[]>();
    for (const rs of rsList) map.set(rs.metadata!.uid!, []);
    for (const p of this.podInformer.lister.list(d.metadata?.namespace, selector)) {
      const ref = getControllerOf(p);
      if (!ref) continue;
      map.get(ref.uid)?.push(p);
    }
    return map;
  }

  /**
   * Reconciles Deployment `namespace/name`.
   * @throws on API errors (retried with back-off).
   */
  async syncDeployment(key: string): Promise<void> {
    const i = key.indexOf('/');
    const cached = this.dInformer.lister.get(key.slice(0, i), key.slice(i + 1));
    if (!cached) return;
    // Never mutate the cache.
    const d = deepCopy(cached) as Mutable<DeploymentObj>;
    const sel = d.spec?.selector as LabelSelector | undefined;
    if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
      this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...(d.status ?? {}), observedGeneration: d.metadata?.generation };
        await updateDeploymentStatus(this, d as DeploymentObj);
      }
      return;
    }
    const rsList = await this.getReplicaSetsForDeployment(d as DeploymentObj);
    const podMap = this.getPodMapForDeployment(d as DeploymentObj, rsList);
    if (d.metadata?.deletionTimestamp) {
      const [newRS, oldRSs] = await getAllReplicaSetsAndSyncRevision(this, d as DeploymentObj, rsList, false);
      await syncDeploymentStatus(this, [...oldRSs, newRS], newRS, d as DeploymentObj);
      return;
    }
    await this.checkPausedConditions(d as DeploymentObj);
    if (d.spec?.paused) return sync(this, d as DeploymentObj, rsList);
    if (await isScalingEvent(this, d as DeploymentObj, rsList)) return sync(this, d as DeploymentObj, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(this, d as DeploymentObj, rsList, podMap);
    return rolloutRolling(this, d as DeploymentObj, rsList);
  }

  /** Sets Progressing=Unknown DeploymentPaused / DeploymentResumed when pausing or resuming. */
  private async checkPausedConditions(d: Mutable<DeploymentObj>): Promise<void> {
    if (!hasProgressDeadline(d as DeploymentObj)) return;
    const cond = getDeploymentCondition(d.status, 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded') return;
    const pausedCondExists = cond?.reason === PausedDeployReason;
    let needsUpdate = false;
    d.status ??= {};
    if (d.spec?.paused && !pausedCondExists) {
      setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'Unknown', PausedDeployReason, 'Deployment is paused', this.now()));
      needsUpdate = true;
    } else if (!d.spec?.paused && pausedCondExists) {
      setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'Unknown', ResumedDeployReason, 'Deployment is resumed', this.now()));
      needsUpdate = true;
    }
    if (!needsUpdate) return;
    const stored = await updateDeploymentStatus(this, d as DeploymentObj);
    Object.assign(d, stored);
  }
}
