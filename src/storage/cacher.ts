/**
 * The apiserver's watch cache, after k8s.io/apiserver/pkg/storage/cacher (`cacher.go`,
 * `watch_cache.go`): one backend watch per resource feeds an in-memory copy of the resource's
 * current state and a ring buffer of recent events (1000 events, growing up to 102400 rather than
 * evict events younger than 75 s), and every client watch/LIST with
 * resourceVersion=0 is served from memory instead of the store.
 *
 * Contract
 * - One Cacher per resource key prefix (e.g. '/registry/pods/'). `start()` lists the prefix
 *   from the backend (revision L), then watches the backend from L. Until `start()` resolves,
 *   `watch`/`waitUntilFresh` wait for it; `list`/`get` throw StorageError('Internal') ('not ready').
 * - Revision: `revision()` is the highest store revision the cache has observed. By default the
 *   cacher watches the whole store ('' prefix) and ignores keys outside its prefix, so its
 *   revision follows the store's global revision exactly; that makes `waitUntilFresh(rev)`
 *   (consistent reads from cache) and bookmarks exact. With `watchAll: false` it watches only its
 *   prefix and the revision advances only on its own keys.
 * - `watch(prefix, afterRevision, ...)`: `prefix` must start with the cacher's prefix (a namespace
 *   or single key inside it). Delivers every change under `prefix` with revision > afterRevision,
 *   in order, nothing missed or duplicated: first the buffered events after afterRevision, then
 *   live events. afterRevision older than the buffer's window (events were evicted, or it precedes
 *   the initial list) rejects with StorageError('Compacted'), which the apiserver maps to
 *   410 Gone/Expired "too old resource version". afterRevision = 0 means "from now, with the
 *   current state first": every live key under `prefix` is delivered as a synthetic 'create'
 *   (sorted by key), then live events, as upstream's watch with resourceVersion=0.
 *   afterRevision above the cache's revision is allowed: events are delivered once they exceed it.
 * - Delivery is synchronous from the backend's callback; consumers must be fast (buffer and write
 *   asynchronously). A consumer that throws gets its watch ended with onError(err).
 * - If the backend watch fails, every cacher watcher is ended with onError(StorageError
 *   ('Internal', 'watch cache restarted')) — the apiserver ends the stream, clients re-watch from
 *   their last revision — and the cacher re-lists and re-watches with back-off (1 s → 30 s).
 * - `bookmarkRevision()` returns a revision that any watcher of this cacher may resume from
 *   (the apiserver sends it as a BOOKMARK's resourceVersion).
 */
import type { Backend, KeyValue, ListResult, WatchEvent, Watcher } from './backend.ts';
import { StorageError } from './backend.ts';
import { deliverToSubscriber, endSubscriber, fanOutToSubscribers, releaseParked, type WatchSubscriber } from './watch-subscriber.ts';

/** Options for {@link Cacher}. */
export interface CacherOptions {
  /** Initial ring-buffer capacity in events (of this prefix). Default 1000. */
  capacity?: number;
  /** The buffer grows (doubling) up to this many events rather than evict events younger than freshMs. Default 102400. */
  maxCapacity?: number;
  /** Events younger than this (ms) are not evicted while the buffer can grow. Default 75000 (upstream eventFreshDuration). */
  freshMs?: number;
  /** Clock (ms), for tests. Default Date.now. */
  now?: () => number;
  /** Watch the whole store so `revision()` follows the global revision. Default true. */
  watchAll?: boolean;
  /** Called with errors of the backend watch / relist (the cacher recovers by itself). */
  onError?: (err: unknown) => void;
}

/** One client watch on the cache. */
type CacheWatcher = WatchSubscriber;

/**
 * Ring buffer of events in revision order. When full, it grows (doubling, up to `maxCapacity`)
 * instead of evicting an event younger than `freshMs` — upstream's watch cache likewise resizes so
 * that at least eventFreshDuration (75 s) of history stays servable.
 */
