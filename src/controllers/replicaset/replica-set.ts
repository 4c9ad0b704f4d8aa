/**
 * ReplicaSetController, after pkg/controller/replicaset/replica_set.go and replica_set_utils.go.
 *
 * NOTE: this controller is shaped so ReplicationController can reuse it (as upstream's
 * NewBaseController): the resource, kind, selector reader and pod control are injected. Changes
 * here affect both.
 *
 * Flow: informer handlers only map events to ReplicaSet keys, record expectations and enqueue.
 * `syncReplicaSet(key)` reads the listers; if the RS is gone it drops its expectations; it claims
 * active pods by selector + ControllerRef; if expectations are satisfied (and the RS is not being
 * deleted) `manageReplicas` creates (slow-start batches, at most `burstReplicas` per sync) or
 * deletes (in getPodsToDelete rank order) pods; then it ALWAYS recomputes status and writes it
 * through `/status` with observedGeneration, and requeues after minReadySeconds when pods are ready
 * but not yet available.
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { GVR, type Client, type GroupVersionResource } from '../../client/interface.ts';
import type { SharedInformer } from '../../client/informer.ts';
import { DeletedFinalStateUnknown, defaultLogger, type Logger } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import { labelSelectorAsSelector, selectorFromRequirements, type Selector } from '../../client/selectors.ts';
import { getControllerOf, deepCopy, rfc3339, type K } from '../../client/object-util.ts';
import { isNotFound, StatusError } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { ControllerExpectations } from '../shared/expectations.ts';
import { PodOwnerEvents } from '../shared/pod-owner-events.ts';
import { PodControllerRefManager, newControllerRef, recheckDeletionTimestamp, type ControllerKind } from '../shared/controller-ref-manager.ts';
import { RealPodControl, type PodControlInterface } from '../shared/pod-control.ts';
import {
  filterActivePods,
  getPodsToDelete,
  isPodActive,
  isPodAvailable,
  isPodReady,
  keyOf,
  labelsEqual,
  slowStartBatch,
  SlowStartInitialBatchSize,
} from '../shared/controller-utils.ts';

/** Max pods created or deleted in one sync (upstream BurstReplicas). */
export const BurstReplicas = 500;

/** A ReplicaSet-like object (ReplicaSet or ReplicationController). */
export type RSLike = K<ReplicaSet>;
type PodObj = K<Pod>;

/** Options for {@link ReplicaSetController}. */
export interface ReplicaSetControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  /** Defaults to replicasets / apps/v1 ReplicaSet. */
  gvr?: GroupVersionResource;
  kind?: ControllerKind;
  /** Reads the selector (RC's is a plain map). Default: `spec.selector` as a LabelSelector. */
  getSelector?: (rs: RSLike) => Selector;
  podControl?: PodControlInterface;
  burstReplicas?: number;
  logger?: Logger;
  /** Clock (ms), for availability computations. */
  now?: () => number;
  /** Queue/controller name, e.g. `replicaset`. */
  name?: string;
}

/** ReplicaSetController; see module comment. */
export class ReplicaSetController extends BaseController {
  readonly client: Client;
  readonly gvr: GroupVersionResource;
  readonly kind: ControllerKind;
  /** Expectations per RS key. */
  readonly expectations: ControllerExpectations;
  readonly rsInformer: SharedInformer<RSLike>;
  readonly podInformer: SharedInformer<PodObj>;
  podControl: PodControlInterface;
  readonly burstReplicas: number;
  private readonly recorder: EventRecorder;
  private readonly getSelector: (rs: RSLike) => Selector;
  private readonly now: () => number;
  private readonly podEvents: PodOwnerEvents<RSLike>;

