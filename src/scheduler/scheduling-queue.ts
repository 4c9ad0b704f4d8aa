/**
 * The scheduling queue, after pkg/scheduler/backend/queue/scheduling_queue.go (PriorityQueue).
 *
 * Three places a pending pod can be:
 * - activeQ: ready to be scheduled; popped highest `spec.priority` first, then oldest first.
 * - backoffQ: failed recently; moves to activeQ when its back-off expires. Back-off is
 *   initialMs · 2^(attempts-1), capped at maxMs (upstream 1 s → 10 s).
 * - unschedulablePods: failed because no node fits; stays until a cluster event that could make
 *   it schedulable (`moveAllToActiveOrBackoffQueue`: node added/changed, assigned pod deleted),
 *   or at most `maxInUnschedulableMs` (upstream podMaxInUnschedulablePodsDuration, 5 min).
 * A pod whose scheduling attempt overlapped a move request goes to backoffQ instead of
 * unschedulablePods (upstream moveRequestCycle), so an event that arrived mid-attempt is not lost.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock } from '../client/workqueue.ts';

/** A pod in the queue with its attempt bookkeeping (upstream QueuedPodInfo). */
export interface QueuedPodInfo {
  pod: Pod;
  /** namespace/name */
  key: string;
  /** When it was (re-)added to the queue (ms); ordering tie-breaker. */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When it was first added (ms). */
  initialAttemptTimestamp: number;
  /** When it last entered unschedulablePods / backoff (ms). */
  lastFailureAt: number;
  /** Plugins that rejected it in the last attempt. */
  unschedulablePlugins: Set<string>;
}

/** Options for {@link SchedulingQueue}. */
export interface SchedulingQueueOptions {
  clock?: Clock;
  /** Initial back-off (ms), default 1000. */
  initialBackoffMs?: number;
  /** Maximum back-off (ms), default 10_000. */
  maxBackoffMs?: number;
  /** Longest stay in unschedulablePods before a retry (ms), default 300_000. */
  maxInUnschedulableMs?: number;
  /** How often backoffQ and unschedulablePods are flushed (ms), default 1000 (upstream 1 s / 30 s). */
  flushIntervalMs?: number;
}

const podKeyOf = (pod: Pod) => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
const priorityOf = (pod: Pod) => pod.spec?.priority ?? 0;

