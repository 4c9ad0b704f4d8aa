/**
 * SharedInformer for one GVR (optionally one namespace and label/field selector), after
 * client-go tools/cache (reflector.go, shared_informer.go, store.go, index.go, listers.go).
 *
 * Contract:
 * - The informer owns the connection: it LISTs (paginated), then WATCHes from the list's
 *   resourceVersion with `allowWatchBookmarks` and a `timeoutSeconds` of 5–10 min; when a watch
 *   ends it re-watches from the last seen resourceVersion; a 410 (ERROR event or thrown) or any
 *   other ERROR event makes it relist; failures back off exponentially (800 ms doubling to 30 s,
 *   reset after a healthy watch). Callers never restart it; it stops when the AbortSignal fires.
 * - The store is eventually consistent with the server; events for one object arrive in order.
 *   Keys are `namespace/name` (or `name` for cluster-scoped objects); uid is not part of identity.
 * - Handlers run synchronously on the informer's event path and must be fast (enqueue keys only).
 *   `onDelete` gets the last known object, or a {@link DeletedFinalStateUnknown} tombstone when
 *   the deletion was noticed by a relist.
 * - A periodic resync (if `resyncPeriodMs` > 0) calls `onUpdate(obj, obj)` for every stored object.
 * - Objects in the store are shared: never mutate them; clone first.
 */
import type { Client, GroupVersionResource, KubeObject, WatchEventObject } from './interface.ts';
import { isGone } from '../machinery/errors.ts';
import { everything, parseSelector, type Selector } from './selectors.ts';

/** Tombstone for an object whose deletion was observed only through a relist (client-go cache.DeletedFinalStateUnknown). */
export class DeletedFinalStateUnknown<T extends KubeObject = KubeObject> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

/** Event handlers (client-go ResourceEventHandlerFuncs). */
export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** An index function: the index values an object is filed under. */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

/** `namespace/name` (or `name` when cluster-scoped): client-go MetaNamespaceKeyFunc. */
export function metaNamespaceKey(obj: KubeObject | DeletedFinalStateUnknown): string {
  if (obj instanceof DeletedFinalStateUnknown) return obj.key;
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : `${obj.metadata?.name ?? ''}`;
}

/** Splits a `namespace/name` key (client-go SplitMetaNamespaceKey). */
export function splitMetaNamespaceKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Index name for the built-in namespace index. */
export const NamespaceIndex = 'namespace';
/** Index: by namespace. */
export const namespaceIndexFunc: IndexFunc = (o) => [o.metadata?.namespace ?? ''];
/** Index: by the uid of every owner reference. */
export const ownerUidIndexFunc: IndexFunc = (o) => (o.metadata?.ownerReferences ?? []).map((r: { uid: string }) => r.uid);
/** Index: pods by spec.nodeName ('' for unscheduled). */
export const nodeNameIndexFunc: IndexFunc = (o) => [String((o.spec as { nodeName?: string } | undefined)?.nodeName ?? '')];

/** Thread-safe-store + indexer (client-go cache.Indexer). Returned objects are shared, read-only. */
export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers({ [NamespaceIndex]: namespaceIndexFunc as IndexFunc<T>, ...indexers });
  }

  /** Adds indexers (allowed at any time; existing items are indexed). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      this.indexers.set(name, fn);
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [k, o] of this.items) for (const v of fn(o)) this.file(idx, v, k);
    }
  }

  private file(idx: Map<string, Set<string>>, v: string, k: string): void {
    let s = idx.get(v);
    if (!s) idx.set(v, (s = new Set()));
    s.add(k);
  }

  private unindex(k: string, o: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of fn(o)) {
        const s = idx.get(v);
        s?.delete(k);
        if (s && s.size === 0) idx.delete(v);
      }
    }
  }

  /** Inserts or replaces the object under its key. */
  set(obj: T): void {
    const k = metaNamespaceKey(obj);
    const old = this.items.get(k);
    if (old) this.unindex(k, old);
    this.items.set(k, obj);
    for (const [name, fn] of this.indexers) for (const v of fn(obj)) this.file(this.indices.get(name)!, v, k);
  }

  /** Removes by key; returns the removed object. */
  deleteKey(k: string): T | undefined {
    const old = this.items.get(k);
    if (old) {
      this.unindex(k, old);
      this.items.delete(k);
    }
    return old;
  }

  /** Object by key. */
  getByKey(k: string): T | undefined {
    return this.items.get(k);
  }

  /** All keys. */
  listKeys(): string[] {
    return [...this.items.keys()];
  }

  /** All objects. */
  list(): T[] {
    return [...this.items.values()];
  }

  /** Objects filed under `value` in index `indexName`. @throws Error for an unknown index. */
  byIndex(indexName: string, value: string): T[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`Index with name ${indexName} does not exist`);
    return [...(idx.get(value) ?? [])].map((k) => this.items.get(k)!).filter(Boolean);
  }

  /** Number of objects. */
  get size(): number {
    return this.items.size;
  }
}