  constructor(opts: ReplicaSetControllerOptions) {
    const name = opts.name ?? 'replicaset';
    super(name, (key) => this.syncReplicaSet(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.gvr = opts.gvr ?? GVR.replicasets;
    this.kind = opts.kind ?? { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
    this.recorder = opts.recorder;
    this.podControl = opts.podControl ?? new RealPodControl(opts.client, opts.recorder);
    this.burstReplicas = opts.burstReplicas ?? BurstReplicas;
    this.now = opts.now ?? (() => Date.now());
    this.expectations = new ControllerExpectations();
    this.getSelector = opts.getSelector ?? ((rs) => labelSelectorAsSelector(rs.spec?.selector as LabelSelector | undefined));
    this.rsInformer = opts.factory.forResource<RSLike>(this.gvr);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.podEvents = new PodOwnerEvents<RSLike>({
      lister: this.rsInformer.lister,
      kind: this.kind.kind,
      getSelector: this.getSelector,
      expectations: this.expectations,
      enqueue: (key) => this.queue.add(key),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.addRS(rs),
      onUpdate: (o, n) => this.updateRS(o, n),
      onDelete: (o) => this.deleteRS(o),
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.podEvents.addPod(p),
      onUpdate: (o, n) => this.updatePod(o, n),
      onDelete: (p) => this.podEvents.deletePod(p),
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    const ok = (await this.rsInformer.waitForSync(signal)) && (await this.podInformer.waitForSync(signal));
    if (!ok) return;
    await this.runWorkers(workers, signal);
  }

  private enqueueRS(rs: RSLike): void {
    this.queue.add(keyOf(rs));
  }

  private enqueueRSAfter(rs: RSLike, ms: number): void {
    this.queue.addAfter(keyOf(rs), ms);
  }

  // ---------------------------------------------------------------- event handlers (enqueue only)

  private addRS(rs: RSLike): void {
    this.enqueueRS(rs);
  }

  /**
   * Every update is enqueued, even when the spec is unchanged: a periodic resync must be able to
   * repair status or pods that drifted while events were lost.
   */
  private updateRS(old: RSLike, cur: RSLike): void {
    if (old.metadata?.uid !== cur.metadata?.uid) {
      // Deleted and recreated under the same name: treat the old one as deleted.
      this.deleteRS(new DeletedFinalStateUnknown(keyOf(old), old));
    }
    this.enqueueRS(cur);
  }

  private deleteRS(obj: RSLike | DeletedFinalStateUnknown<RSLike>): void {
    const rs = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    this.expectations.deleteExpectations(keyOf(rs));
    this.queue.add(keyOf(rs));
  }

  private updatePod(old: PodObj, cur: PodObj): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return; // resync
    const labelChanged = !labelsEqual(cur.metadata?.labels, old.metadata?.labels);
    if (cur.metadata?.deletionTimestamp) {
      this.podEvents.deletePod(cur);
      if (labelChanged) this.podEvents.deletePod(old);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const rs = this.podEvents.resolveControllerRef(old.metadata?.namespace, oldRef);
      if (rs) this.enqueueRS(rs);
    }
    if (curRef) {
      const rs = this.podEvents.resolveControllerRef(cur.metadata?.namespace, curRef);
      if (!rs) return;
      this.enqueueRS(rs);
      // A pod that just became ready becomes available minReadySeconds later: check again then.
      const mrs = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && mrs > 0) this.enqueueRSAfter(rs, mrs * 1000 + 1000);
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.podEvents.getPodOwners(cur)) this.enqueueRS(rs);
  }

  // ---------------------------------------------------------------- sync

  /**
   * Reconciles the RS with key `namespace/name` (see module comment).
   * @throws on API errors (the worker retries with back-off).
   */
  async syncReplicaSet(key: string): Promise<void> {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    const rs = this.rsInformer.lister.get(namespace, name);
    if (!rs) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const rsNeedsSync = this.expectations.satisfiedExpectations(key);
    let selector: Selector;
    try {
      selector = this.getSelector(rs);
    } catch (e) {
      // Not retryable: a bad selector is a user error (validation should have caught it).
      this.log.error({ key, err: e instanceof Error ? e.message : e }, 'invalid selector');
      return;
    }
    const allPods = this.podInformer.lister.list(namespace);
    let filteredPods = filterActivePods(allPods) as PodObj[];
    filteredPods = await this.claimPods(rs, selector, filteredPods);

    let manageErr: unknown;
    if (rsNeedsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(filteredPods, rs);
      } catch (e) {
        manageErr = e;
      }
    }
    const newStatus = calculateStatus(rs, filteredPods, manageErr, this.now());
    let updated: RSLike;
    try {
      updated = await updateReplicaSetStatus(this.client, this.gvr, rs, newStatus);
    } catch (e) {
      if (isNotFound(e)) return; // deleted meanwhile: the delete event cleans up
      throw e;
    }
    if (manageErr) throw manageErr;
    const mrs = updated.spec?.minReadySeconds ?? 0;
    const st = updated.status;
    if (mrs > 0 && (st?.readyReplicas ?? 0) === (updated.spec?.replicas ?? 1) && (st?.availableReplicas ?? 0) !== (updated.spec?.replicas ?? 1)) {
      this.queue.addAfter(key, mrs * 1000);
    }
  }

  /**
   * Active pods of every ReplicaSet sharing `rs`'s controller (e.g. all RSs of one Deployment),
   * including `rs`'s own (getIndirectlyRelatedPods): used to rank pods by co-location.
   */
  private getIndirectlyRelatedPods(rs: RSLike): PodObj[] {
    const owner = getControllerOf(rs);
    const relatedRS = owner
      ? this.rsInformer.lister.list(rs.metadata?.namespace).filter((r) => getControllerOf(r)?.uid === owner.uid)
      : [rs];
    const uids = new Set(relatedRS.map((r) => r.metadata?.uid));
    return this.podInformer.lister
      .list(rs.metadata?.namespace)
      .filter((p) => isPodActive(p) && uids.has(getControllerOf(p)?.uid));
  }

  /** Adopts/releases pods (with a fresh-read deletion recheck before adopting). */
  private async claimPods(rs: RSLike, selector: Selector, filteredPods: PodObj[]): Promise<PodObj[]> {
    const canAdopt = recheckDeletionTimestamp(() => this.client.get(this.gvr, rs.metadata?.namespace, rs.metadata!.name!), rs.metadata!.uid!);
    const cm = new PodControllerRefManager(this.client, GVR.pods, rs, selector, this.kind, canAdopt);
    return cm.claimPods(filteredPods);
  }

  /**
   * Creates or deletes pods so the active count approaches spec.replicas, at most burstReplicas
   * per call. Creations go out in slow-start batches; deletions in getPodsToDelete order.
   * @throws the first create/delete error (after fixing expectations for the skipped ones).
   */
  async manageReplicas(filteredPods: PodObj[], rs: RSLike): Promise<void> {
    const key = keyOf(rs);
    const replicas = rs.spec?.replicas ?? 1;
    let diff = filteredPods.length - replicas;
    if (diff < 0) {
      diff = Math.min(-diff, this.burstReplicas);
      // Expect before creating: the informer may deliver the add before createPods returns.
      this.expectations.expectCreations(key, diff);
      const ref = newControllerRef(rs, this.kind);
      const { successes, error } = await slowStartBatch(diff, SlowStartInitialBatchSize, async () => {
        try {
          await this.podControl.createPods(rs.metadata!.namespace!, rs.spec!.template as PodTemplateSpec, rs, ref);
        } catch (e) {
          if (isNamespaceTerminating(e)) return; // the namespace is going away: not an error
          throw e;
        }
      });
      const skipped = diff - successes;
      if (skipped > 0) {
        // The failed batch's pods (and those never attempted) won't produce add events.
        for (let i = 0; i < skipped; i++) this.expectations.creationObserved(key);
      }
      if (error) throw error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, this.burstReplicas);
      const podsToDelete = getPodsToDelete(filteredPods, this.getIndirectlyRelatedPods(rs), diff, this.now());
      this.expectations.expectDeletions(
        key,
        podsToDelete.map((p) => keyOf(p)),
      );
      const errors: unknown[] = [];
      await Promise.all(
        podsToDelete.map(async (p) => {
          try {
            await this.podControl.deletePod(rs.metadata!.namespace!, p.metadata!.name!, rs);
          } catch (e) {
            // Decrement the expected number of deletes: the pod's delete event won't come.
            this.expectations.deletionObserved(key, keyOf(p));
            if (!isNotFound(e)) errors.push(e);
          }
        }),
      );
      if (errors.length) throw errors[0];
    }
  }
}

/** True for a create refused because the namespace is terminating (upstream ignores these). */
export function isNamespaceTerminating(e: unknown): boolean {
  return (
    e instanceof StatusError &&
    e.code === 403 &&
    (e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') || /because it is being terminated/.test(e.message))
  );
}

/**
 * Status from the observed pods (replica_set_utils.go calculateStatus): replicas,
 * fullyLabeledReplicas (labels ⊇ template labels), readyReplicas, availableReplicas (ready for
 * minReadySeconds), and the ReplicaFailure condition (set from `manageErr`, cleared on success).
 * observedGeneration is set by {@link updateReplicaSetStatus}.
 */
export function calculateStatus(rs: RSLike, filteredPods: Pod[], manageErr: unknown, nowMs: number): ReplicaSetStatus {
  const templateLabels = selectorFromRequirements(
    Object.entries(rs.spec?.template?.metadata?.labels ?? {}).map(([k, v]) => ({ key: k, operator: '=' as const, values: [v] })),
  );
  const mrs = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of filteredPods) {
    if (templateLabels.matches(p.metadata?.labels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, mrs, nowMs)) available++;
    }
  }
  const conditions: ReplicaSetCondition[] = [...(rs.status?.conditions ?? [])];
  const failureIdx = conditions.findIndex((c) => c.type === 'ReplicaFailure');
  if (manageErr && failureIdx < 0) {
    const diff = filteredPods.length - (rs.spec?.replicas ?? 1);
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: rfc3339(nowMs),
      reason: diff < 0 ? 'FailedCreate' : 'FailedDelete',
      message: manageErr instanceof Error ? manageErr.message : String(manageErr),
    });
  } else if (!manageErr && failureIdx >= 0) {
    conditions.splice(failureIdx, 1);
  }
  const status: ReplicaSetStatus = {
    replicas: filteredPods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.status?.observedGeneration,
    ...(conditions.length ? { conditions } : {}),
  };
  return status;
}