/** The scheduler's priority queue; see the file comment. */
export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private readonly flushIntervalMs: number;
  private readonly active = new Map<string, QueuedPodInfo>();
  private readonly backoff = new Map<string, QueuedPodInfo>();
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and not yet done (their attempt is in flight). */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  private waiters: ((p: QueuedPodInfo | undefined) => void)[] = [];
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private closed = false;
  private flushTimer: unknown;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 300_000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
  }

  /** Starts the periodic flush of backoffQ and unschedulablePods. */
  run(): void {
    const tick = () => {
      if (this.closed) return;
      this.flushBackoffQCompleted();
      this.flushUnschedulablePodsLeftover();
      this.flushTimer = this.clock.setTimeout(tick, this.flushIntervalMs);
    };
    this.flushTimer = this.clock.setTimeout(tick, this.flushIntervalMs);
  }

  /** Stops the queue: pending and future pops resolve undefined. */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.flushTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The current scheduling cycle (incremented by each pop). */
  get cycle(): number {
    return this.schedulingCycle;
  }

  /** A new pending pod: goes to activeQ unless it is already queued (then it is updated). */
  add(pod: Pod): void {
    const key = podKeyOf(pod);
    if (this.update(pod)) return;
    const now = this.clock.now();
    this.pushActive({ pod, key, timestamp: now, attempts: 0, initialAttemptTimestamp: now, lastFailureAt: 0, unschedulablePlugins: new Set() });
  }

  /**
   * A pending pod changed. In activeQ/backoffQ it is replaced in place; in unschedulablePods it
   * is moved to backoffQ/activeQ when `specChanged` (the change may make it schedulable; a
   * status-only update, such as our own PodScheduled condition, does not). Returns false when the
   * pod was not queued.
   */
  update(pod: Pod, specChanged = true): boolean {
    const key = podKeyOf(pod);
    const a = this.active.get(key) ?? this.backoff.get(key);
    if (a) {
      a.pod = pod;
      return true;
    }
    const u = this.unschedulable.get(key);
    if (u) {
      u.pod = pod;
      if (specChanged) {
        this.unschedulable.delete(key);
        this.requeue(u);
      }
      return true;
    }
    const f = this.inFlight.get(key);
    if (f) {
      f.pod = pod;
      if (specChanged) this.moveRequestCycle = this.schedulingCycle;
      return true;
    }
    return false;
  }

  /** A pending pod was deleted or got assigned: forget it everywhere. */
  delete(pod: Pod): void {
    const key = podKeyOf(pod);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /**
   * Waits for the next pod in activeQ (highest priority, then oldest). Resolves undefined once the
   * queue is closed or `signal` aborts.
   */
  pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    const next = this.takeActive();
    if (next) return Promise.resolve(next);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      const waiter = (p: QueuedPodInfo | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(p);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Marks an attempt finished (bound, or dropped because the pod went away). */
  done(pInfo: QueuedPodInfo): void {
    if (this.inFlight.get(pInfo.key) === pInfo) this.inFlight.delete(pInfo.key);
  }

  /**
   * Puts back a pod whose attempt failed. `unschedulable` (no node fits) parks it in
   * unschedulablePods unless a move request happened during its attempt (then backoffQ); an
   * error (`unschedulable` false) goes to backoffQ.
   */
  addUnschedulableIfNotPresent(pInfo: QueuedPodInfo, podSchedulingCycle: number, unschedulable: boolean): void {
    if (this.inFlight.get(pInfo.key) !== pInfo) return; // deleted or re-added meanwhile
    this.inFlight.delete(pInfo.key);
    if (this.active.has(pInfo.key) || this.backoff.has(pInfo.key) || this.unschedulable.has(pInfo.key)) return;
    pInfo.lastFailureAt = this.clock.now();
    pInfo.timestamp = pInfo.lastFailureAt;
    if (!unschedulable || this.moveRequestCycle >= podSchedulingCycle) {
      this.backoff.set(pInfo.key, pInfo);
    } else {
      this.unschedulable.set(pInfo.key, pInfo);
    }
  }

  /**
   * A cluster event that may make unschedulable pods schedulable (upstream
   * MoveAllToActiveOrBackoffQueue): every unschedulable pod goes to backoffQ (still backing off)
   * or activeQ; attempts in flight will go to backoffQ when they fail. `shouldMove` limits the
   * move to pods the event may help (upstream queueing hints), e.g. only pods rejected by
   * InterPodAffinity when a pod gets assigned.
   */
  moveAllToActiveOrBackoffQueue(_event: string, shouldMove?: (p: QueuedPodInfo) => boolean): void {
    for (const p of [...this.unschedulable.values()]) {
      if (shouldMove && !shouldMove(p)) continue;
      this.unschedulable.delete(p.key);
      this.requeue(p);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Counts per sub-queue (for tests and metrics). */
  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** Back-off of a pod: initial · 2^(attempts-1), capped (upstream calculateBackoffDuration). */
  backoffDuration(p: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < p.attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private isBackingOff(p: QueuedPodInfo): boolean {
    return p.attempts > 0 && this.clock.now() < p.lastFailureAt + this.backoffDuration(p);
  }

  private requeue(p: QueuedPodInfo): void {
    if (this.isBackingOff(p)) this.backoff.set(p.key, p);
    else this.pushActive(p);
  }

  private pushActive(p: QueuedPodInfo): void {
    this.active.set(p.key, p);
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length) {
      const p = this.takeActive();
      if (!p) return;
      this.waiters.shift()!(p);
    }
  }

  /** Removes and returns the best pod of activeQ (priority desc, timestamp asc). */
  private takeActive(): QueuedPodInfo | undefined {
    let best: QueuedPodInfo | undefined;
    for (const p of this.active.values()) {
      if (!best || priorityOf(p.pod) > priorityOf(best.pod) || (priorityOf(p.pod) === priorityOf(best.pod) && p.timestamp < best.timestamp)) best = p;
    }
    if (!best) return undefined;
    this.active.delete(best.key);
    this.schedulingCycle++;
    best.attempts++;
    this.inFlight.set(best.key, best);
    return best;
  }

  private flushBackoffQCompleted(): void {
    for (const p of [...this.backoff.values()]) {
      if (this.isBackingOff(p)) continue;
      this.backoff.delete(p.key);
      this.pushActive(p);
    }
  }

  private flushUnschedulablePodsLeftover(): void {
    const now = this.clock.now();
    for (const p of [...this.unschedulable.values()]) {
      if (now - p.lastFailureAt < this.maxInUnschedulableMs) continue;
      this.unschedulable.delete(p.key);
      this.requeue(p);
    }
  }
}
