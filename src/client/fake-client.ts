/**
 * An in-memory `Client` for unit tests of controllers, the scheduler and the agent, after
 * client-go's `testing.ObjectTracker` + fake clientset: every write bumps one global
 * resourceVersion counter, objects get a uid and creationTimestamp, `generation` starts at 1 and
 * bumps when `spec` changes, and failures are StatusErrors as the apiserver would send them
 * (404 NotFound, 409 AlreadyExists, 409 Conflict on a stale resourceVersion).
 *
 * Behaviour notes (deliberate simplifications, documented so tests can rely on them):
 * - Writes to the main resource keep the stored `status`; `update(..., {subresource:'status'})`
 *   keeps the stored `spec`/metadata except labels/annotations/ownerReferences/finalizers are taken from the main endpoint only.
 * - DELETE with finalizers, or with propagationPolicy Foreground/Orphan, sets `deletionTimestamp`
 *   and adds `foregroundDeletion` / `orphan` finalizers; the object disappears when an update
 *   removes the last finalizer. Otherwise (including pods, whatever the grace period) it is removed at once.
 *   Namespaces with `spec.finalizers` go Terminating (status.phase) and vanish once
 *   `update(..., {subresource:'finalize'})` empties them.
 * - Strategic-merge and apply patches are applied as JSON merge patches (good enough for the
 *   controllers' own writes; the real SMP lives in the apiserver).
 * - Watches deliver events synchronously, in order, right after each write; a watch from an RV
 *   older than `compact()`ed history gets an ERROR event with a 410 Status, as the watch cache does.
 * - `actions` records every call (`{verb, resource, namespace, name, subresource, object?, patch?}`).
 * - `prependReactor(verb, resource, fn)` lets a test fail or short-circuit a call (client-go's reactors).
 */
import fjp from 'fast-json-patch';
import { mergePatch } from '../machinery/merge-patch.ts';
import type {
  Client,
  DeleteOptions,
  GroupVersionResource,
  KubeList,
  KubeObject,
  ListOptions,
  PatchType,
  WatchEventObject,
  WatchOptions,
  WriteOptions,
} from './interface.ts';
import {
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newGone,
  newNotFound,
  type Status,
  StatusError,
} from '../machinery/errors.ts';
import { matchesFields, parseFieldSelector, parseSelector } from './selectors.ts';
import { meta } from './object-util.ts';
import { KINDS, apiVersionFor, kindForResource } from './resource-kinds.ts';

export { apiVersionFor, kindForResource };

/** One recorded call. `verb` is get|list|watch|create|update|patch|delete|create-subresource. */
export interface FakeAction {
  verb: string;
  resource: string;
  group: string;
  namespace: string | undefined;
  name?: string;
  subresource?: string;
  object?: KubeObject;
  patch?: unknown;
  patchType?: PatchType;
  options?: unknown;
}

/** A reactor: throw to fail the call; return an object to short-circuit it; return undefined to continue. */
export type FakeReactor = (action: FakeAction) => KubeObject | undefined | void;

const clone = <T>(x: T): T => structuredClone(x);

/** RFC 7386 JSON merge patch: machinery/merge-patch.ts `mergePatch` (inputs are not modified). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  return mergePatch(target, patch);
}

interface Watcher {
  gvrKey: string;
  namespace: string | undefined;
  labelSelector: ReturnType<typeof parseSelector>;
  fields: ReturnType<typeof parseFieldSelector>;
  onEvent: (e: WatchEventObject) => void;
  end: () => void;
  fail: (err: Error) => void;
}

interface LogEntry {
  rv: number;
  gvrKey: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  old?: KubeObject;
}

const gvrKey = (g: GroupVersionResource) => `${g.group}/${g.resource}`;

/** In-memory Client implementation; see the module comment for semantics. */
export class FakeClient implements Client {
  /** Every call, in order. Tests may clear it (`fake.actions.length = 0`). */
  readonly actions: FakeAction[] = [];
  private readonly objects = new Map<string, Map<string, KubeObject>>(); // gvrKey -> "ns/name" -> obj
  private rv = 0;
  private uidSeq = 0;
  private nameSeq = 0;
  private readonly log: LogEntry[] = [];
  private compactedRV = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly reactors: { verb: string; resource: string; fn: FakeReactor }[] = [];
  /** Current time source for creationTimestamp/deletionTimestamp (ms since epoch). */
  now: () => number = () => Date.now();

  /** Optionally seeds objects: `[gvr, obj]` pairs, created in order. */
  constructor(seed: [GroupVersionResource, KubeObject][] = []) {
    for (const [gvr, obj] of seed) this.createSync(gvr, obj.metadata?.namespace, obj);
  }