/**
 * Writes `newStatus` (+ observedGeneration = metadata.generation) through `/status` unless nothing
 * changed (updateReplicaSetStatus). On a 409 it re-reads the RS once and retries.
 * @returns the RS as stored.
 */
export async function updateReplicaSetStatus(client: Client, gvr: GroupVersionResource, rs: RSLike, newStatus: ReplicaSetStatus): Promise<RSLike> {
  const cur: Partial<ReplicaSetStatus> = rs.status ?? {};
  const gen = rs.metadata?.generation;
  if (
    (cur.replicas ?? 0) === (newStatus.replicas ?? 0) &&
    (cur.fullyLabeledReplicas ?? 0) === (newStatus.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (newStatus.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (newStatus.availableReplicas ?? 0) &&
    gen === cur.observedGeneration &&
    JSON.stringify(cur.conditions ?? []) === JSON.stringify(newStatus.conditions ?? [])
  ) {
    return rs;
  }
  let target: RSLike = rs;
  for (let attempt = 0; ; attempt++) {
    const copy = deepCopy(target) as RSLike;
    (copy as { status?: ReplicaSetStatus }).status = { ...newStatus, observedGeneration: target.metadata?.generation };
    try {
      return await client.update<RSLike>(gvr, copy.metadata?.namespace, copy, { subresource: 'status' });
    } catch (e) {
      if (attempt >= 1 || !(e instanceof StatusError) || e.code !== 409) throw e;
      target = await client.get<RSLike>(gvr, rs.metadata?.namespace, rs.metadata!.name!);
    }
  }
}

