/**
 * Per-key exponential back-off, after client-go's `util/flowcontrol.Backoff` as the kubelet uses it
 * for CrashLoopBackOff (10 s doubling to 300 s) and ImagePullBackOff.
 *
 * Semantics (upstream): `isInBackOffSince(key, eventTime)` is true while `now - eventTime` is shorter
 * than the key's current back-off; `next(key, eventTime)` starts the back-off at `initialMs` or doubles
 * it (capped at `maxMs`). An entry whose last update is older than `2 * maxMs` is expired and starts
 * over at `initialMs` — i.e. a container that ran 10 minutes without failing gets a fresh 10 s.
 */
export class Backoff {
  private readonly entries = new Map<string, { backoffMs: number; lastUpdateMs: number }>();

  /**
   * @param initialMs first back-off, ms
   * @param maxMs cap, ms
   * @param now clock, Unix ms (injectable for tests)
   */
  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Current back-off of `key` in ms (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Advances the back-off of `key`; `eventTimeMs` is when the failure happened (Unix ms). */
  next(key: string, eventTimeMs: number = this.now()): void {
    const e = this.entries.get(key);
    if (!e || this.hasExpired(eventTimeMs, e.lastUpdateMs)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdateMs: eventTimeMs });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdateMs = eventTimeMs;
  }

  /** True when `key` is still backing off since `eventTimeMs` (Unix ms). */
  isInBackOffSince(key: string, eventTimeMs: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.hasExpired(this.now(), e.lastUpdateMs)) return false;
    return this.now() - eventTimeMs < e.backoffMs;
  }

  /** Ms left until `key`'s back-off since `eventTimeMs` ends (0 when not backing off). */
  remaining(key: string, eventTimeMs: number): number {
    if (!this.isInBackOffSince(key, eventTimeMs)) return 0;
    return Math.max(0, this.entries.get(key)!.backoffMs - (this.now() - eventTimeMs));
  }

  /** Forgets `key`. */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key starting with `prefix` (a pod's keys when it is removed). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private hasExpired(eventTimeMs: number, lastUpdateMs: number): boolean {
    return eventTimeMs - lastUpdateMs > this.maxMs * 2;
  }
}

/**
 * Formats a duration the way Go's `time.Duration.String()` does (`10s`, `1m20s`, `5m0s`, `120ms`,
 * `1.387s`), which upstream's messages embed. Input in ms; sub-ms precision is dropped.
 */
export function formatGoDuration(ms: number): string {
  ms = Math.max(0, Math.round(ms));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sMs = ms % 60_000;
  const secs = sMs % 1000 === 0 ? String(sMs / 1000) : (sMs / 1000).toFixed(3).replace(/0+$/, '');
  if (h > 0) return `${h}h${m}m${secs}s`;
  if (m > 0) return `${m}m${secs}s`;
  return `${secs}s`;
}
