/**
 * Periodic history compaction, after k8s.io/apiserver/pkg/storage/etcd3/compact.go: every
 * interval the compactor records a (time, currentRevision) mark, then compacts the store to the
 * newest mark that is at least `retainMs` old. Revisions written within the last `retainMs`
 * therefore stay watchable/listable (a watch that fell behind by less than that resumes without
 * a 410), and older history is removed so the store does not grow without bound.
 */
import type { Backend } from './backend.ts';

/** Options for {@link startCompactor}. */
export interface CompactorOptions {
  /** How often to record a mark and compact, in ms. Default 60_000 (1 minute). */
  intervalMs?: number;
  /** Keep at least this much history, in ms. Default 300_000 (5 minutes, as upstream's compaction interval). */
  retainMs?: number;
  /** Clock in ms (injected for tests). Default Date.now. */
  now?: () => number;
  /** Called with errors from compaction (the compactor keeps running). Default: ignore. */
  onError?: (err: unknown) => void;
}

/** A recorded (time, revision) pair. */
interface Mark {
  at: number;
  revision: number;
}

/**
 * Runs one compaction step: records a mark for now and compacts to the newest mark older than
 * `retainMs`. Exposed for tests; {@link startCompactor} calls it on a timer.
 * Returns the revision compacted to, or 0 when nothing was old enough.
 */
export async function compactStep(backend: Backend, marks: Mark[], retainMs: number, now: number): Promise<number> {
  marks.push({ at: now, revision: await backend.currentRevision() });
  let target: Mark | undefined;
  while (marks.length && marks[0].at <= now - retainMs) target = marks.shift();
  if (!target || target.revision <= 0) return 0;
  if (target.revision <= (await backend.compactRevision())) return 0;
  await backend.compact(target.revision);
  return target.revision;
}

/**
 * Starts compacting `backend` every `intervalMs`, keeping revisions written within the last
 * `retainMs`. Returns a stop function (idempotent). Errors go to `onError` and do not stop it.
 */
export function startCompactor(backend: Backend, options: CompactorOptions = {}): () => void {
  const intervalMs = options.intervalMs ?? 60_000;
  const retainMs = options.retainMs ?? 300_000;
  const now = options.now ?? Date.now;
  const marks: Mark[] = [];
  let running = false;
  let stopped = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await compactStep(backend, marks, retainMs, now());
    } catch (err) {
      options.onError?.(err);
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
