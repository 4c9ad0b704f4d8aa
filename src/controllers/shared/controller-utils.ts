/**
 * Helpers shared by the workload controllers, after pkg/controller/controller_utils.go and
 * pkg/api/v1/pod/util.go: slowStartBatch, active-pod filtering, readiness/availability, and the
 * ranking used to choose which pods to delete on scale-down (ActivePodsWithRanks).
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/interface.ts';

/** Initial batch size of slowStartBatch (upstream SlowStartInitialBatchSize). */
export const SlowStartInitialBatchSize = 1;

/**
 * Calls `fn` `count` times in batches of doubling size (1, 2, 4, …), running each batch in
 * parallel; stops after the first batch with any failure. Returns the number of successes and the
 * first error (if any). Upstream: controller_utils.go slowStartBatch; it keeps a controller from
 * spamming the API with thousands of doomed creates (e.g. quota exhausted).
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0].reason };
    remaining -= batch;
  }
  return { successes };
}

/** `pod.status.phase` is neither Succeeded nor Failed and the pod has no deletionTimestamp (IsPodActive). */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

/** Pods that are active (FilterActivePods). */
export function filterActivePods(pods: Pod[]): Pod[] {
  return pods.filter(isPodActive);
}

/** The pod's Ready condition, if present. */
export function getPodReadyCondition(p: Pod): PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Ready condition is True (podutil.IsPodReady). */
export function isPodReady(p: Pod): boolean {
  return getPodReadyCondition(p)?.status === 'True';
}

/**
 * Ready for at least `minReadySeconds` as of `nowMs` (podutil.IsPodAvailable). With
 * minReadySeconds 0 a ready pod is available at once.
 */
export function isPodAvailable(p: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(p)) return false;
  if (minReadySeconds === 0) return true;
  const c = getPodReadyCondition(p);
  const t = c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  if (Number.isNaN(t)) return false;
  return t + minReadySeconds * 1000 <= nowMs;
}

function podReadyTimeMs(p: Pod): number | undefined {
  if (!isPodReady(p)) return undefined;
  const t = getPodReadyCondition(p)?.lastTransitionTime;
  return t ? Date.parse(t) : undefined;
}

function maxContainerRestarts(p: Pod): number {
  let m = 0;
  for (const s of p.status?.containerStatuses ?? []) m = Math.max(m, s.restartCount ?? 0);
  return m;
}

function deletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  const n = v === undefined ? 0 : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Pod with its rank (number of related active pods on the same node). */
export interface RankedPod {
  pod: Pod;
  rank: number;
}

/**
 * Comparator for scale-down (ActivePodsWithRanks.Less): negative when `a` should be deleted
 * before `b`. Order: unassigned < assigned; Pending < Unknown < Running; not ready < ready;
 * higher rank (more co-located related pods) first; lower pod-deletion-cost first; ready more
 * recently first (compared in log2 buckets of seconds-since-ready, as LogarithmicScaleDown);
 * more container restarts first; newer creationTimestamp first.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowMs: number = Date.now()): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if ((na === '') !== (nb === '')) return na === '' ? -1 : 1;
  const ra = phaseRank[pa.status?.phase ?? 'Pending'] ?? 0;
  const rb = phaseRank[pb.status?.phase ?? 'Pending'] ?? 0;
  if (ra !== rb) return ra - rb;
  const ya = isPodReady(pa);
  const yb = isPodReady(pb);
  if (ya !== yb) return ya ? 1 : -1;
  if (a.rank !== b.rank) return b.rank - a.rank;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (ya && yb) {
    const ta = podReadyTimeMs(pa);
    const tb = podReadyTimeMs(pb);
    if (ta !== undefined && tb !== undefined && ta !== tb) {
      const ba = Math.floor(Math.log2(Math.max(1, (nowMs - ta) / 1000)));
      const bb = Math.floor(Math.log2(Math.max(1, (nowMs - tb) / 1000)));
      if (ba !== bb) return ba - bb; // smaller bucket = ready more recently = delete first
    }
  }
  const rsA = maxContainerRestarts(pa);
  const rsB = maxContainerRestarts(pb);
  if (rsA !== rsB) return rsB - rsA;
  const cta = pa.metadata?.creationTimestamp ? Date.parse(pa.metadata.creationTimestamp) : Number.POSITIVE_INFINITY;
  const ctb = pb.metadata?.creationTimestamp ? Date.parse(pb.metadata.creationTimestamp) : Number.POSITIVE_INFINITY;
  if (cta !== ctb) return ctb - cta > 0 ? 1 : -1; // newer (larger) first; empty first
  return 0;
}

/**
 * Ranks `pods` by how many `relatedPods` share their node (getPodsRankedByRelatedPodsOnSameNode).
 */
export function rankPodsByRelatedOnSameNode(pods: Pod[], relatedPods: Pod[]): RankedPod[] {
  const perNode = new Map<string, number>();
  for (const p of relatedPods) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  return pods.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
}

/**
 * The `diff` pods to delete first (replica_set.go getPodsToDelete): ranked by
 * {@link compareForDeletion}.
 */
export function getPodsToDelete(filteredPods: Pod[], relatedPods: Pod[], diff: number, nowMs: number = Date.now()): Pod[] {
  if (diff >= filteredPods.length) return [...filteredPods];
  const ranked = rankPodsByRelatedOnSameNode(filteredPods, relatedPods);
  ranked.sort((a, b) => compareForDeletion(a, b, nowMs));
  return ranked.slice(0, diff).map((r) => r.pod);
}

/** `namespace/name` key of an object. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : `${obj.metadata?.name}`;
}

/** True when two label maps are equal. */
export function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}