/** Read access to an informer's store (client-go generated listers). */
export class Lister<T extends KubeObject = KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}
  /** Object by namespace and name (namespace undefined for cluster-scoped), or undefined. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.getByKey(namespace ? `${namespace}/${name}` : name);
  }
  /** Objects in `namespace` (all when undefined) matching `selector` (a Selector or selector string). */
  list(namespace?: string, selector?: Selector | string): T[] {
    const sel = typeof selector === 'string' ? parseSelector(selector) : (selector ?? everything);
    const base = namespace === undefined ? this.indexer.list() : this.indexer.byIndex(NamespaceIndex, namespace);
    return sel.empty ? base : base.filter((o) => sel.matches(o.metadata?.labels));
  }
}

/** Minimal logger accepted by the client pieces (pino-compatible subset). */
export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug?(obj: unknown, msg?: string): void;
}

/** Logger that writes warnings/errors to stderr only when SKIFF_DEBUG is set. */
export const defaultLogger: Logger = {
  info: () => {},
  warn: (o, m) => {
    if (process.env.SKIFF_DEBUG) console.warn(m ?? '', o);
  },
  error: (o, m) => {
    if (process.env.SKIFF_DEBUG) console.error(m ?? '', o);
  },
};

/** Options for {@link SharedInformer}. */
export interface InformerOptions<T extends KubeObject = KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Periodic resync in ms (0 = none). */
  resyncPeriodMs?: number;
  /** LIST page size (default 500). */
  pageSize?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /** Back-off after errors: initial and max in ms (default 800 / 30_000, as reflector's). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Watch timeoutSeconds lower bound (default 300, randomised up to 2×, as reflector's minWatchTimeout). */
  minWatchTimeoutSeconds?: number;
  logger?: Logger;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

class RelistNeeded extends Error {}

/** A shared informer; see the module comment for the contract. */
export class SharedInformer<T extends KubeObject = KubeObject> {
  /** The indexer store (shared objects; do not mutate). */
  readonly store: Indexer<T>;
  /** Lister over the store. */
  readonly lister: Lister<T>;
  private readonly handlers: ResourceEventHandler<T>[] = [];
  private synced = false;
  private started = false;
  private lastRV = '';
  private readonly syncWaiters: (() => void)[] = [];
  private readonly log: Logger;
  private stopped?: Promise<void>;

  constructor(
    private readonly client: Client,
    readonly gvr: GroupVersionResource,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.store = new Indexer<T>(opts.indexers ?? {});
    this.lister = new Lister<T>(this.store);
    this.log = opts.logger ?? defaultLogger;
  }

  /** Registers handlers; if already synced, `onAdd` is replayed for the current store (as upstream). */
  addEventHandler(h: ResourceEventHandler<T>): void {
    this.handlers.push(h);
    if (this.synced) for (const o of this.store.list()) this.safe(() => h.onAdd?.(o, true));
  }

