/**
 * Indexed completion mode helpers, after upstream pkg/controller/job/indexed_job_utils.go:
 * reading a pod's completion index, the succeeded-index set, `status.completedIndexes`
 * formatting (`0,2-4`), choosing the next indexes to create, and stamping a pod template with
 * its index (annotation and label `batch.kubernetes.io/job-completion-index`, env
 * JOB_COMPLETION_INDEX from that label as upstream does with PodIndexLabel (GA in 1.32), hostname
 * `<job>-<index>`).
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { deepCopy } from '../../client/object-util.ts';

/** Annotation (and label) carrying a pod's completion index. */
export const JobCompletionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
/** Env var set from {@link JobCompletionIndexAnnotation} in every container. */
export const JobCompletionIndexEnvName = 'JOB_COMPLETION_INDEX';

/** The pod's completion index, or undefined when absent or not a non-negative integer (getCompletionIndex). */
export function getCompletionIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[JobCompletionIndexAnnotation] ?? pod.metadata?.labels?.[JobCompletionIndexAnnotation];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Indexes in `[0, completions)` with at least one Succeeded pod, ascending. */
export function succeededIndexes(pods: Pod[], completions: number): number[] {
  const s = new Set<number>();
  for (const p of pods) {
    if (p.status?.phase !== 'Succeeded') continue;
    const i = getCompletionIndex(p);
    if (i !== undefined && i < completions) s.add(i);
  }
  return [...s].sort((a, b) => a - b);
}

/** `status.completedIndexes` text of ascending indexes: runs of 3+ as ranges (`[0,1,2,5]` → `0-2,5`; `[0,2]` → `0,2`). */
export function formatIndexes(indexes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    if (j === i) parts.push(String(indexes[i]));
    else if (j === i + 1) parts.push(String(indexes[i]), String(indexes[j]));
    else parts.push(`${indexes[i]}-${indexes[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The lowest `count` indexes in `[0, completions)` that neither succeeded nor have an active pod
 * (firstPendingIndexes).
 */
export function firstPendingIndexes(activePods: Pod[], succeeded: number[], count: number, completions: number): number[] {
  const taken = new Set<number>(succeeded);
  for (const p of activePods) {
    const i = getCompletionIndex(p);
    if (i !== undefined) taken.add(i);
  }
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}

/**
 * Active pods an Indexed Job must remove: no valid index, index ≥ completions, index already
 * succeeded, or a second active pod for the same index (the newest duplicates go; one is kept).
 */
export function indexedPodsToRemove(activePods: Pod[], succeeded: number[], completions: number): Pod[] {
  const done = new Set(succeeded);
  const seen = new Set<number>();
  const out: Pod[] = [];
  const oldestFirst = [...activePods].sort((a, b) => Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? ''));
  for (const p of oldestFirst) {
    const i = getCompletionIndex(p);
    if (i === undefined || i >= completions || done.has(i) || seen.has(i)) out.push(p);
    else seen.add(i);
  }
  return out;
}

/**
 * A copy of `template` for completion index `index` of Job `jobName` (addCompletionIndexEnvVariables,
 * addCompletionIndexAnnotation, hostname): annotation + label, JOB_COMPLETION_INDEX (from the label) in
 * every container and init container that lacks it, `spec.hostname` `<job>-<index>` when unset.
 */
export function templateForIndex(template: PodTemplateSpec, jobName: string, index: number): PodTemplateSpec {
  const t = deepCopy(template);
  const md = (t.metadata ??= {});
  md.annotations = { ...(md.annotations ?? {}), [JobCompletionIndexAnnotation]: String(index) };
  md.labels = { ...(md.labels ?? {}), [JobCompletionIndexAnnotation]: String(index) };
  const spec = t.spec ?? { containers: [] };
  t.spec = spec;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.env ?? []).some((e) => e.name === JobCompletionIndexEnvName)) continue;
    c.env = [
      ...(c.env ?? []),
      { name: JobCompletionIndexEnvName, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JobCompletionIndexAnnotation}']` } } },
    ];
  }
  if (!spec.hostname) spec.hostname = `${jobName}-${index}`;
  return t;
}

/**
 * The indexes in `[0, completions)` named by a `status.completedIndexes` text (`1,3-5`), ascending
 * and de-duplicated; malformed parts are skipped (parseIndexesFromString).
 */
export function parseIndexesFromString(s: string | undefined, completions: number): number[] {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b && i < completions; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * calculateSucceededIndexes: the indexes already in `status.completedIndexes` (`prev`) and those
 * plus the indexes of Succeeded pods that still carry the tracking finalizer, i.e. not counted yet
 * (`all`). Pods without the finalizer were counted before (or never belonged to the count).
 */
export function calculateSucceededIndexes(completedIndexes: string | undefined, pods: Pod[], completions: number, hasFinalizer: (p: Pod) => boolean): { prev: number[]; all: number[] } {
  const prev = parseIndexesFromString(completedIndexes, completions);
  const all = new Set(prev);
  for (const p of pods) {
    if (p.status?.phase !== 'Succeeded' || !hasFinalizer(p)) continue;
    const i = getCompletionIndex(p);
    if (i !== undefined && i < completions) all.add(i);
  }
  return { prev, all: [...all].sort((a, b) => a - b) };
}

/** Failures of the pod's index so far, carried from pod to pod (batch.JobIndexFailureCountAnnotation). */
export const JobIndexFailureCountAnnotation = 'batch.kubernetes.io/job-index-failure-count';
/** Failures of the index ignored by a podFailurePolicy Ignore rule (batch.JobIndexIgnoredFailureCountAnnotation). */
export const JobIndexIgnoredFailureCountAnnotation = 'batch.kubernetes.io/job-index-ignored-failure-count';

/** An annotation as a non-negative int32, else 0 (parseInt32). */
function annotationInt32(pod: Pod, key: string): number {
  const v = pod.metadata?.annotations?.[key];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n > 2147483647 ? 0 : n;
}

/** The pod's {@link JobIndexFailureCountAnnotation} (0 when absent or invalid). */
export function getIndexFailureCount(pod: Pod): number {
  return annotationInt32(pod, JobIndexFailureCountAnnotation);
}

/** Counted + ignored failures of the pod's index (getIndexAbsoluteFailureCount). */
export function getIndexAbsoluteFailureCount(pod: Pod): number {
  return annotationInt32(pod, JobIndexFailureCountAnnotation) + annotationInt32(pod, JobIndexIgnoredFailureCountAnnotation);
}

/**
 * The failure-count annotations of the pod replacing `podBeingReplaced` (getNewIndexFailureCounts):
 * its counts plus one — in the ignored count when `ignored` (its failure matched an Ignore rule).
 * Without a pod being replaced, `{failureCount: 0, ignoredFailureCount: 0}`.
 */
export function getNewIndexFailureCounts(podBeingReplaced: Pod | undefined, ignored: boolean): { failureCount: number; ignoredFailureCount: number } {
  if (!podBeingReplaced) return { failureCount: 0, ignoredFailureCount: 0 };
  let failureCount = getIndexFailureCount(podBeingReplaced);
  let ignoredFailureCount = annotationInt32(podBeingReplaced, JobIndexIgnoredFailureCountAnnotation);
  if (ignored) ignoredFailureCount++;
  else failureCount++;
  return { failureCount, ignoredFailureCount };
}
