/**
 * Work queue for controllers, after client-go util/workqueue (queue.go, delaying_queue.go,
 * rate_limiting_queue.go, default_rate_limiters.go).
 *
 * Contract (same as upstream):
 * - `add(key)` of a key that is already waiting is a no-op (keys merge: the `dirty` set).
 * - A key handed out by `get()` is in `processing` until `done(key)`. If it is added again
 *   meanwhile it is only marked dirty and goes back on the queue at `done`, so one key is never
 *   processed by two workers at once.
 * - `addRateLimited(key)` re-adds after a per-key exponential delay: 5 ms · 2^failures, capped at
 *   1000 s (ItemExponentialFailureRateLimiter(5ms, 1000s), the per-item part of
 *   DefaultControllerRateLimiter). `forget(key)` resets the failure count; call it on success.
 * - `addAfter(key, ms)` adds once the delay elapses (the earliest pending time wins).
 * - `shutDown()` makes every pending and later `get()` resolve `undefined`. Unlike upstream's
 *   Get (which still hands out queued items after ShutDown), items still queued are dropped, so
 *   controllers stop promptly; in-flight items finish normally.
 */

/** Injectable clock (ms). The default uses Date.now / setTimeout (timers are unref'd). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real clock backed by Date.now and setTimeout. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Manually-stepped clock for tests (client-go's `clock/testing.FakeClock`): timers fire only
 * from `step(ms)` / `setTime`.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Advances time by `ms`, firing due timers in time order. */
  step(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = target;
  }
  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }
}

/** Options for {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Name used in logs/metrics. */
  name?: string;
  clock?: Clock;
  /** Base per-item back-off in ms (default 5). */
  baseDelayMs?: number;
  /** Maximum per-item back-off in ms (default 1_000_000 = 1000 s). */
  maxDelayMs?: number;
}

/** Rate-limited, delaying work queue; see the module comment for the contract. */
export class WorkQueue<T = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly queue: T[] = [];
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly waiters: ((item: T | undefined) => void)[] = [];
  private readonly failures = new Map<T, number>();
  private readonly delayed = new Map<T, { at: number; handle: unknown }>();
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? '';
    this.clock = opts.clock ?? realClock;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
  }

  /** Marks `item` as needing processing (merged if already waiting). Ignored after shutdown. */
  add(item: T): void {
    if (this.shuttingDown || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(item);
      this.processing.add(item);
      w(item);
    } else this.queue.push(item);
  }

  /** Number of items waiting (not counting in-flight or delayed ones). */
  len(): number {
    return this.queue.length;
  }

  /**
   * Resolves with the next item, waiting if the queue is empty; `undefined` once shut down.
   * The caller must call `done(item)` when finished with it.
   */
  get(): Promise<T | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const item = this.queue.shift();
    if (item !== undefined) {
      this.dirty.delete(item);
      this.processing.add(item);
      return Promise.resolve(item);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends processing of `item`; if it was re-added meanwhile, it is queued again. */
  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item) && !this.shuttingDown) {
      const w = this.waiters.shift();
      if (w) {
        this.dirty.delete(item);
        this.processing.add(item);
        w(item);
      } else this.queue.push(item);
    }
  }

  /** Adds `item` after `delayMs` (immediately if ≤ 0). A sooner pending delay for the same item wins. */
  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const at = this.clock.now() + delayMs;
    const existing = this.delayed.get(item);
    if (existing) {
      if (existing.at <= at) return;
      this.clock.clearTimeout(existing.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(item);
      this.add(item);
    }, delayMs);
    this.delayed.set(item, { at, handle });
  }

  /** Delay the rate limiter would use for the next failure of `item` (ms), recording the failure. */
  when(item: T): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    const d = this.baseDelayMs * 2 ** n;
    return Number.isFinite(d) ? Math.min(d, this.maxDelayMs) : this.maxDelayMs;
  }

  /** Re-adds `item` after its per-item exponential back-off. */
  addRateLimited(item: T): void {
    this.addAfter(item, this.when(item));
  }

  /** Clears `item`'s failure history (call after a successful sync). */
  forget(item: T): void {
    this.failures.delete(item);
  }

  /** How many times `item` has been rate-limited since the last `forget`. */
  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }

  /** Stops the queue: pending `get()`s resolve `undefined`, delayed adds are cancelled. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** True after `shutDown()`. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
