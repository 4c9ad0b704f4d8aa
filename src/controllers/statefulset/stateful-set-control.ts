/**
 * The StatefulSet reconcile step, after upstream pkg/controller/statefulset/stateful_set_control.go
 * (defaultStatefulSetControl: UpdateStatefulSet, performUpdate, getStatefulSetRevisions,
 * updateStatefulSet, processReplica, processCondemned, updateStatefulSetStatus, truncateHistory).
 *
 * One call makes at most one blocking change in OrderedReady mode ("monotonic"):
 *  1. pods are split into `replicas` (ordinal in [start, start+replicas)) and `condemned` (others,
 *     highest ordinal first); missing replicas are synthesised from the current or update revision
 *     (below the partition → current);
 *  2. each replica in ordinal order: a Failed/Succeeded pod is deleted; a missing pod is created
 *     (its claims first); a terminating, not Running+Ready or not yet available pod blocks
 *     (OrderedReady) — Parallel walks all replicas in slow-start batches without blocking;
 *  3. condemned pods, highest ordinal first, are deleted once every replica is healthy; in
 *     OrderedReady one at a time, waiting for the previous one to be gone;
 *  4. RollingUpdate: from the highest ordinal down to the partition, the first pod not on the update
 *     revision is deleted (it is recreated from the update revision by step 2); an unhealthy pod
 *     blocks. With `rollingUpdate.maxUnavailable` set (upstream's MaxUnavailableStatefulSet), up to
 *     maxUnavailable − unavailable outdated pods are deleted at once instead. OnDelete stops after step 3.
 * Status is always recomputed from what was observed (replicas, readyReplicas, currentReplicas,
 * updatedReplicas, availableReplicas, currentRevision, updateRevision, collisionCount,
 * observedGeneration); a completed rolling update promotes the update revision to current.
 */
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Client } from '../../client/interface.ts';
import type { EventRecorder } from '../../client/record.ts';
import { deepCopy } from '../../client/object-util.ts';
import { StatusError } from '../../machinery/errors.ts';
import { slowStartBatch } from '../shared/controller-utils.ts';
import { getScaledValueFromIntOrPercent } from '../../machinery/intstr.ts';
import {
  ControllerRevisionHashLabel,
  equalRevision,
  findEqualRevisions,
  nextRevision,
  revisionsToTruncate,
  sortControllerRevisions,
  type ControllerRevision,
  type History,
} from '../history/controller-history.ts';
import type { StatefulPodControlInterface } from './stateful-pod-control.ts';
import {
  allowsBurst,
  applyRevision,
  getEndOrdinal,
  getOrdinal,
  getPodRevision,
  getStartOrdinal,
  identityMatches,
  isCreated,
  isFailed,
  isHealthy,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  newRevision,
  newVersionedStatefulSetPod,
  podInOrdinalRange,
  statefulSetsGVR,
  storageMatches,
  type PodObj,
  type StsObj,
} from './stateful-set-utils.ts';

/** The revision writes the control needs (a subset of {@link History}). */
export type RevisionHistory = Pick<History, 'createControllerRevision' | 'updateControllerRevision' | 'deleteControllerRevision'>;

/** `computeReplicaStatus`: counts over the pods (created, ready, available, on current / update revision). */
export function computeReplicaStatus(pods: PodObj[], minReadySeconds: number, currentRevision: string, updateRevision: string, nowMs: number): StatefulSetStatus {
  const st = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const pod of pods) {
    if (isCreated(pod)) st.replicas++;
    if (isRunningAndReady(pod)) {
      st.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, nowMs)) st.availableReplicas++;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      const rev = getPodRevision(pod);
      if (rev === currentRevision) st.currentReplicas++;
      if (rev === updateRevision) st.updatedReplicas++;
    }
  }
  return st;
}

