/**
 * BoundedFrequencyRunner (after kubernetes pkg/util/async/bounded_frequency_runner.go): runs an
 * async function on request, never two at once, at most once per `minIntervalMs` (a burst of
 * requests is coalesced into one run), and at least once per `maxIntervalMs` (periodic resync).
 * A failed run is retried after `retryAfterMs`.
 */

/** Options of {@link BoundedFrequencyRunner}; all durations in ms. */
export interface BoundedFrequencyRunnerOptions {
  minIntervalMs: number;
  /** 0 = no periodic run. */
  maxIntervalMs: number;
  retryAfterMs?: number;
  onError?: (err: unknown) => void;
}

/** See the module comment. */
export class BoundedFrequencyRunner {
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending = false;
  private lastStart = -Infinity;
  private stopped = false;
  /** Number of completed runs (for tests). */
  runs = 0;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly opts: BoundedFrequencyRunnerOptions,
  ) {}

  /** Starts the periodic timer (if `maxIntervalMs` > 0). */
  start(): void {
    if (this.opts.maxIntervalMs > 0 && !this.periodic) {
      this.periodic = setInterval(() => this.run(), this.opts.maxIntervalMs);
      this.periodic.unref?.();
    }
  }

  /** Requests a run: as soon as `minIntervalMs` has passed since the last one started. */
  run(): void {
    if (this.stopped) return;
    this.pending = true;
    this.schedule();
  }

  private schedule(delayOverride?: number): void {
    if (this.stopped || this.timer || this.running || !this.pending) return;
    const delay = delayOverride ?? Math.max(0, this.lastStart + this.opts.minIntervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.execute();
    }, delay);
  }

  private async execute(): Promise<void> {
    if (this.stopped) return;
    this.pending = false;
    this.lastStart = performance.now();
    let failed = false;
    this.running = this.fn().catch((err: unknown) => {
      failed = true;
      this.opts.onError?.(err);
    });
    await this.running;
    this.running = undefined;
    this.runs++;
    if (failed) {
      this.pending = true;
      this.schedule(this.opts.retryAfterMs ?? 1000);
    } else this.schedule();
  }

  /** Stops timers and waits for a run in progress to finish. No run starts afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.periodic) clearInterval(this.periodic);
    this.timer = this.periodic = undefined;
    await this.running;
  }
}
