/**
 * RollingUpdate strategy, after pkg/controller/deployment/rolling.go.
 *
 * rolloutRolling makes ONE kind of change per sync and returns, relying on the resulting RS/pod
 * events to sync again: scale the new RS up if allowed (→ write status, return); else scale old
 * RSs down if allowed (→ write status, return); else, when the rollout is complete, clean up old
 * RSs; always finish with status.
 */
import {
  byCreationTimestamp,
  deploymentComplete,
  filterActiveReplicaSets,
  getAvailableReplicaCountForReplicaSets,
  getReplicaCountForReplicaSets,
  maxUnavailable,
  newRSNewReplicas,
  replicasOf,
  rsReplicas,
  type DeploymentObj,
  type RSObj,
} from './util/deployment-util.ts';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type DeploymentContext } from './sync.ts';
import { syncRolloutStatus } from './progress.ts';

/** rolloutRolling: see module comment. */
export async function rolloutRolling(ctx: DeploymentContext, d: DeploymentObj, rsList: RSObj[]): Promise<void> {
  const [newRS, oldRSs] = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true);
  let allRSs: RSObj[] = [...oldRSs, ...(newRS ? [newRS] : [])];
  const [scaledUp, newRSAfter] = await reconcileNewReplicaSet(ctx, allRSs, newRS!, d);
  if (scaledUp) {
    allRSs = [...oldRSs, newRSAfter];
    return syncRolloutStatus(ctx, allRSs, newRSAfter, d);
  }
  const [scaledDown, oldAfter] = await reconcileOldReplicaSets(ctx, allRSs, filterActiveReplicaSets(oldRSs), newRSAfter, d);
  if (scaledDown) {
    const byName = new Map(oldAfter.map((r) => [r.metadata!.name!, r]));
    allRSs = [...oldRSs.map((r) => byName.get(r.metadata!.name!) ?? r), newRSAfter];
    return syncRolloutStatus(ctx, allRSs, newRSAfter, d);
  }
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(ctx, oldRSs, d);
  return syncRolloutStatus(ctx, allRSs, newRSAfter, d);
}

/**
 * reconcileNewReplicaSet: scales the new RS toward spec.replicas within maxSurge (or down, if it
 * is larger than spec.replicas). Returns [scaled, newRS].
 */
export async function reconcileNewReplicaSet(ctx: DeploymentContext, allRSs: RSObj[], newRS: RSObj, d: DeploymentObj): Promise<[boolean, RSObj]> {
  if (rsReplicas(newRS) === replicasOf(d)) return [false, newRS];
  if (rsReplicas(newRS) > replicasOf(d)) return scaleReplicaSetAndRecordEvent(ctx, newRS, replicasOf(d), d);
  const count = newRSNewReplicas(d, allRSs, newRS);
  return scaleReplicaSetAndRecordEvent(ctx, newRS, count, d);
}

/**
 * reconcileOldReplicaSets: scales old RSs down without going below minAvailable.
 *
 * Worked example (upstream's): replicas 10, maxUnavailable 2 → minAvailable 8; maxSurge 3 → at
 * most 13 pods. Old RS 10 replicas all available, new RS just scaled to 3 with 0 available.
 * allPods 13; newRSUnavailable = 3 − 0 = 3; maxScaledDown = 13 − 8 − 3 = 2. First unhealthy old
 * pods are removed (none here), then available old pods are scaled down while the total available
 * (10) exceeds minAvailable (8): 10 − 8 = 2 → old RS goes to 8. Without subtracting the new RS's
 * unavailable pods we would have scaled old down by 5 and dropped below 8 available if the new
 * pods never become ready.
 * Returns [scaled, updated old RSs].
 */
export async function reconcileOldReplicaSets(
  ctx: DeploymentContext,
  allRSs: RSObj[],
  oldRSs: RSObj[],
  newRS: RSObj,
  d: DeploymentObj,
): Promise<[boolean, RSObj[]]> {
  const oldPodsCount = getReplicaCountForReplicaSets(oldRSs);
  if (oldPodsCount === 0) return [false, oldRSs];
  const allPodsCount = getReplicaCountForReplicaSets(allRSs);
  const minAvail = replicasOf(d) - maxUnavailable(d);
  const newRSUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPodsCount - minAvail - newRSUnavailable;
  if (maxScaledDown <= 0) return [false, oldRSs];
  const [cleaned, cleanupCount] = await cleanupUnhealthyReplicas(ctx, oldRSs, d, maxScaledDown);
  const all = [...cleaned, newRS];
  const [scaledDownCount, after] = await scaleDownOldReplicaSetsForRollingUpdate(ctx, all, cleaned, d);
  return [cleanupCount + scaledDownCount > 0, after];
}

/**
 * cleanupUnhealthyReplicas: scales old RSs down by their unavailable replicas (oldest first), up
 * to `maxCleanupCount` in total. Returns [old RSs as updated, number scaled down].
 */
export async function cleanupUnhealthyReplicas(ctx: DeploymentContext, oldRSs: RSObj[], d: DeploymentObj, maxCleanupCount: number): Promise<[RSObj[], number]> {
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= maxCleanupCount) break;
    const rs = sorted[i];
    if (rsReplicas(rs) === 0) continue;
    if (rsReplicas(rs) === (rs.status?.availableReplicas ?? 0)) continue;
    const n = Math.min(maxCleanupCount - total, rsReplicas(rs) - (rs.status?.availableReplicas ?? 0));
    const newCount = rsReplicas(rs) - n;
    if (newCount > rsReplicas(rs)) throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata?.namespace}/${rs.metadata?.name} ${rsReplicas(rs)} -> ${newCount}`);
    const [, updated] = await scaleReplicaSetAndRecordEvent(ctx, rs, newCount, d);
    total += n;
    sorted[i] = updated;
  }
  return [sorted, total];
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate: scales old RSs down (oldest first) by
 * available − minAvailable, skipping empty ones. Returns [number scaled down, old RSs as updated].
 */
export async function scaleDownOldReplicaSetsForRollingUpdate(ctx: DeploymentContext, allRSs: RSObj[], oldRSs: RSObj[], d: DeploymentObj): Promise<[number, RSObj[]]> {
  const minAvail = replicasOf(d) - maxUnavailable(d);
  const available = getAvailableReplicaCountForReplicaSets(allRSs);
  if (available <= minAvail) return [0, oldRSs];
  const totalToScaleDown = available - minAvail;
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= totalToScaleDown) break;
    const rs = sorted[i];
    if (rsReplicas(rs) === 0) continue;
    const n = Math.min(rsReplicas(rs), totalToScaleDown - total);
    const [, updated] = await scaleReplicaSetAndRecordEvent(ctx, rs, rsReplicas(rs) - n, d);
    sorted[i] = updated;
    total += n;
  }
  return [total, sorted];
}