class EventRing {
  private buf: (WatchEvent | undefined)[];
  private at: number[];
  private start = 0;
  size = 0;
  constructor(
    public capacity: number,
    private readonly maxCapacity: number,
    private readonly freshMs: number,
    private readonly now: () => number,
  ) {
    this.buf = new Array(capacity);
    this.at = new Array(capacity);
  }
  /** Appends; returns the evicted event, if any. */
  push(e: WatchEvent): WatchEvent | undefined {
    const now = this.now();
    if (this.size === this.capacity && this.capacity < this.maxCapacity && now - this.at[this.start] < this.freshMs) {
      this.grow(Math.min(this.capacity * 2, this.maxCapacity));
    }
    let evicted: WatchEvent | undefined;
    if (this.size === this.capacity) {
      evicted = this.buf[this.start];
      this.buf[this.start] = e;
      this.at[this.start] = now;
      this.start = (this.start + 1) % this.capacity;
    } else {
      const i = (this.start + this.size) % this.capacity;
      this.buf[i] = e;
      this.at[i] = now;
      this.size++;
    }
    return evicted;
  }
  /** Events with revision > after, whose key starts with prefix, oldest first. */
  since(after: number, prefix: string): WatchEvent[] {
    const out: WatchEvent[] = [];
    // Binary search for the first event with revision > after.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.get(mid).revision > after) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < this.size; i++) {
      const e = this.get(i);
      if (e.kv.key.startsWith(prefix)) out.push(e);
    }
    return out;
  }
  clear(): void {
    this.buf.fill(undefined);
    this.start = 0;
    this.size = 0;
  }
  private grow(capacity: number): void {
    const buf: (WatchEvent | undefined)[] = new Array(capacity);
    const at: number[] = new Array(capacity);
    for (let i = 0; i < this.size; i++) {
      buf[i] = this.get(i);
      at[i] = this.at[(this.start + i) % this.capacity];
    }
    this.buf = buf;
    this.at = at;
    this.start = 0;
    this.capacity = capacity;
  }
  private get(i: number): WatchEvent {
    return this.buf[(this.start + i) % this.capacity]!;
  }
}

const RESTART_BACKOFF_MIN_MS = 1000;
const RESTART_BACKOFF_MAX_MS = 30_000;