/** `completeRollingUpdate`: when every replica is updated and ready, the update revision becomes current. */
export function completeRollingUpdate(set: StsObj, status: StatefulSetStatus): void {
  if (set.spec?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** `inconsistentStatus`: true when `status` differs from the set's stored status in any field we own. */
export function inconsistentStatus(set: StsObj, status: StatefulSetStatus): boolean {
  const s = set.status ?? ({} as StatefulSetStatus);
  return (
    (status.observedGeneration ?? 0) > (s.observedGeneration ?? 0) ||
    status.replicas !== (s.replicas ?? 0) ||
    (status.currentReplicas ?? 0) !== (s.currentReplicas ?? 0) ||
    (status.readyReplicas ?? 0) !== (s.readyReplicas ?? 0) ||
    (status.updatedReplicas ?? 0) !== (s.updatedReplicas ?? 0) ||
    (status.availableReplicas ?? 0) !== (s.availableReplicas ?? 0) ||
    status.currentRevision !== s.currentRevision ||
    status.updateRevision !== s.updateRevision ||
    status.collisionCount !== s.collisionCount
  );
}

/** Options of {@link StatefulSetControl}. */
export interface StatefulSetControlOptions {
  client: Client;
  podControl: StatefulPodControlInterface;
  history: RevisionHistory;
  /** Clock (ms) for availability. */
  now?: () => number;
  /** Events on the set (RecreatingFailedPod, RecreatingTerminatedPod); none when absent. */
  recorder?: EventRecorder;
}

/** defaultStatefulSetControl; see the module comment. */
export class StatefulSetControl {
  private readonly now: () => number;
  constructor(private readonly o: StatefulSetControlOptions) {
    this.now = o.now ?? (() => Date.now());
  }

  /**
   * `UpdateStatefulSet`: one reconcile step for `set` over its claimed `pods` and `revisions`
   * (claimed ControllerRevisions). Writes status (if changed) and truncates history.
   * @returns the status computed (and written)
   * @throws API errors from pod/claim/revision/status writes (the caller retries)
   */
  async updateStatefulSet(set: StsObj, revisions: ControllerRevision[], pods: PodObj[]): Promise<StatefulSetStatus> {
    const revs = sortControllerRevisions([...revisions]);
    const { currentRevision, updateRevision, collisionCount } = await this.getStatefulSetRevisions(set, revs);
    let status: StatefulSetStatus;
    let err: unknown;
    try {
      status = await this.performUpdate(set, pods, currentRevision, updateRevision, collisionCount);
    } catch (e) {
      err = e;
      status = (e as { status?: StatefulSetStatus }).status ?? this.baseStatus(set, pods, currentRevision, updateRevision, collisionCount);
    }
    await this.updateStatefulSetStatus(set, status);
    if (err) throw err;
    await this.truncateHistory(set, pods, revs, currentRevision, updateRevision);
    return status;
  }

  private baseStatus(set: StsObj, pods: PodObj[], current: ControllerRevision, update: ControllerRevision, collisionCount: number): StatefulSetStatus {
    return {
      ...computeReplicaStatus(pods, set.spec?.minReadySeconds ?? 0, current.metadata.name!, update.metadata.name!, this.now()),
      observedGeneration: set.metadata?.generation,
      currentRevision: current.metadata.name,
      updateRevision: update.metadata.name,
      collisionCount,
    };
  }

  /**
   * `getStatefulSetRevisions`: the update revision is the set's current template (an equal latest
   * revision is reused, an equal older one is renumbered = rollback, else one is created); the
   * current revision is `status.currentRevision` if it still exists, else the update revision.
   */
  async getStatefulSetRevisions(
    set: StsObj,
    revisions: ControllerRevision[],
  ): Promise<{ currentRevision: ControllerRevision; updateRevision: ControllerRevision; collisionCount: number }> {
    const cc = { value: set.status?.collisionCount ?? 0 };
    let updateRevision = newRevision(set, nextRevision(revisions), cc.value);
    const equal = findEqualRevisions(revisions, updateRevision);
    if (equal.length > 0 && equalRevision(revisions[revisions.length - 1], equal[equal.length - 1])) {
      updateRevision = revisions[revisions.length - 1];
    } else if (equal.length > 0) {
      updateRevision = await this.o.history.updateControllerRevision(equal[equal.length - 1], updateRevision.revision);
    } else {
      updateRevision = await this.o.history.createControllerRevision(set, updateRevision, cc);
    }
    const currentRevision = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRevision;
    return { currentRevision, updateRevision, collisionCount: cc.value };
  }

  /** `updateStatefulSet` (the pod part); on error the thrown value carries `.status`. */
  private async performUpdate(set: StsObj, pods: PodObj[], currentRevision: ControllerRevision, updateRevision: ControllerRevision, collisionCount: number): Promise<StatefulSetStatus> {
    const currentSet = applyRevision(set, currentRevision);
    const updateSet = applyRevision(set, updateRevision);
    const curName = currentRevision.metadata.name!;
    const updName = updateRevision.metadata.name!;
    const status = this.baseStatus(set, pods, currentRevision, updateRevision, collisionCount);
    const start = getStartOrdinal(set);
    const replicaCount = set.spec?.replicas ?? 1;
    const replicas: PodObj[] = new Array(replicaCount);
    const condemned: PodObj[] = [];
    for (const pod of pods) {
      if (podInOrdinalRange(pod, set)) replicas[getOrdinal(pod) - start] = pod;
      else if (getOrdinal(pod) >= 0) condemned.push(pod);
    }
    for (let ord = start; ord <= getEndOrdinal(set); ord++) {
      if (!replicas[ord - start]) replicas[ord - start] = newVersionedStatefulSetPod(currentSet, updateSet, curName, updName, ord) as PodObj;
    }
    condemned.sort((a, b) => getOrdinal(b) - getOrdinal(a));
    let firstUnhealthyPod: PodObj | undefined;
    for (const p of replicas) if (!isHealthy(p) && !firstUnhealthyPod) firstUnhealthyPod = p;
    for (let i = condemned.length - 1; i >= 0; i--) if (!isHealthy(condemned[i]) && !firstUnhealthyPod) firstUnhealthyPod = condemned[i];

    // A set being deleted only gets its status updated.
    if (set.metadata?.deletionTimestamp) return status;
    const monotonic = !allowsBurst(set);
    const fail = (e: unknown): never => {
      if (e && typeof e === 'object') (e as { status?: StatefulSetStatus }).status = status;
      throw e;
    };

    const processReplica = async (i: number): Promise<boolean> => {
      const pod = replicas[i];
      if (isFailed(pod) || isSucceeded(pod)) {
        if (!pod.metadata?.deletionTimestamp) {
          // Upstream processReplica's events before deleting a finished pod for recreation.
          if (isFailed(pod)) this.o.recorder?.eventf(set, 'Warning', 'RecreatingFailedPod', 'StatefulSet %s/%s is recreating failed Pod %s', set.metadata?.namespace, set.metadata?.name, pod.metadata?.name);
          else this.o.recorder?.eventf(set, 'Normal', 'RecreatingTerminatedPod', 'StatefulSet %s/%s is recreating terminated Pod %s', set.metadata?.namespace, set.metadata?.name, pod.metadata?.name);
          await this.o.podControl.deleteStatefulPod(set, pod);
          if (getPodRevision(pod) === curName) status.currentReplicas = (status.currentReplicas ?? 0) - 1;
          if (getPodRevision(pod) === updName) status.updatedReplicas = (status.updatedReplicas ?? 0) - 1;
        }
        return true; // recreated on a later sync, once the pod is gone
      }
      if (!isCreated(pod)) {
        await this.o.podControl.createStatefulPod(set, pod);
        status.replicas = (status.replicas ?? 0) + 1;
        if (getPodRevision(pod) === curName) status.currentReplicas = (status.currentReplicas ?? 0) + 1;
        if (getPodRevision(pod) === updName) status.updatedReplicas = (status.updatedReplicas ?? 0) + 1;
        return monotonic;
      }
      if (isPending(pod)) await this.o.podControl.createMissingPersistentVolumeClaims(set, pod);
      if (isTerminating(pod) && monotonic) return true;
      if (!isRunningAndReady(pod) && monotonic) return true;
      if (!isRunningAndAvailable(pod, set.spec?.minReadySeconds ?? 0, this.now()) && monotonic) return true;
      if (identityMatches(set, pod) && storageMatches(set, pod) && this.o.podControl.claimsMatchRetentionPolicy(updateSet, pod)) return false;
      await this.o.podControl.updateStatefulPod(updateSet, deepCopy(pod));
      return false;
    };

    const processCondemned = async (i: number): Promise<boolean> => {
      const pod = condemned[i];
      if (isTerminating(pod)) return monotonic;
      if (!isRunningAndReady(pod) && monotonic && pod !== firstUnhealthyPod) return true;
      if (!isRunningAndAvailable(pod, set.spec?.minReadySeconds ?? 0, this.now()) && monotonic && pod !== firstUnhealthyPod) return true;
      await this.o.podControl.deleteStatefulPod(set, pod);
      if (getPodRevision(pod) === curName) status.currentReplicas = (status.currentReplicas ?? 0) - 1;
      if (getPodRevision(pod) === updName) status.updatedReplicas = (status.updatedReplicas ?? 0) - 1;
      return true;
    };

    try {
      if (await runForAll(replicas.length, processReplica, monotonic)) return status;
      // Claims of condemned pods get their retention-policy owner refs before the pods go.
      for (const pod of condemned) {
        if (!this.o.podControl.claimsMatchRetentionPolicy(updateSet, pod)) await this.o.podControl.updatePodClaimForRetentionPolicy(updateSet, pod);
      }
      if (await runForAll(condemned.length, processCondemned, monotonic)) return status;
      if (set.spec?.updateStrategy?.type === 'OnDelete') return status;
      const updateMin = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      const mu = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
      if (mu !== undefined && mu !== null) {
        // updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet): delete up to
        // maxUnavailable − (unavailable replicas) outdated pods at once, highest ordinal first.
        const maxUnavailable = Math.max(1, getScaledValueFromIntOrPercent(mu, replicaCount, false));
        let unavailable = 0;
        for (const p of replicas) if (!isHealthy(p) || !isRunningAndAvailable(p, set.spec?.minReadySeconds ?? 0, this.now())) unavailable++;
        let budget = maxUnavailable - unavailable;
        for (let target = replicas.length - 1; target >= updateMin && budget > 0; target--) {
          const pod = replicas[target];
          if (getPodRevision(pod) !== updName && !isTerminating(pod)) {
            await this.o.podControl.deleteStatefulPod(set, pod);
            status.currentReplicas = (status.currentReplicas ?? 0) - 1;
            budget--;
          }
        }
        return status;
      }
      for (let target = replicas.length - 1; target >= updateMin; target--) {
        const pod = replicas[target];
        if (getPodRevision(pod) !== updName && !isTerminating(pod)) {
          await this.o.podControl.deleteStatefulPod(set, pod);
          status.currentReplicas = (status.currentReplicas ?? 0) - 1;
          return status;
        }
        if (!isHealthy(pod)) return status;
      }
    } catch (e) {
      fail(e);
    }
    return status;
  }

  /** `updateStatefulSetStatus`: completeRollingUpdate, then write `/status` when it changed (one 409 retry on a fresh read). */
  async updateStatefulSetStatus(set: StsObj, status: StatefulSetStatus): Promise<void> {
    completeRollingUpdate(set, status);
    if (!inconsistentStatus(set, status)) return;
    let target: StsObj = set;
    for (let attempt = 0; ; attempt++) {
      const copy = deepCopy(target);
      (copy as { status?: StatefulSetStatus }).status = { ...(target.status ?? {}), ...status, observedGeneration: set.metadata?.generation } as StatefulSetStatus;
      try {
        await this.o.client.update<StsObj>(statefulSetsGVR, copy.metadata?.namespace, copy, { subresource: 'status' });
        return;
      } catch (e) {
        if (attempt >= 1 || !(e instanceof StatusError) || e.code !== 409) throw e;
        target = await this.o.client.get<StsObj>(statefulSetsGVR, set.metadata?.namespace, set.metadata!.name!);
      }
    }
  }

  /**
   * `truncateHistory`: deletes the oldest revisions beyond revisionHistoryLimit, never one used by
   * a live pod nor the current/update revision.
   */
  async truncateHistory(set: StsObj, pods: PodObj[], revisions: ControllerRevision[], current: ControllerRevision, update: ControllerRevision): Promise<void> {
    const live = new Set<string>();
    for (const p of pods) {
      const h = p.metadata?.labels?.[ControllerRevisionHashLabel];
      if (h) live.add(h);
    }
    const keep = new Set([current.metadata.name ?? '', update.metadata.name ?? '']);
    for (const r of revisionsToTruncate(revisions, set.spec?.revisionHistoryLimit ?? 10, live, keep)) await this.o.history.deleteControllerRevision(r);
  }
}

/**
 * `runForAll`: monotonic → `fn(0..n-1)` in order, stopping at the first that asks to exit;
 * burst → all in slow-start batches (1, 2, 4, …), stopping at the first error.
 * @returns true when the caller should stop this sync
 * @throws the first error of `fn`
 */
export async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  let next = 0;
  const { error } = await slowStartBatch(n, 1, async () => {
    await fn(next++);
  });
  if (error) throw error;
  return false;
}
