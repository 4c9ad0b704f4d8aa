/**
 * DaemonSet updates and history, after upstream pkg/controller/daemon/update.go: `constructHistory`
 * (current and old ControllerRevisions, creating the current one and renumbering it), `cleanupHistory`
 * (old revisions beyond revisionHistoryLimit whose hash no pod carries), and the RollingUpdate
 * decisions (`rollingUpdatePlan`): which old pods to delete (maxUnavailable) or which nodes get a
 * surge pod (maxSurge), one bounded step per sync.
 *
 * Worked example (maxUnavailable 1, 3 nodes, all pods old and available): the plan deletes one old
 * pod; the next sync's manage step creates its replacement; while that replacement is not available
 * numUnavailable = 1 ≥ maxUnavailable, so no other old pod is deleted until it becomes available.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable } from '../shared/controller-utils.ts';
import { getTemplateGeneration, isPodUpdated, type DSObj } from './util.ts';

/** `GetScaledValueFromIntOrPercent` rounding up: an int, or `ceil(total × N%)`. */
export function scaledValueRoundUp(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) return Math.ceil((Number.parseInt(v.slice(0, -1), 10) * total) / 100);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number.parseInt(v, 10);
  return 0;
}

/**
 * `updatedDesiredNodeCounts` limits: maxSurge and maxUnavailable scaled against the number of nodes
 * that should run a daemon pod (rounding up); both 0 becomes maxUnavailable 1 (a safe default).
 */
export function rollingUpdateLimits(ds: DSObj, desiredNumberScheduled: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  let maxUnavailable = scaledValueRoundUp(ru?.maxUnavailable ?? 1, desiredNumberScheduled);
  const maxSurge = scaledValueRoundUp(ru?.maxSurge ?? 0, desiredNumberScheduled);
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/**
 * `findUpdatedPodsOnNode`: the one current and one old pod of a node, ignoring pods being deleted.
 * @returns `ok: false` when the node has more than one current or more than one old pod
 */
export function findUpdatedPodsOnNode(ds: DSObj, pods: Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  const gen = getTemplateGeneration(ds);
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, gen)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * One RollingUpdate step (`rollingUpdate`).
 * @param nodeToDaemonPods pods per target node (nodes that should run a daemon pod and have some)
 * @param desiredNumberScheduled nodes that should run a daemon pod (the base of percentages)
 * @param nowMs clock, for availability with `spec.minReadySeconds`
 * @returns pod names to delete and node names that get a new (surge) pod
 */
export function rollingUpdatePlan(
  ds: DSObj,
  nodeToDaemonPods: Map<string, Pod[]>,
  hash: string,
  desiredNumberScheduled: number,
  nowMs: number,
): { podsToDelete: string[]; nodesNeedingPods: string[] } {
  const { maxSurge, maxUnavailable } = rollingUpdateLimits(ds, desiredNumberScheduled);
  const mrs = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, mrs, nowMs);
  const nodes = [...nodeToDaemonPods.keys()].sort();
  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowedReplacementPods: string[] = [];
    const candidatePodsToDelete: string[] = [];
    for (const nodeName of nodes) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, nodeToDaemonPods.get(nodeName)!, hash);
      if (!ok) {
        numUnavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) {
        // manage creates or deletes the right pod; count the node as unavailable meanwhile.
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) allowedReplacementPods.push(oldPod.metadata!.name!);
        else if (numUnavailable >= maxUnavailable) continue;
        else candidatePodsToDelete.push(oldPod.metadata!.name!);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidatePodsToDelete.length);
    return { podsToDelete: [...allowedReplacementPods, ...candidatePodsToDelete.slice(0, remaining)], nodesNeedingPods: [] };
  }
  let numSurge = 0;
  const nodesNeedingPods: string[] = [];
  const podsToDelete: string[] = [];
  for (const nodeName of nodes) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, nodeToDaemonPods.get(nodeName)!, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) nodesNeedingPods.push(nodeName);
      else if (numSurge >= maxSurge) continue;
      else {
        numSurge++;
        nodesNeedingPods.push(nodeName);
      }
    } else if (!available(newPod)) {
      numSurge++;
    } else {
      podsToDelete.push(oldPod.metadata!.name!);
    }
  }
  return { podsToDelete, nodesNeedingPods };
}