/** The watch cache for one key prefix; see the file comment for the contract. */
export class Cacher {
  private readonly capacity: number;
  private readonly watchAll: boolean;
  private readonly store = new Map<string, KeyValue>();
  private readonly ring: EventRing;
  private readonly watchers = new Set<CacheWatcher>();
  private rev = 0;
  /** Oldest afterRevision the buffer can serve (initial list revision, or last evicted revision). */
  private windowStart = 0;
  private ready = false;
  private stopped = false;
  private backendWatcher: Watcher | undefined;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private freshWaiters: { revision: number; resolve: () => void }[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = RESTART_BACKOFF_MIN_MS;

  /**
   * @param backend the store
   * @param prefix  the resource's key prefix, e.g. '/registry/pods/' (should end with '/')
   */
  constructor(
    private readonly backend: Backend,
    readonly prefix: string,
    private readonly options: CacherOptions = {},
  ) {
    this.capacity = Math.max(1, options.capacity ?? 1000);
    this.watchAll = options.watchAll ?? true;
    this.ring = new EventRing(
      this.capacity,
      Math.max(this.capacity, options.maxCapacity ?? 102_400),
      options.freshMs ?? 75_000,
      options.now ?? Date.now,
    );
  }

  /** Lists and starts watching the backend; resolves once the cache is ready. Rejects if the initial list fails. */
  async start(): Promise<void> {
    await this.initialize();
  }

  private async initialize(): Promise<void> {
    const list = await this.backend.list(this.prefix);
    if (this.stopped) return;
    this.store.clear();
    for (const kv of list.items) this.store.set(kv.key, kv);
    this.ring.clear();
    this.rev = list.revision;
    this.windowStart = list.revision;
    this.backendWatcher = await this.backend.watch(
      this.watchAll ? '' : this.prefix,
      list.revision,
      (events) => this.onBackendEvents(events),
      (err) => this.onBackendError(err),
    );
    if (this.stopped) {
      this.backendWatcher.cancel();
      return;
    }
    this.ready = true;
    this.backoffMs = RESTART_BACKOFF_MIN_MS;
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    this.resolveFresh();
  }

  /** Stops the backend watch; every cacher watcher gets onError(StorageError('Closed')). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ready = false;
    clearTimeout(this.restartTimer);
    this.backendWatcher?.cancel();
    this.terminateAllWatchers(new StorageError('Closed', 'watch cache stopped'));
    for (const w of this.readyWaiters.splice(0)) w.reject(new StorageError('Closed', 'watch cache stopped'));
  }

  /** True once the initial list and watch are in place (and not restarting). */
  isReady(): boolean {
    return this.ready;
  }

  /** Highest store revision the cache has observed (0 before start). */
  revision(): number {
    return this.rev;
  }

  /** A revision any watcher of this cacher can resume from; the apiserver's BOOKMARK resourceVersion. */
  bookmarkRevision(): number {
    return this.rev;
  }

  /**
   * The cached state of keys under `prefix` (default: the cacher's prefix), sorted by key, at
   * `revision()`. For LIST with resourceVersion=0 (or, after waitUntilFresh, consistent LIST).
   * Throws StorageError('Internal') when not ready.
   */
  list(prefix: string = this.prefix): ListResult {
    this.checkReady();
    const items: KeyValue[] = [];
    for (const [key, kv] of this.store) if (key.startsWith(prefix)) items.push(kv);
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { items, revision: this.rev, more: false };
  }

  /** The cached value of `key`, or undefined. Throws StorageError('Internal') when not ready. */
  get(key: string): KeyValue | undefined {
    this.checkReady();
    return this.store.get(key);
  }

  /**
   * Resolves once the cache has observed `revision` (e.g. the backend's currentRevision() at the
   * start of a consistent read). Rejects with StorageError('FutureRevision', 'Too large resource
   * version: …') after `timeoutMs` (default 3000, as upstream's blockTimeout).
   */
  async waitUntilFresh(revision: number, timeoutMs = 3000): Promise<void> {
    await this.waitReady();
    if (this.rev >= revision) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.freshWaiters = this.freshWaiters.filter((w) => w !== waiter);
        reject(new StorageError('FutureRevision', `Too large resource version: ${revision}, current: ${this.rev}`));
      }, timeoutMs);
      this.freshWaiters.push(waiter);
    });
  }

  /**
   * Watches keys under `prefix` (inside the cacher's prefix) after `afterRevision`; see the file
   * comment. Rejects with StorageError('Compacted') when afterRevision is older than the buffer.
   */
  async watch(
    prefix: string,
    afterRevision: number,
    onEvents: (events: WatchEvent[]) => void,
    onError?: (err: Error) => void,
  ): Promise<Watcher> {
    if (!prefix.startsWith(this.prefix)) {
      throw new StorageError('Internal', `watch prefix ${prefix} is outside the cache's prefix ${this.prefix}`);
    }
    await this.waitReady();
    let initial: WatchEvent[];
    let last: number;
    if (afterRevision === 0) {
      initial = this.list(prefix).items.map((kv) => ({ type: 'create' as const, revision: kv.modRevision, kv }));
      last = this.rev;
    } else {
      if (afterRevision < this.windowStart) {
        throw new StorageError('Compacted', `too old resource version: ${afterRevision} (${this.windowStart})`);
      }
      initial = this.ring.since(afterRevision, prefix);
      last = afterRevision;
    }
    const w: CacheWatcher = { prefix, onEvents, onError, lastRevision: last, pending: [], cancelled: false };
    this.watchers.add(w);
    // Deliver the initial events after the caller has the Watcher; park live ones meanwhile.
    setImmediate(() => {
      if (w.cancelled) return;
      if (initial.length) deliverToSubscriber(this.watchers, w, initial, afterRevision === 0);
      releaseParked(this.watchers, w);
    });
    return {
      cancel: () => {
        w.cancelled = true;
        this.watchers.delete(w);
      },
    };
  }

  private async waitReady(): Promise<void> {
    if (this.ready) return;
    if (this.stopped) throw new StorageError('Closed', 'watch cache stopped');
    await new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private checkReady(): void {
    if (!this.ready) throw new StorageError('Internal', `watch cache for ${this.prefix} is not ready`);
  }

  private onBackendEvents(events: WatchEvent[]): void {
    if (this.stopped) return;
    const mine: WatchEvent[] = [];
    for (const e of events) {
      if (e.revision <= this.rev) continue; // duplicate (defensive)
      this.rev = e.revision;
      if (!e.kv.key.startsWith(this.prefix)) continue;
      if (e.type === 'delete') this.store.delete(e.kv.key);
      else this.store.set(e.kv.key, e.kv);
      const evicted = this.ring.push(e);
      if (evicted) this.windowStart = evicted.revision;
      mine.push(e);
    }
    if (mine.length) fanOutToSubscribers(this.watchers, mine);
    this.resolveFresh();
  }

  private resolveFresh(): void {
    if (!this.freshWaiters.length) return;
    const still: typeof this.freshWaiters = [];
    for (const w of this.freshWaiters) {
      if (this.ready && this.rev >= w.revision) w.resolve();
      else still.push(w);
    }
    this.freshWaiters = still;
  }

  private endWatcher(w: CacheWatcher, err: Error): void {
    endSubscriber(this.watchers, w, err);
  }

  private terminateAllWatchers(err: Error): void {
    for (const w of [...this.watchers]) this.endWatcher(w, err);
  }

  /** The backend watch died: end client watches, then re-list and re-watch with back-off. */
  private onBackendError(err: Error): void {
    if (this.stopped) return;
    this.options.onError?.(err);
    this.ready = false;
    this.backendWatcher?.cancel();
    this.backendWatcher = undefined;
    this.terminateAllWatchers(new StorageError('Internal', 'watch cache restarted'));
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF_MAX_MS);
    this.restartTimer = setTimeout(() => {
      this.initialize().catch((err) => {
        this.options.onError?.(err);
        if (err instanceof StorageError && err.code === 'Closed') return;
        this.scheduleRestart();
      });
    }, delay);
  }
}
