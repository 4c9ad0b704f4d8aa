/**
 * Recreate strategy, after pkg/controller/deployment/recreate.go: scale every old RS to 0, wait
 * until no old pod is running, then create/scale the new RS to spec.replicas.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  deploymentComplete,
  filterActiveReplicaSets,
  getActualReplicaCountForReplicaSets,
  replicasOf,
  type DeploymentObj,
  type RSObj,
} from './util/deployment-util.ts';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent, type DeploymentContext } from './sync.ts';
import { syncRolloutStatus } from './progress.ts';

/** rolloutRecreate; `podMap` maps RS uid → its pods. */
export async function rolloutRecreate(ctx: DeploymentContext, d: DeploymentObj, rsList: RSObj[], podMap: Map<string, Pod[]>): Promise<void> {
  let [newRS, oldRSs] = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  let allRSs: (RSObj | undefined)[] = [...oldRSs, newRS];
  const activeOld = filterActiveReplicaSets(oldRSs);
  let scaledDown = false;
  for (const rs of activeOld) {
    const [scaled] = await scaleReplicaSetAndRecordEvent(ctx, rs, 0, d);
    if (scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (!newRS) {
    [newRS, oldRSs] = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true);
    allRSs = [...oldRSs, newRS];
  }
  const [, updated] = await scaleReplicaSetAndRecordEvent(ctx, newRS!, replicasOf(d), d);
  newRS = updated;
  allRSs = [...oldRSs, newRS];
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(ctx, oldRSs, d);
  return syncRolloutStatus(ctx, allRSs, newRS, d);
}

/** oldPodsRunning: any old RS still has replicas, or any pod of an old RS is not Failed/Succeeded. */
export function oldPodsRunning(newRS: RSObj | undefined, oldRSs: RSObj[], podMap: Map<string, Pod[]>): boolean {
  if (getActualReplicaCountForReplicaSets(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
