/**
 * Rollout progress, after pkg/controller/deployment/progress.go: the Progressing condition
 * (NewReplicaSetAvailable when complete, ReplicaSetUpdated while progressing,
 * ProgressDeadlineExceeded after progressDeadlineSeconds without progress), the ReplicaFailure
 * condition copied from ReplicaSets, and the requeue that notices a stuck rollout.
 */
import type { DeploymentCondition } from 'kubernetes-types/apps/v1.js';
import {
  NewRSAvailableReason,
  ReplicaSetUpdatedReason,
  TimedOutReason,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getDeploymentCondition,
  hasProgressDeadline,
  newDeploymentCondition,
  progressDeadlineSeconds,
  removeDeploymentCondition,
  setDeploymentCondition,
  type DeploymentObj,
  type RSObj,
  type StatusLike,
} from './util/deployment-util.ts';
import { calculateStatus, statusEqual, updateDeploymentStatus, type DeploymentContext } from './sync.ts';

/**
 * syncRolloutStatus: recomputes status, updates the Progressing/ReplicaFailure conditions and
 * writes status if it changed; otherwise schedules a check for the progress deadline.
 */
export async function syncRolloutStatus(ctx: DeploymentContext, allRSs: (RSObj | undefined)[], newRS: RSObj | undefined, d: DeploymentObj): Promise<void> {
  const newStatus = calculateStatus(ctx, allRSs, newRS, d);
  if (!hasProgressDeadline(d)) removeDeploymentCondition(newStatus, 'Progressing');
  const currentCond = getDeploymentCondition(d.status, 'Progressing');
  const isCompleteDeployment = newStatus.replicas === newStatus.updatedReplicas && currentCond?.reason === NewRSAvailableReason;
  if (hasProgressDeadline(d) && !isCompleteDeployment) {
    const name = d.metadata?.name;
    if (deploymentComplete(d, newStatus)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata?.name}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      setDeploymentCondition(newStatus, newDeploymentCondition('Progressing', 'True', NewRSAvailableReason, msg, ctx.now()));
    } else if (deploymentProgressing(d, newStatus)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata?.name}" is progressing.` : `Deployment "${name}" is progressing.`;
      const cond = newDeploymentCondition('Progressing', 'True', ReplicaSetUpdatedReason, msg, ctx.now()) as { lastTransitionTime?: string };
      // Refresh lastUpdateTime on every bit of progress; keep lastTransitionTime while it stays True.
      if (currentCond) {
        if (currentCond.status === 'True') cond.lastTransitionTime = currentCond.lastTransitionTime;
        removeDeploymentCondition(newStatus, 'Progressing');
      }
      setDeploymentCondition(newStatus, cond as DeploymentCondition);
    } else if (deploymentTimedOut(d, newStatus, ctx.now())) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata?.name}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      setDeploymentCondition(newStatus, newDeploymentCondition('Progressing', 'False', TimedOutReason, msg, ctx.now()));
    }
  }
  const failure = getReplicaFailures(allRSs, newRS);
  if (failure) setDeploymentCondition(newStatus, failure);
  else removeDeploymentCondition(newStatus, 'ReplicaFailure');

  if (statusEqual(d.status, newStatus)) {
    requeueStuckDeployment(ctx, d, newStatus);
    return;
  }
  await updateDeploymentStatus(ctx, { ...d, status: newStatus } as DeploymentObj);
}

/** getReplicaFailures: the ReplicaFailure condition of the new RS (else of any RS), as a Deployment condition. */
export function getReplicaFailures(allRSs: (RSObj | undefined)[], newRS: RSObj | undefined): DeploymentCondition | undefined {
  const pick = (rs: RSObj | undefined) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  let c = pick(newRS);
  if (!c) for (const rs of allRSs) if ((c = pick(rs))) break;
  if (!c) return undefined;
  return {
    type: 'ReplicaFailure',
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: c.lastTransitionTime,
    lastUpdateTime: c.lastTransitionTime,
  };
}

/**
 * requeueStuckDeployment: when a rollout is still within its deadline, requeue the Deployment for
 * the moment the deadline passes so ProgressDeadlineExceeded is reported on time. Returns the delay
 * in ms, or -1 when no requeue is needed.
 */
export function requeueStuckDeployment(ctx: DeploymentContext, d: DeploymentObj, newStatus: StatusLike): number {
  const currentCond = getDeploymentCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !currentCond) return -1;
  if (deploymentComplete(d, newStatus) || currentCond.reason === TimedOutReason) return -1;
  const from = currentCond.lastUpdateTime ? Date.parse(currentCond.lastUpdateTime) : ctx.now();
  const after = from + progressDeadlineSeconds(d) * 1000 - ctx.now();
  if (after < 1000) {
    ctx.enqueueRateLimited(d);
    return 0;
  }
  ctx.enqueueAfter(d, after);
  return after;
}
