/**
 * The node lifecycle controller's per-zone tainting queue, after
 * pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go (`RateLimitedTimedQueue`, `Try`,
 * `SwapLimiter`) and client-go's token bucket (`NewTokenBucketRateLimiter(qps, burst)`, burst 1 as
 * upstream's EvictionRateLimiterBurst; a qps ≤ 0 is upstream's "fake never" limiter).
 */
import type { Clock } from '../../client/workqueue.ts';

/** Burst of the eviction token bucket (upstream scheduler.EvictionRateLimiterBurst). */
export const EvictionRateLimiterBurst = 1;

/** A token bucket: `qps` tokens per second, up to `burst`, starting full. qps ≤ 0 never accepts. */
export class TokenBucketRateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = qps > 0 ? burst : 0;
    this.last = clock.now();
  }

  /** Takes a token when one is available; returns whether it did. */
  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** One queued value: a node name (and uid), processed at `processAt` (local ms). */
export interface TimedValue {
  value: string;
  uid: string;
  addedAt: number;
  processAt: number;
}

/**
 * A set of values ordered by `processAt` (then insertion), drained by {@link try} through a token
 * bucket: each value processed costs one token. As upstream's UniqueQueue, a processed value leaves
 * the queue but stays in the set, so adding it again is a no-op until {@link remove}.
 */
export class RateLimitedTimedQueue {
  private queue: TimedValue[] = [];
  private readonly set = new Set<string>();
  private limiter: TokenBucketRateLimiter;

  constructor(
    qps: number,
    private readonly clock: Clock,
  ) {
    this.limiter = new TokenBucketRateLimiter(qps, EvictionRateLimiterBurst, clock);
  }

  /** Current rate, tokens per second. */
  get qps(): number {
    return this.limiter.qps;
  }

  /** Adds `value` due now; returns false when it is already in the set (queued or processed). */
  add(value: string, uid: string): boolean {
    if (this.set.has(value)) return false;
    this.set.add(value);
    const now = this.clock.now();
    this.queue.push({ value, uid, addedAt: now, processAt: now });
    this.sort();
    return true;
  }

  /** Removes `value` from the queue and the set; returns whether it was in the set. */
  remove(value: string): boolean {
    this.queue = this.queue.filter((v) => v.value !== value);
    return this.set.delete(value);
  }

  /** Whether `value` is in the set (queued or processed). */
  has(value: string): boolean {
    return this.set.has(value);
  }

  /** Values still waiting to be processed, in processing order. */
  values(): string[] {
    return this.queue.map((v) => v.value);
  }

  /**
   * Replaces the limiter with one of `qps` (no-op when equal). When the old limiter has no token
   * left, the new one starts drained too (upstream SwapLimiter, burst 1).
   */
  swapLimiter(qps: number): void {
    if (this.limiter.qps === qps) return;
    const next = new TokenBucketRateLimiter(qps, EvictionRateLimiterBurst, this.clock);
    if (qps > 0 && !this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }

  /**
   * Processes due values in order while tokens last: `fn` returns `{done: true}` to drop the value
   * from the queue (it stays in the set),
   * or `{done: false, retryAfterMs}` to requeue it that much later. Stops at the first value not
   * yet due or when the limiter refuses (a refused or not-yet-due head still costs a token, as upstream).
   */
  async try(fn: (v: TimedValue) => Promise<{ done: boolean; retryAfterMs?: number }>): Promise<void> {
    while (this.queue.length) {
      if (!this.limiter.tryAccept()) return;
      const head = this.queue[0]!;
      const now = this.clock.now();
      if (now < head.processAt) return;
      const r = await fn(head);
      if (!this.queue.includes(head)) continue; // removed meanwhile
      if (r.done) this.queue.splice(this.queue.indexOf(head), 1);
      else {
        head.processAt = now + (r.retryAfterMs ?? 0) + 1;
        this.sort();
      }
    }
  }

  private sort(): void {
    this.queue.sort((a, b) => a.processAt - b.processAt || a.addedAt - b.addedAt);
  }
}
