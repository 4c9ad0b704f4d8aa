/**
 * Worker loop shared by every controller (STYLE.md §4): N async workers run
 * `get → syncHandler(key) → done`; success forgets the key's back-off, an error re-adds it with
 * `addRateLimited` (per-key exponential back-off). Mirrors the worker/processNextWorkItem pair of
 * pkg/controller/replicaset/replica_set.go.
 */
import { isConflict } from '../../machinery/errors.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { defaultLogger, type Logger } from '../../client/informer.ts';

/** Runs workers over a queue of string keys. `syncHandler` is a field so tests can replace it. */
export class BaseController {
  readonly queue: WorkQueue<string>;
  /** Reconciles one key; throw to retry with back-off. */
  syncHandler: (key: string) => Promise<void>;
  protected readonly log: Logger;

  constructor(
    readonly name: string,
    syncHandler: (key: string) => Promise<void>,
    opts: { queue?: WorkQueue<string>; logger?: Logger } = {},
  ) {
    this.queue = opts.queue ?? new WorkQueue<string>({ name });
    this.syncHandler = syncHandler;
    this.log = opts.logger ?? defaultLogger;
  }

  /**
   * Processes one item. Returns false when the queue has shut down.
   * Errors are logged and the key is re-queued rate-limited; success forgets the key.
   */
  async processNextWorkItem(): Promise<boolean> {
    const key = await this.queue.get();
    if (key === undefined) return false;
    try {
      await this.syncHandler(key);
      this.queue.forget(key);
    } catch (e) {
      // A 409 only means our cache was stale: retry quietly, as upstream logs these at high verbosity.
      const level = isConflict(e) ? 'debug' : 'warn';
      this.log[level]?.({ controller: this.name, key, err: e instanceof Error ? e.message : e }, 'sync failed; requeuing');
      this.queue.addRateLimited(key);
    } finally {
      this.queue.done(key);
    }
    return true;
  }

  /** Starts `workers` loops; they end (and the queue shuts down) when `signal` aborts. Resolves when all stopped. */
  async runWorkers(workers: number, signal: AbortSignal): Promise<void> {
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const loops = Array.from({ length: Math.max(1, workers) }, async () => {
      while (await this.processNextWorkItem()) {
        /* keep going */
      }
    });
    await Promise.all(loops);
  }
}