  /** Adds indexers to the store. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.store.addIndexers(indexers);
  }

  /** True once the first LIST has been delivered to the store and handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Last resourceVersion seen (list, watch event or bookmark). */
  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Resolves true when synced, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /**
   * Starts list/watch (idempotent). The returned promise resolves after `signal` aborts and the
   * loop has stopped. Never rejects.
   */
  run(signal: AbortSignal): Promise<void> {
    if (this.started) return this.stopped!;
    this.started = true;
    this.stopped = this.loop(signal);
    return this.stopped;
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error({ err: e, resource: this.gvr.resource }, 'informer event handler failed');
    }
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const initial = this.opts.backoffInitialMs ?? 800;
    const max = this.opts.backoffMaxMs ?? 30_000;
    let backoff = initial;
    let needList = true;
    let resync: NodeJS.Timeout | undefined;
    if (this.opts.resyncPeriodMs && this.opts.resyncPeriodMs > 0) {
      resync = setInterval(() => {
        if (!this.synced) return;
        for (const o of this.store.list()) for (const h of this.handlers) this.safe(() => h.onUpdate?.(o, o));
      }, this.opts.resyncPeriodMs);
      resync.unref?.();
    }
    try {
      while (!signal.aborted) {
        try {
          if (needList) {
            await this.listAll(signal);
            needList = false;
            backoff = initial;
          }
          const t0 = Date.now();
          const gotEvents = await this.watchOnce(signal);
          if (signal.aborted) break;
          if (!gotEvents && Date.now() - t0 < 1000) {
            // A watch that closes at once without events: don't spin (reflector's "very short watch").
            await sleep(backoff, signal);
            backoff = Math.min(backoff * 2, max);
          } else backoff = initial;
        } catch (e) {
          if (signal.aborted) break;
          if (e instanceof RelistNeeded || isGone(e)) {
            this.log.info({ resource: this.gvr.resource }, 'watch expired; relisting');
            needList = true;
            continue;
          }
          this.log.warn({ err: e instanceof Error ? e.message : e, resource: this.gvr.resource }, 'list/watch failed; backing off');
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, max);
        }
      }
    } finally {
      if (resync) clearInterval(resync);
    }
  }

  private async listAll(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list<T>(this.gvr, this.opts.namespace, {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
      });
      if (signal.aborted) return;
      items.push(...page.items);
      cont = page.metadata?.continue || undefined;
      if (!rv) rv = page.metadata?.resourceVersion ?? '';
      if (cont === undefined) rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.replace(items, rv);
  }

  /** Replaces the store with a fresh list, emitting add/update/delete (tombstones) against the old content. */
  private replace(items: T[], rv: string): void {
    const seen = new Set<string>();
    const initial = !this.synced;
    for (const o of items) {
      const k = metaNamespaceKey(o);
      seen.add(k);
      const old = this.store.getByKey(k);
      this.store.set(o);
      if (old) {
        for (const h of this.handlers) this.safe(() => h.onUpdate?.(old, o));
      } else {
        for (const h of this.handlers) this.safe(() => h.onAdd?.(o, initial));
      }
    }
    for (const k of this.store.listKeys()) {
      if (seen.has(k)) continue;
      const old = this.store.deleteKey(k)!;
      const tomb = new DeletedFinalStateUnknown<T>(k, old);
      for (const h of this.handlers) this.safe(() => h.onDelete?.(tomb));
    }
    this.lastRV = rv;
    this.markSynced();
  }

  /** One WATCH; resolves true if any event arrived; throws RelistNeeded / StatusError / transport errors. */
  private async watchOnce(signal: AbortSignal): Promise<boolean> {
    const ctl = new AbortController();
    const onAbort = () => ctl.abort();
    signal.addEventListener('abort', onAbort);
    const minT = this.opts.minWatchTimeoutSeconds ?? 300;
    let got = false;
    let failure: Error | undefined;
    try {
      await this.client.watch<T>(
        this.gvr,
        this.opts.namespace,
        {
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          resourceVersion: this.lastRV,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.floor(minT * (1 + Math.random())),
        },
        (ev: WatchEventObject<T>) => {
          if (failure || ctl.signal.aborted) return;
          got = true;
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; message?: string };
            failure = st?.code === 410 ? new RelistNeeded(st.message ?? 'expired') : new RelistNeeded(st?.message ?? 'watch error');
            ctl.abort();
            return;
          }
          this.handleEvent(ev);
        },
        ctl.signal,
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (failure) throw failure;
    return got;
  }

  private handleEvent(ev: WatchEventObject<T>): void {
    const o = ev.object;
    const rv = o.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.lastRV = rv;
      return;
    }
    const k = metaNamespaceKey(o);
    const old = this.store.getByKey(k);
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      this.store.set(o);
      if (old) for (const h of this.handlers) this.safe(() => h.onUpdate?.(old, o));
      else for (const h of this.handlers) this.safe(() => h.onAdd?.(o, false));
    } else if (ev.type === 'DELETED') {
      this.store.deleteKey(k);
      for (const h of this.handlers) this.safe(() => h.onDelete?.(o));
    }
    if (rv) this.lastRV = rv;
  }
}

/** Unwraps a tombstone to its last known object. */
export function unwrapTombstone<T extends KubeObject>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}