  /** Adds a reactor run before the call (first added runs last; most recently prepended first). `*` matches any. */
  prependReactor(verb: string, resource: string, fn: FakeReactor): void {
    this.reactors.unshift({ verb, resource, fn });
  }

  /** Current resourceVersion counter. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Forgets watch history up to now: later watches from an older RV get a 410 ERROR event. */
  compact(): void {
    this.compactedRV = this.rv;
    this.log.length = 0;
  }

  /** Ends every open watch normally (as a server-side timeout would). */
  closeWatches(): void {
    for (const w of [...this.watchers]) w.end();
  }

  /** Ends every open watch with a transport error. */
  failWatches(err: Error = new Error('connection reset')): void {
    for (const w of [...this.watchers]) w.fail(err);
  }

  /** Sends an ERROR event with the given Status to every open watch (then ends them). */
  sendWatchError(status: Status): void {
    for (const w of [...this.watchers]) {
      w.onEvent({ type: 'ERROR', object: status as unknown as KubeObject });
      w.end();
    }
  }

  /** Number of open watches (for tests). */
  get watchCount(): number {
    return this.watchers.size;
  }

  /** Synchronous read of the stored object (no action recorded), or undefined. */
  peek<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string): T | undefined {
    const o = this.bucket(gvr).get(this.key(gvr, namespace, name));
    return o ? (clone(o) as T) : undefined;
  }

  /** Synchronous list of stored objects of a GVR (optionally one namespace), no action recorded. */
  peekAll<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace?: string): T[] {
    return [...this.bucket(gvr).values()]
      .filter((o) => namespace === undefined || o.metadata?.namespace === namespace)
      .map((o) => clone(o) as T);
  }

  // ------------------------------------------------------------------------------------------
  private namespaced(gvr: GroupVersionResource): boolean {
    return KINDS[gvr.resource]?.[1] ?? true;
  }
  private key(gvr: GroupVersionResource, ns: string | undefined, name: string): string {
    return this.namespaced(gvr) ? `${ns ?? ''}/${name}` : name;
  }
  private bucket(gvr: GroupVersionResource): Map<string, KubeObject> {
    let b = this.objects.get(gvrKey(gvr));
    if (!b) this.objects.set(gvrKey(gvr), (b = new Map()));
    return b;
  }
  private gr(gvr: GroupVersionResource) {
    return { group: gvr.group, resource: gvr.resource };
  }
  private react(action: FakeAction): KubeObject | undefined {
    this.actions.push(action);
    for (const r of this.reactors) {
      if ((r.verb === '*' || r.verb === action.verb) && (r.resource === '*' || r.resource === action.resource)) {
        const out = r.fn(action);
        if (out) return out;
      }
    }
    return undefined;
  }
  private nextRV(): string {
    this.rv += 1;
    return String(this.rv);
  }
  private emit(gvr: GroupVersionResource, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, old?: KubeObject): void {
    const entry: LogEntry = { rv: this.rv, gvrKey: gvrKey(gvr), type, object: clone(obj), old: old ? clone(old) : undefined };
    this.log.push(entry);
    for (const w of [...this.watchers]) this.deliver(w, entry);
  }
  private matchesWatch(w: Watcher, o: KubeObject | undefined): boolean {
    if (!o) return false;
    if (w.namespace !== undefined && o.metadata?.namespace !== w.namespace) return false;
    return w.labelSelector.matches(o.metadata?.labels) && matchesFields(o, w.fields);
  }
  private deliver(w: Watcher, e: LogEntry): void {
    if (w.gvrKey !== e.gvrKey) return;
    const now = this.matchesWatch(w, e.object);
    let type: WatchEventObject['type'] = e.type;
    if (e.type === 'MODIFIED') {
      const before = this.matchesWatch(w, e.old);
      if (!now && !before) return;
      if (now && !before) type = 'ADDED';
      if (!now && before) type = 'DELETED';
    } else if (!now) return;
    try {
      w.onEvent({ type, object: clone(e.object) });
    } catch {
      /* a handler error must not break the writer */
    }
  }

  /** Namespaces also wait for `spec.finalizers` (e.g. `kubernetes`) before they disappear. */
  private hasNamespaceFinalizers(gvr: GroupVersionResource, obj: KubeObject): boolean {
    return gvr.resource === 'namespaces' && !!(obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length;
  }

  private stamp(gvr: GroupVersionResource, obj: KubeObject): void {
    obj.apiVersion ??= apiVersionFor(gvr);
    obj.kind ??= kindForResource(gvr.resource);
  }

  private createSync(gvr: GroupVersionResource, namespace: string | undefined, input: KubeObject, dryRun = false): KubeObject {
    const obj = clone(input);
    obj.metadata = { ...(obj.metadata ?? {}) };
    const md = meta(obj);
    if (this.namespaced(gvr)) {
      if (namespace && md.namespace && md.namespace !== namespace)
        throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
      md.namespace = namespace ?? md.namespace ?? 'default';
    } else delete md.namespace;
    if (!md.name) {
      if (!md.generateName) throw newBadRequest('name or generateName is required');
      this.nameSeq += 1;
      md.name = md.generateName + this.nameSeq.toString(36).padStart(5, 'x').slice(-5);
    }
    const b = this.bucket(gvr);
    const k = this.key(gvr, md.namespace, md.name);
    if (b.has(k)) throw newAlreadyExists(this.gr(gvr), md.name);
    if (dryRun) return obj;
    this.stamp(gvr, obj);
    this.uidSeq += 1;
    md.uid = `uid-${this.uidSeq}-${Math.random().toString(16).slice(2, 10)}`;
    md.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    md.generation = 1;
    delete md.deletionTimestamp;
    md.resourceVersion = this.nextRV();
    b.set(k, obj);
    this.emit(gvr, 'ADDED', obj);
    return clone(obj);
  }

  /** Stores `next` replacing `old` (already validated), removing it if it is deleting with no finalizers. */
  private commitUpdate(gvr: GroupVersionResource, old: KubeObject, next: KubeObject, mainResource: boolean): KubeObject {
    const md = meta(next);
    md.uid = old.metadata!.uid;
    md.creationTimestamp = old.metadata!.creationTimestamp;
    md.namespace = old.metadata!.namespace;
    md.generation = old.metadata!.generation;
    if (old.metadata!.deletionTimestamp) md.deletionTimestamp = old.metadata!.deletionTimestamp;
    else delete md.deletionTimestamp;
    if (mainResource && JSON.stringify(old.spec ?? null) !== JSON.stringify(next.spec ?? null)) {
      md.generation = (old.metadata!.generation ?? 0) + 1;
    }
    this.stamp(gvr, next);
    const b = this.bucket(gvr);
    const k = this.key(gvr, md.namespace, md.name!);
    if (JSON.stringify(next) === JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: md.resourceVersion } })) {
      // No-op update: upstream skips the storage write and keeps the resourceVersion.
      return clone(old);
    }
    md.resourceVersion = this.nextRV();
    if (md.deletionTimestamp && !md.finalizers?.length && !this.hasNamespaceFinalizers(gvr, next)) {
      b.delete(k);
      this.emit(gvr, 'DELETED', next, old);
      return clone(next);
    }
    b.set(k, next);
    this.emit(gvr, 'MODIFIED', next, old);
    return clone(next);
  }

  private updateSync(gvr: GroupVersionResource, namespace: string | undefined, input: KubeObject, subresource?: string, dryRun = false): KubeObject {
    const name = input.metadata?.name;
    if (!name) throw newBadRequest('name is required');
    const b = this.bucket(gvr);
    const k = this.key(gvr, namespace ?? input.metadata?.namespace, name);
    const old = b.get(k);
    if (!old) throw newNotFound(this.gr(gvr), name);
    const rv = input.metadata?.resourceVersion;
    if (rv && rv !== old.metadata?.resourceVersion) throw newConflict(this.gr(gvr), name);
    let next: KubeObject;
    if (subresource === 'status') {
      next = clone(old);
      next.status = clone(input.status);
    } else if (subresource === 'finalize' && gvr.resource === 'namespaces') {
      next = clone(old);
      next.spec = clone(input.spec);
    } else if (subresource) {
      throw newBadRequest(`FakeClient: unsupported subresource ${subresource}`);
    } else {
      next = clone(input);
      next.metadata = { ...(next.metadata ?? {}) };
      if ('status' in old) next.status = clone(old.status);
      else delete next.status;
    }
    meta(next).resourceVersion = old.metadata!.resourceVersion;
    if (dryRun) return next;
    return this.commitUpdate(gvr, old, next, !subresource);
  }

  // ------------------------------------------------------------------------------------------ Client

  async get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string): Promise<T> {
    const r = this.react({ verb: 'get', resource: gvr.resource, group: gvr.group, namespace, name });
    if (r) return r as T;
    const o = this.bucket(gvr).get(this.key(gvr, namespace, name));
    if (!o) throw newNotFound(this.gr(gvr), name);
    return clone(o) as T;
  }

  async list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, options: ListOptions = {}): Promise<KubeList<T>> {
    const r = this.react({ verb: 'list', resource: gvr.resource, group: gvr.group, namespace, options });
    if (r) return r as unknown as KubeList<T>;
    let sel, fields;
    try {
      sel = parseSelector(options.labelSelector);
      fields = parseFieldSelector(options.fieldSelector);
    } catch (e) {
      throw newBadRequest((e as Error).message);
    }
    const all = [...this.bucket(gvr).values()]
      .filter((o) => namespace === undefined || o.metadata?.namespace === namespace)
      .filter((o) => sel.matches(o.metadata?.labels) && matchesFields(o, fields))
      .sort((a, b) => {
        const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name}`;
        const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name}`;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    let start = 0;
    let listRV = String(this.rv);
    if (options.continue) {
      try {
        const c = JSON.parse(Buffer.from(options.continue, 'base64').toString('utf8')) as { o: number; rv: string };
        start = c.o;
        listRV = c.rv;
      } catch {
        throw newBadRequest('invalid continue token');
      }
    }
    const limit = options.limit && options.limit > 0 ? options.limit : all.length;
    const items = all.slice(start, start + limit);
    const metadata: KubeList['metadata'] = { resourceVersion: listRV };
    if (start + limit < all.length) {
      metadata.continue = Buffer.from(JSON.stringify({ o: start + limit, rv: listRV })).toString('base64');
      metadata.remainingItemCount = all.length - start - limit;
    }
    const kind = kindForResource(gvr.resource);
    return { apiVersion: apiVersionFor(gvr), kind: `${kind}List`, metadata, items: items.map((o) => clone(o) as T) };
  }

  async create<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T> {
    const r = this.react({ verb: 'create', resource: gvr.resource, group: gvr.group, namespace, name: obj.metadata?.name, object: clone(obj), options });
    if (r) return r as T;
    return this.createSync(gvr, namespace, obj, options?.dryRun) as T;
  }

  async update<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    obj: T,
    options?: WriteOptions & { subresource?: string },
  ): Promise<T> {
    const r = this.react({
      verb: 'update',
      resource: gvr.resource,
      group: gvr.group,
      namespace,
      name: obj.metadata?.name,
      subresource: options?.subresource,
      object: clone(obj),
      options,
    });
    if (r) return r as T;
    return this.updateSync(gvr, namespace, obj, options?.subresource, options?.dryRun) as T;
  }

  async patch<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options?: WriteOptions & { subresource?: string },
  ): Promise<T> {
    const r = this.react({
      verb: 'patch',
      resource: gvr.resource,
      group: gvr.group,
      namespace,
      name,
      subresource: options?.subresource,
      patch: clone(patch),
      patchType,
      options,
    });
    if (r) return r as T;
    const old = this.bucket(gvr).get(this.key(gvr, namespace, name));
    if (!old) {
      if (patchType === 'application/apply-patch+yaml') return this.createSync(gvr, namespace, patch as KubeObject) as T;
      throw newNotFound(this.gr(gvr), name);
    }
    let patched: KubeObject;
    if (patchType === 'application/json-patch+json') {
      try {
        patched = fjp.applyPatch(clone(old), patch as fjp.Operation[], true, false).newDocument as KubeObject;
      } catch (e) {
        throw new StatusError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: (e as Error).message,
          reason: 'Invalid',
          code: 422,
        });
      }
    } else {
      patched = applyMergePatch(old, patch) as KubeObject;
    }
    const rv = (patch as KubeObject | undefined)?.metadata?.resourceVersion;
    if (patchType !== 'application/json-patch+json' && rv && rv !== old.metadata?.resourceVersion) throw newConflict(this.gr(gvr), name);
    patched.metadata = { ...(patched.metadata ?? {}), name, resourceVersion: old.metadata?.resourceVersion };
    if (options?.subresource === 'status') {
      const next = clone(old);
      next.status = patched.status;
      if (options.dryRun) return next as T;
      return this.commitUpdate(gvr, old, next, false) as T;
    }
    if (options?.subresource) throw newBadRequest(`FakeClient: unsupported subresource ${options.subresource}`);
    if ('status' in old) patched.status = clone(old.status);
    if (options?.dryRun) return patched as T;
    return this.commitUpdate(gvr, old, patched, true) as T;
  }

  async delete(gvr: GroupVersionResource, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<KubeObject> {
    const r = this.react({ verb: 'delete', resource: gvr.resource, group: gvr.group, namespace, name, options });
    if (r) return r;
    return this.deleteSync(gvr, namespace, name, options);
  }

  private deleteSync(gvr: GroupVersionResource, namespace: string | undefined, name: string, options?: DeleteOptions): KubeObject {
    const b = this.bucket(gvr);
    const k = this.key(gvr, namespace, name);
    const old = b.get(k);
    if (!old) throw newNotFound(this.gr(gvr), name);
    const pre = options?.preconditions;
    if (pre?.uid && pre.uid !== old.metadata?.uid)
      throw newConflict(this.gr(gvr), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata?.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata?.resourceVersion)
      throw newConflict(
        this.gr(gvr),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata?.resourceVersion}`,
      );
    if (options?.dryRun?.length) return clone(old);
    const finalizers = [...(old.metadata?.finalizers ?? [])];
    const policy = options?.propagationPolicy;
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (finalizers.length > 0 || this.hasNamespaceFinalizers(gvr, old)) {
      const next = clone(old);
      if (gvr.resource === 'namespaces') next.status = { ...((next.status as object) ?? {}), phase: 'Terminating' };
      meta(next).finalizers = finalizers;
      if (!next.metadata!.deletionTimestamp) {
        meta(next).deletionTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
        meta(next).deletionGracePeriodSeconds = 0;
      }
      meta(next).resourceVersion = this.nextRV();
      b.set(k, next);
      this.emit(gvr, 'MODIFIED', next, old);
      return clone(next);
    }
    b.delete(k);
    const gone = clone(old);
    meta(gone).resourceVersion = this.nextRV();
    this.emit(gvr, 'DELETED', gone, old);
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: gvr.group, kind: gvr.resource, uid: old.metadata?.uid },
    } as KubeObject;
  }

  async createSubresource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: KubeObject,
  ): Promise<T> {
    const r = this.react({ verb: 'create', resource: gvr.resource, group: gvr.group, namespace, name, subresource, object: clone(body) });
    if (r) return r as T;
    const old = this.bucket(gvr).get(this.key(gvr, namespace, name));
    if (!old) throw newNotFound(this.gr(gvr), name);
    if (gvr.resource === 'pods' && subresource === 'binding') {
      const spec = (old.spec ?? {}) as Record<string, unknown>;
      const target = (body as { target?: { name?: string } }).target?.name;
      if (spec.nodeName)
        throw newConflict(this.gr(gvr), name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      const next = clone(old);
      next.spec = { ...spec, nodeName: target };
      meta(next).resourceVersion = old.metadata!.resourceVersion;
      this.commitUpdate(gvr, old, next, false);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as unknown as T;
    }
    if (gvr.resource === 'pods' && subresource === 'eviction') {
      this.deleteSync(gvr, namespace, name, (body as { deleteOptions?: DeleteOptions }).deleteOptions);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as unknown as T;
    }
    throw newBadRequest(`FakeClient: unsupported subresource ${gvr.resource}/${subresource}`);
  }

  async watch<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEventObject<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.react({ verb: 'watch', resource: gvr.resource, group: gvr.group, namespace, options });
    let labelSelector, fields;
    try {
      labelSelector = parseSelector(options.labelSelector);
      fields = parseFieldSelector(options.fieldSelector);
    } catch (e) {
      throw newBadRequest((e as Error).message);
    }
    if (signal.aborted) return;
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        this.watchers.delete(w);
        signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      const onAbort = () => {
        cleanup();
        resolve();
      };
      const w: Watcher = {
        gvrKey: gvrKey(gvr),
        namespace,
        labelSelector,
        fields,
        onEvent: onEvent as (e: WatchEventObject) => void,
        end: () => {
          cleanup();
          resolve();
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      signal.addEventListener('abort', onAbort);
      const from = options.resourceVersion ? Number(options.resourceVersion) : NaN;
      if (!Number.isNaN(from) && from > 0) {
        if (from < this.compactedRV) {
          const st = newGone(`too old resource version: ${from} (${this.compactedRV})`).status;
          try {
            onEvent({ type: 'ERROR', object: st as unknown as T });
          } catch {
            /* ignore */
          }
          cleanup();
          resolve();
          return;
        }
        for (const e of this.log) if (e.rv > from) this.deliver(w, e);
      } else {
        // No RV (or "0"): synthetic ADDED for current state, as upstream.
        for (const o of this.bucket(gvr).values())
          this.deliver(w, { rv: 0, gvrKey: gvrKey(gvr), type: 'ADDED', object: o });
      }
      this.watchers.add(w);
      if (options.timeoutSeconds && options.timeoutSeconds > 0) {
        timer = setTimeout(() => w.end(), options.timeoutSeconds * 1000);
        timer.unref?.();
      }
    });
  }
}
