/**
 * The local-storage part of the kubelet's eviction manager, after upstream
 * pkg/kubelet/eviction/eviction_manager.go (localStorageEviction → emptyDirLimitEviction) and the
 * volume stats it reads (pkg/volume/metrics_du.go: `du` of the volume directory).
 *
 * Every monitoring interval (upstream 10 s) the usage of each emptyDir of each active pod is
 * measured; a pod whose emptyDir uses more than its `sizeLimit` is evicted with grace period 1 s
 * (immediateEvictionGracePeriodSeconds): event `Warning Evicted`, status phase Failed, reason
 * `Evicted`, message `Usage of EmptyDir volume "<name>" exceeds the limit "<sizeLimit>". `.
 * Memory-backed emptyDirs are measured too, but their tmpfs is sized to the limit, so they fill
 * up (ENOSPC) before they can exceed it.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { canonicalizeQuantity, tryParseQuantity } from '../../machinery/quantity.ts';

/** Reason of pods evicted by the kubelet (status.reason and the event reason). */
export const EVICTION_REASON = 'Evicted';
/** Grace period of a local-storage eviction, seconds (upstream immediateEvictionGracePeriodSeconds). */
export const IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS = 1;

/**
 * Disk usage of a directory tree in bytes as `du -x` counts it: allocated blocks × 512 of every
 * entry on the same filesystem as `dir` (hard links counted once). Missing dir → 0.
 * Cost: one lstat per entry, no processes.
 */
export async function diskUsageBytes(dir: string): Promise<number> {
  const root = await lstat(dir).catch(() => undefined);
  if (!root) return 0;
  const seen = new Set<string>();
  let total = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st || st.dev !== root.dev) return;
    const key = `${st.ino}`;
    if (st.nlink > 1 && !st.isDirectory()) {
      if (seen.has(key)) return;
      seen.add(key);
    }
    total += st.blocks * 512;
    if (st.isDirectory()) {
      for (const name of await readdir(p).catch(() => [] as string[])) await visit(path.join(p, name));
    }
  };
  await visit(dir);
  return total;
}

/**
 * emptyDirLimitEviction's check: the eviction message for the first emptyDir of `pod` whose usage
 * (`usedBytes`: volume name → bytes) exceeds a positive `sizeLimit`, else undefined.
 * The limit is printed in canonical quantity form (`1Mi`), as upstream's `Quantity.String()`.
 */
export function emptyDirLimitExceeded(pod: Pod, usedBytes: Map<string, number>): string | undefined {
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit;
    if (limit === undefined || limit === null) continue;
    const q = tryParseQuantity(String(limit));
    const used = usedBytes.get(v.name);
    if (!q || used === undefined || q.sign() <= 0) continue;
    if (used > Number(q.value())) return `Usage of EmptyDir volume ${JSON.stringify(v.name)} exceeds the limit ${JSON.stringify(canonicalizeQuantity(String(limit)))}. `;
  }
  return undefined;
}

/**
 * Measures every emptyDir with a sizeLimit of `pod` (under `volumesDir` =
 * `<rootDir>/pods/<uid>/volumes`) and returns the eviction message when one exceeds its limit.
 */
export async function localStorageEviction(pod: Pod, volumesDir: string): Promise<string | undefined> {
  const used = new Map<string, number>();
  for (const v of pod.spec?.volumes ?? []) {
    if (!v.emptyDir || v.emptyDir.sizeLimit === undefined) continue;
    used.set(v.name, await diskUsageBytes(path.join(volumesDir, 'kubernetes.io~empty-dir', v.name)));
  }
  return used.size ? emptyDirLimitExceeded(pod, used) : undefined;
}
