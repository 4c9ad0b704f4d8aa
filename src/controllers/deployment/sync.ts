/**
 * Deployment sync helpers shared by every strategy, after pkg/controller/deployment/sync.go:
 * finding/creating the new ReplicaSet (pod-template-hash + revision annotations), syncing
 * revisions, scaling (including proportional scaling mid-rollout), cleaning up old
 * ReplicaSets beyond revisionHistoryLimit, and computing/writing Deployment status.
 */
import type { DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import type { Lister } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/record.ts';
import { deepCopy, getControllerOf, type K, type Mutable } from '../../client/object-util.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { newControllerRef } from '../shared/controller-ref-manager.ts';
import {
  DefaultDeploymentUniqueLabelKey,
  FailedRSCreateReason,
  FoundNewRSReason,
  MinimumReplicasAvailable,
  MinimumReplicasUnavailable,
  NewReplicaSetReason,
  RevisionAnnotation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  computeHash,
  equalIgnoreHash,
  filterActiveReplicaSets,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getActualReplicaCountForReplicaSets,
  getAvailableReplicaCountForReplicaSets,
  getDeploymentCondition,
  getDesiredReplicasAnnotation,
  getProportion,
  getReadyReplicaCountForReplicaSets,
  getReplicaCountForReplicaSets,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newDeploymentCondition,
  newRSNewReplicas,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  revisionHistoryLimit,
  rsReplicas,
  setDeploymentCondition,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  type DeploymentObj,
  type RSObj,
} from './util/deployment-util.ts';

/** What the sync functions need from the controller (injected; tests build one over a FakeClient). */
export interface DeploymentContext {
  client: Client;
  recorder: EventRecorder;
  rsLister: Lister<RSObj>;
  /** Clock (ms). */
  now(): number;
  /** Requeue the Deployment after `ms`. */
  enqueueAfter(d: DeploymentObj, ms: number): void;
  /** Requeue the Deployment with per-key back-off. */
  enqueueRateLimited(d: DeploymentObj): void;
}

const ControllerKind = { apiVersion: 'apps/v1', kind: 'Deployment' };

/** Writes Deployment status through `/status`; returns the stored object. */
export async function updateDeploymentStatus(ctx: DeploymentContext, d: DeploymentObj): Promise<DeploymentObj> {
  return ctx.client.update<DeploymentObj>(GVR.deployments, d.metadata?.namespace, d, { subresource: 'status' });
}

/**
 * getAllReplicaSetsAndSyncRevision: [newRS (created when `createIfNotExisted`), all old RSs].
 * Also syncs the revision annotation of the Deployment and the new RS.
 */
export async function getAllReplicaSetsAndSyncRevision(
  ctx: DeploymentContext,
  d: DeploymentObj,
  rsList: RSObj[],
  createIfNotExisted: boolean,
): Promise<[RSObj | undefined, RSObj[]]> {
  const [, allOldRSs] = findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(ctx, d, rsList, allOldRSs, createIfNotExisted);
  return [newRS, allOldRSs];
}

/**
 * getNewReplicaSet: the RS matching the Deployment's template, with revision (max old + 1),
 * copied annotations and minReadySeconds brought up to date; or, when absent and
 * `createIfNotExisted`, a new RS `<deployment>-<hash>` with the pod-template-hash label in its
 * selector/template/labels. A name collision with a different template bumps
 * status.collisionCount and throws (the next sync computes another hash).
 */
export async function getNewReplicaSet(
  ctx: DeploymentContext,
  d: DeploymentObj,
  rsList: RSObj[],
  oldRSs: RSObj[],
  createIfNotExisted: boolean,
): Promise<RSObj | undefined> {
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  const dm = d as Mutable<DeploymentObj>;
  if (existing) {
    const rsCopy = deepCopy(existing) as Mutable<RSObj>;
    const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy as RSObj, newRevision, true);
    const mrsNeedsUpdate = (rsCopy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
    let current: RSObj = existing;
    if (annotationsUpdated || mrsNeedsUpdate) {
      rsCopy.spec!.minReadySeconds = d.spec?.minReadySeconds ?? 0;
      current = await ctx.client.update<RSObj>(GVR.replicasets, rsCopy.metadata?.namespace, rsCopy as RSObj);
    }
    let needsUpdate = setDeploymentRevision(d, current.metadata?.annotations?.[RevisionAnnotation] ?? newRevision);
    const cond = getDeploymentCondition(d.status, 'Progressing');
    if (hasProgressDeadline(d) && !cond) {
      dm.status ??= {};
      setDeploymentCondition(dm.status, newDeploymentCondition('Progressing', 'True', FoundNewRSReason, `Found new replica set "${current.metadata?.name}"`, ctx.now()));
      needsUpdate = true;
    }
    if (needsUpdate) {
      const stored = await updateStatusAndMetadata(ctx, d);
      Object.assign(dm, stored);
    }
    return current;
  }
  if (!createIfNotExisted) return undefined;

  const template = deepCopy(d.spec!.template) as Mutable<PodTemplateSpec>;
  const hash = computeHash(d.spec!.template as PodTemplateSpec, d.status?.collisionCount);
  template.metadata ??= {};
  template.metadata.labels = { ...(template.metadata.labels ?? {}), [DefaultDeploymentUniqueLabelKey]: hash };
  const selector = deepCopy(d.spec!.selector) as Mutable<NonNullable<DeploymentObj['spec']>['selector']>;
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [DefaultDeploymentUniqueLabelKey]: hash };
  const newRS = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata!.name}-${hash}`,
      namespace: d.metadata!.namespace,
      ownerReferences: [newControllerRef(d, ControllerKind)],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  } as Mutable<K<ReplicaSet>>;
  const allRSs = [...oldRSs, newRS as RSObj];
  const newReplicasCount = newRSNewReplicas(d, allRSs, newRS as RSObj);
  newRS.spec!.replicas = newReplicasCount;
  setNewReplicaSetAnnotations(d, newRS as RSObj, newRevision, false);

  let created: RSObj | undefined;
  let alreadyExists = false;
  try {
    created = await ctx.client.create<RSObj>(GVR.replicasets, d.metadata!.namespace, newRS as RSObj);
  } catch (e) {
    if (isAlreadyExists(e)) {
      alreadyExists = true;
      const rs = ctx.rsLister.get(d.metadata!.namespace, newRS.metadata!.name!) ?? (await ctx.client.get<RSObj>(GVR.replicasets, d.metadata!.namespace, newRS.metadata!.name!));
      const ref = getControllerOf(rs);
      if (ref?.uid === d.metadata?.uid && equalIgnoreHash(d.spec!.template as PodTemplateSpec, rs.spec?.template as PodTemplateSpec)) {
        created = rs;
      } else {
        // Hash collision: bump collisionCount so the next sync picks a new name.
        dm.status ??= {};
        (dm.status as Mutable<DeploymentStatus>).collisionCount = (d.status?.collisionCount ?? 0) + 1;
        await updateDeploymentStatus(ctx, d);
        throw e;
      }
    } else {
      const msg = `Failed to create new replica set "${newRS.metadata!.name}": ${e instanceof Error ? e.message : String(e)}`;
      if (hasProgressDeadline(d)) {
        dm.status ??= {};
        setDeploymentCondition(dm.status, newDeploymentCondition('Progressing', 'False', FailedRSCreateReason, msg, ctx.now()));
        try {
          await updateDeploymentStatus(ctx, d);
        } catch {
          /* the create error is what gets retried */
        }
      }
      // Upstream records the event whether or not a progress deadline is set.
      ctx.recorder.event(d, 'Warning', FailedRSCreateReason, msg);
      throw e;
    }
  }
  if (!alreadyExists && newReplicasCount > 0) {
    ctx.recorder.eventf(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set %s from 0 to %d', created!.metadata?.name, newReplicasCount);
  }
  let needsUpdate = setDeploymentRevision(d, newRevision);
  if (!alreadyExists && hasProgressDeadline(d)) {
    dm.status ??= {};
    setDeploymentCondition(dm.status, newDeploymentCondition('Progressing', 'True', NewReplicaSetReason, `Created new replica set "${created!.metadata?.name}"`, ctx.now()));
    needsUpdate = true;
  }
  if (needsUpdate) {
    const stored = await updateStatusAndMetadata(ctx, d);
    Object.assign(dm, stored);
  }
  return created;
}

/**
 * Persists both the revision annotation (main resource) and status (subresource). Upstream does a
 * single UpdateStatus because its status update also persists metadata; our `/status` keeps
 * metadata from storage, so the annotation is written first with a merge patch.
 */
async function updateStatusAndMetadata(ctx: DeploymentContext, d: DeploymentObj): Promise<DeploymentObj> {
  const rev = d.metadata?.annotations?.[RevisionAnnotation];
  let stored = d;
  if (rev !== undefined) {
    stored = await ctx.client.patch<DeploymentObj>(GVR.deployments, d.metadata?.namespace, d.metadata!.name!, 'application/merge-patch+json', {
      metadata: { annotations: { [RevisionAnnotation]: rev } },
    });
  }
  const next = { ...stored, status: d.status } as DeploymentObj;
  return updateDeploymentStatus(ctx, next);
}

/**
 * scaleReplicaSetAndRecordEvent: sets spec.replicas (and the desired/max annotations) of `rs`;
 * records `Scaled up|down replica set <rs> from <old> to <new>`. Returns [scaled, rs].
 */
export async function scaleReplicaSetAndRecordEvent(ctx: DeploymentContext, rs: RSObj, newScale: number, d: DeploymentObj): Promise<[boolean, RSObj]> {
  if (rsReplicas(rs) === newScale) return [false, rs];
  const op = rsReplicas(rs) < newScale ? 'up' : 'down';
  return scaleReplicaSet(ctx, rs, newScale, d, op);
}

/** scaleReplicaSet: writes size and annotations when either differs. */
export async function scaleReplicaSet(ctx: DeploymentContext, rs: RSObj, newScale: number, d: DeploymentObj, op: string): Promise<[boolean, RSObj]> {
  const sizeNeedsUpdate = rsReplicas(rs) !== newScale;
  const desired = replicasOf(d);
  const max = desired + maxSurge(d);
  const annotationsNeedUpdate = replicasAnnotationsNeedUpdate(rs, desired, max);
  if (!sizeNeedsUpdate && !annotationsNeedUpdate) return [false, rs];
  const oldScale = rsReplicas(rs);
  const copy = deepCopy(rs) as Mutable<RSObj>;
  copy.spec!.replicas = newScale;
  setReplicasAnnotations(copy as RSObj, desired, max);
  const updated = await ctx.client.update<RSObj>(GVR.replicasets, rs.metadata?.namespace, copy as RSObj);
  if (sizeNeedsUpdate) {
    ctx.recorder.eventf(d, 'Normal', 'ScalingReplicaSet', 'Scaled %s replica set %s from %d to %d', op, rs.metadata?.name, oldScale, newScale);
    return [true, updated];
  }
  return [false, updated];
}

/**
 * scale: brings the RS sizes in line with spec.replicas when the Deployment was scaled. With one
 * active RS (or none) it is set directly; a saturated new RS means old ones go to 0; otherwise
 * (RollingUpdate mid-rollout) the difference is spread proportionally (largest first; the leftover
 * goes to the first RS in that order).
 */
export async function scale(ctx: DeploymentContext, d: DeploymentObj, newRS: RSObj | undefined, oldRSs: RSObj[]): Promise<void> {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (rsReplicas(activeOrLatest) === replicasOf(d)) return;
    await scaleReplicaSetAndRecordEvent(ctx, activeOrLatest, replicasOf(d), d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActiveReplicaSets(oldRSs)) await scaleReplicaSetAndRecordEvent(ctx, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const allRSs = filterActiveReplicaSets([...oldRSs, newRS]);
  const allRSsReplicas = getReplicaCountForReplicaSets(allRSs);
  const allowedSize = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowedSize - allRSsReplicas;
  let op = '';
  if (toAdd > 0) {
    allRSs.sort(bySizeNewer);
    op = 'up';
  } else if (toAdd < 0) {
    allRSs.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const nameToSize = new Map<string, number>();
  for (const rs of allRSs) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      nameToSize.set(rs.metadata!.name!, rsReplicas(rs) + p);
      added += p;
    } else nameToSize.set(rs.metadata!.name!, rsReplicas(rs));
  }
  for (let i = 0; i < allRSs.length; i++) {
    const rs = allRSs[i];
    const name = rs.metadata!.name!;
    if (i === 0 && toAdd !== 0) {
      const leftover = toAdd - added;
      nameToSize.set(name, Math.max(0, nameToSize.get(name)! + leftover));
    }
    await scaleReplicaSet(ctx, rs, nameToSize.get(name)!, d, op);
  }
}

/**
 * cleanupDeployment: deletes the oldest old RSs beyond revisionHistoryLimit that are fully scaled
 * down, synced (observedGeneration ≥ generation) and not already being deleted.
 */
export async function cleanupDeployment(ctx: DeploymentContext, oldRSs: RSObj[], d: DeploymentObj): Promise<void> {
  const limit = revisionHistoryLimit(d);
  if (limit === 2147483647) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata?.deletionTimestamp) continue;
    try {
      await ctx.client.delete(GVR.replicasets, rs.metadata?.namespace, rs.metadata!.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/**
 * calculateStatus: counts from the RSs (replicas/updated/ready/available/unavailable,
 * observedGeneration) and the Available condition (MinimumReplicasAvailable when available ≥
 * replicas − maxUnavailable).
 */
export function calculateStatus(ctx: DeploymentContext, allRSs: (RSObj | undefined)[], newRS: RSObj | undefined, d: DeploymentObj): Mutable<DeploymentStatus> {
  const available = getAvailableReplicaCountForReplicaSets(allRSs);
  const total = getReplicaCountForReplicaSets(allRSs);
  const unavailable = Math.max(0, total - available);
  const status: Mutable<DeploymentStatus> = {
    observedGeneration: d.metadata?.generation,
    replicas: getActualReplicaCountForReplicaSets(allRSs),
    updatedReplicas: getActualReplicaCountForReplicaSets([newRS]),
    readyReplicas: getReadyReplicaCountForReplicaSets(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = deepCopy(d.status.conditions) as Mutable<DeploymentStatus>['conditions'];
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setDeploymentCondition(status, newDeploymentCondition('Available', 'True', MinimumReplicasAvailable, 'Deployment has minimum availability.', ctx.now()));
  } else {
    setDeploymentCondition(status, newDeploymentCondition('Available', 'False', MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', ctx.now()));
  }
  return status;
}

/** Canonical JSON for status comparison (drop undefined). */
export function statusEqual(a: unknown, b: unknown): boolean {
  const norm = (x: unknown) => JSON.stringify(x ?? {}, (_k, v) => (v === undefined ? undefined : v));
  return norm(a) === norm(b);
}

/** syncDeploymentStatus: writes calculateStatus when it differs from the stored status. */
export async function syncDeploymentStatus(ctx: DeploymentContext, allRSs: (RSObj | undefined)[], newRS: RSObj | undefined, d: DeploymentObj): Promise<void> {
  const newStatus = calculateStatus(ctx, allRSs, newRS, d);
  if (statusEqual(d.status, newStatus)) return;
  await updateDeploymentStatus(ctx, { ...d, status: newStatus } as DeploymentObj);
}

/**
 * sync: for scaling events and paused Deployments — reconcile sizes without rolling, clean up
 * (when paused) and write status.
 */
export async function sync(ctx: DeploymentContext, d: DeploymentObj, rsList: RSObj[]): Promise<void> {
  const [newRS, oldRSs] = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  await scale(ctx, d, newRS, oldRSs);
  // Re-read sizes after scaling from the API results kept in the lister on the next event; use the
  // freshest objects we have for the status calculation.
  const fresh = (rs: RSObj) => ctx.rsLister.get(rs.metadata?.namespace, rs.metadata!.name!) ?? rs;
  if (d.spec?.paused) await cleanupDeployment(ctx, oldRSs, d);
  await syncDeploymentStatus(ctx, [...oldRSs.map(fresh), newRS && fresh(newRS)], newRS && fresh(newRS), d);
}

/** isScalingEvent: some active RS's desired-replicas annotation differs from spec.replicas. */
export async function isScalingEvent(ctx: DeploymentContext, d: DeploymentObj, rsList: RSObj[]): Promise<boolean> {
  const [newRS, oldRSs] = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
    const desired = getDesiredReplicasAnnotation(rs);
    if (desired === undefined) continue;
    if (desired !== replicasOf(d)) return true;
  }
  return false;
}
