/**
 * The generic registry store: CRUD + watch for one resource over a storage Backend, running the
 * resource's Strategy in upstream's fixed order. After
 * k8s.io/apiserver/pkg/registry/generic/registry/store.go (Create, Update, Delete, Watch,
 * GuaranteedUpdate, graceful deletion, finalizers) and pkg/registry/rest/{create,update,delete}.go
 * (BeforeCreate, BeforeUpdate, BeforeDelete).
 *
 * Keys: `/registry/<resource>/<namespace>/<name>` (namespaced) or `/registry/<resource>/<name>`.
 * Stored values are the object's JSON without `metadata.resourceVersion`; reads set it to the
 * key's modRevision (a decimal string). A resource with `info.storageCodec` is converted to the
 * stored shape on writes and back on reads (events.k8s.io/v1 over core/v1 events).
 */
import { randomUUID } from 'node:crypto';
import type { Backend, KeyValue, WatchEvent } from '../../storage/backend.ts';
import { StorageError } from '../../storage/backend.ts';
import type { Cacher } from '../../storage/cacher.ts';
import {
  StatusError,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newInternalError,
  newInvalid,
  newNotFound,
  newResourceExpired,
  invalid,
  type FieldError,
  type GroupResource,
} from '../../machinery/errors.ts';
import type { ResourceInfo } from '../../api/resource-types.ts';
import type { DeleteOptions, KubeList, KubeObject, ListOptions, WatchEventObject, WatchOptions } from '../../client/interface.ts';
import type { MachineryDeps } from '../machinery-deps.ts';
import type { AdmissionChain, AdmissionAttributes } from '../admission/interface.ts';
import { withTransaction, type StoreHooks } from './hooks.ts';
import { goJSONSyntaxError } from '../handlers/json-syntax-error.ts';

/** Who is asking and how; shared by every store call. */
export interface RequestContext {
  /** Authenticated user name; '' for the anonymous/in-process system user. */
  user: string;
  /** dryRun=All: run the whole pipeline but do not persist. */
  dryRun?: boolean;
}

/** Result of {@link GenericStore.delete}: the object (deletion pending or returned) and whether it is gone. */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

/** Options of {@link GenericStore.update}. */
export interface UpdateOptions {
  /** '' or 'status' (status strategy) — other subresources are handled by their handlers. */
  subresource?: string;
  /** Overrides the strategy's allowCreateOnUpdate (server-side apply = true). */
  forceAllowCreate?: boolean;
  /** Skip the resourceVersion requirement (patches are applied to the current object). */
  unconditional?: boolean;
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_NAME_LENGTH = 63;
const RANDOM_LENGTH = 5;

/** `names.SimpleNameGenerator.GenerateName`: base (truncated to 58) + 5 random consonants/digits. */
export function generateName(base: string): string {
  const maxBase = MAX_GENERATED_NAME_LENGTH - RANDOM_LENGTH;
  if (base.length > maxBase) base = base.slice(0, maxBase);
  let s = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) s += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return base + s;
}

/** The continue token: base64 of `{"v":"meta.k8s.io/v1","rv":<rev>,"start":"<last key>"}`. */
export interface ContinueToken {
  rv: number;
  start: string;
}

/** Encodes a continue token (opaque to clients). */
export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64');
}

/**
 * Decodes a continue token; throws 400 `invalid continue token: continue key is not valid: …` on
 * garbage, with k8s.io/apiserver storage DecodeContinue's reasons (bad JSON, unknown version, start
 * resourceVersion 0, empty start key). rv -1 (handed out with a 410) means "at the latest revision".
 */
export function decodeContinue(s: string): ContinueToken {
  const invalid = (why: string) => newBadRequest(`invalid continue token: continue key is not valid${why}`);
  const text = Buffer.from(s, 'base64').toString('utf8');
  let o: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    throw invalid(`: ${goJSONSyntaxError(text) ?? 'malformed token'}`);
  }
  if (!o || typeof o !== 'object') throw invalid('');
  if (o.v !== 'meta.k8s.io/v1') throw invalid(`: server does not recognize this encoded version ${String(o.v ?? '')}`);
  if (typeof o.rv !== 'number' || o.rv === 0 || (o.rv < 0 && o.rv !== -1)) throw invalid(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof o.start !== 'string' || o.start === '') throw invalid(': encoded start key empty');
  return { rv: o.rv, start: o.start };
}

/** Deep equality for JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

type Meta = NonNullable<KubeObject['metadata']>;
function meta(o: KubeObject): Meta {
  if (!o.metadata || typeof o.metadata !== 'object') o.metadata = {};
  return o.metadata;
}

/** Parses a resourceVersion string; throws 400 for non-numbers as upstream (`Invalid value …`). */
export function parseResourceVersion(rv: string | undefined, gr?: GroupResource, name?: string): number {
  if (rv === undefined || rv === '') return 0;
  if (!/^[0-9]+$/.test(rv)) {
    if (gr) throw newBadRequest(`invalid resource version: "${rv}"`);
    throw newBadRequest(`invalid resource version: "${rv}"`);
  }
  void name;
  return Number(rv);
}

/**
 * One resource's store. Created by the APIServer per ResourceInfo; `stores` lets the store reach
 * other resources (namespaces for admission lookups).
 */
export class GenericStore {
  readonly gr: GroupResource;
  readonly apiVersion: string;
  /** Per-resource hooks (BeginCreate/BeginUpdate/AfterDelete), e.g. Service IP/port allocation; set by the owner of the resource. */
  hooks: StoreHooks = {};

  constructor(
    readonly info: ResourceInfo,
    private readonly backend: Backend,
    private readonly machinery: MachineryDeps,
    private readonly admission: AdmissionChain,
    /** The watch cache of this resource's prefix (serves watches and LIST resourceVersion=0); optional. */
    private readonly cacher?: Cacher,
  ) {
    this.gr = { group: info.group, resource: info.resource };
    this.apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  }

  /** Storage key of one object. */
  key(namespace: string | undefined, name: string): string {
    return this.info.namespaced ? `/registry/${this.info.resource}/${namespace}/${name}` : `/registry/${this.info.resource}/${name}`;
  }

  /** Key prefix for a list/watch: one namespace, or every object of the resource. */
  prefix(namespace: string | undefined): string {
    return this.info.namespaced && namespace ? `/registry/${this.info.resource}/${namespace}/` : `/registry/${this.info.resource}/`;
  }

  /** Decodes a stored KeyValue into an object with resourceVersion = modRevision. */
  decode(kv: KeyValue): KubeObject {
    let obj = JSON.parse(kv.value) as KubeObject;
    if (this.info.storageCodec) obj = this.info.storageCodec.fromStorage(obj);
    meta(obj).resourceVersion = String(kv.modRevision);
    return obj;
  }

  private encode(obj: KubeObject): string {
    const m = meta(obj);
    const rv = m.resourceVersion;
    delete m.resourceVersion;
    const s = JSON.stringify(this.info.storageCodec ? this.info.storageCodec.toStorage(obj) : obj);
    if (rv !== undefined) m.resourceVersion = rv;
    return s;
  }

  private mapStorageError(err: unknown, name: string): never {
    if (err instanceof StorageError) {
      switch (err.code) {
        case 'KeyExists':
          throw newAlreadyExists(this.gr, name);
        case 'NotFound':
          throw newNotFound(this.gr, name);
        case 'Conflict':
          throw newConflict(this.gr, name);
        case 'Compacted':
          throw newResourceExpired('The resourceVersion for the provided watch is too old.');
        case 'FutureRevision':
          throw StatusErrorTimeout(`Too large resource version`);
        default:
          throw newInternalError(err.message);
      }
    }
    throw err;
  }

  private fillKind(obj: KubeObject): KubeObject {
    obj.apiVersion = this.apiVersion;
    obj.kind = this.info.kind;
    return obj;
  }

  /** GET one object; 404 NotFound when absent. */
  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.backend.get(this.key(namespace, name));
    if (!kv) throw newNotFound(this.gr, name);
    return this.fillKind(this.decode(kv));
  }

  /** GET one object, undefined when absent. */
  async tryGet(namespace: string | undefined, name: string): Promise<{ obj: KubeObject; kv: KeyValue } | undefined> {
    const kv = await this.backend.get(this.key(namespace, name));
    if (!kv) return undefined;
    return { obj: this.fillKind(this.decode(kv)), kv };
  }

  /** Builds the selection predicate for label/field selectors; unsupported fields → 400. */
  predicate(opts: { labelSelector?: string; fieldSelector?: string }): ((obj: KubeObject) => boolean) | undefined {
    const ls = opts.labelSelector ? this.machinery.labelSelector(opts.labelSelector) : undefined;
    const fs = opts.fieldSelector ? this.machinery.fieldSelector(opts.fieldSelector) : undefined;
    if (fs) {
      for (const f of fs.fields) {
        if (f === 'metadata.name' || f === 'metadata.namespace') continue;
        if (!this.info.selectableFields.includes(f)) {
          throw newBadRequest(`field label not supported: ${f}`);
        }
      }
    }
    if (!ls && !fs) return undefined;
    return (obj) => {
      if (ls && !ls((obj.metadata?.labels ?? {}) as Record<string, string>)) return false;
      if (fs && !fs.matches(this.attrs(obj))) return false;
      return true;
    };
  }

  private attrs(obj: KubeObject): Record<string, string> {
    let a: Record<string, string>;
    try {
      a = this.info.strategy.getAttrs(obj);
    } catch {
      a = {};
    }
    return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '', ...a };
  }

  /**
   * LIST with selectors, limit/continue and resourceVersion semantics:
   * ''/unset/'0'/NotOlderThan → current state; resourceVersionMatch=Exact → that revision (410 if compacted).
   * With a continue token the snapshot revision comes from the token (410 Expired when compacted).
   */
  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    const pred = this.predicate(opts);
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    let revision = 0;
    let startAfter: string | undefined;
    if (opts.continue) {
      const tok = decodeContinue(opts.continue);
      // rv -1: the token handed out with a 410 continues at the latest revision (inconsistent list).
      revision = tok.rv === -1 ? 0 : tok.rv;
      startAfter = tok.start;
      if (opts.resourceVersion && opts.resourceVersion !== '0') {
        throw newBadRequest('specifying resource version is not allowed when using continue');
      }
    } else if (opts.resourceVersionMatch === 'Exact') {
      revision = parseResourceVersion(opts.resourceVersion);
      if (revision === 0) throw newBadRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    } else {
      // NotOlderThan: wait (up to 3 s, the cacher's blockTimeout) until the store has seen it.
      const min = parseResourceVersion(opts.resourceVersion);
      if (min > 0) await this.waitUntilFresh(min);
    }
    const prefix = this.prefix(namespace);
    if (opts.resourceVersion === '0' && !opts.continue && this.cacher?.isReady()) {
      // Served from the watch cache; limit is ignored, as upstream's cacher does for RV=0.
      const res = this.cacher.list(prefix);
      const out: KubeObject[] = [];
      for (const kv of res.items) {
        const obj = this.decode(kv);
        if (!pred || pred(obj)) out.push(obj);
      }
      return { kind: this.info.listKind, apiVersion: this.apiVersion, metadata: { resourceVersion: String(res.revision) }, items: out };
    }
    const items: KubeObject[] = [];
    let more = false;
    let lastKey: string | undefined;
    let snapshotRev = revision;
    // Page through the store until `limit` matching items are collected (as the etcd3 store does).
    for (;;) {
      let res;
      try {
        res = await this.backend.list(prefix, { limit: limit ? Math.max(limit - items.length, limit) : 0, startAfterKey: startAfter, revision: snapshotRev });
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Compacted') {
          if (opts.continue) {
            // etcd3 handleCompactedErrorForPaging: 410 carrying a token that continues at the latest revision.
            const expired = newResourceExpired(
              'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
            );
            expired.status.metadata = { continue: encodeContinue({ rv: -1, start: decodeContinue(opts.continue).start }) };
            throw expired;
          }
          // etcd3 store interpretListError: a list at a compacted revision.
          throw newResourceExpired('The resourceVersion for the provided list is too old.');
        }
        if (err instanceof StorageError && err.code === 'FutureRevision') throw tooLargeResourceVersion(snapshotRev, await this.backend.currentRevision());
        this.mapStorageError(err, '');
      }
      snapshotRev = res.revision;
      let stoppedEarly = false;
      for (let i = 0; i < res.items.length; i++) {
        const kv = res.items[i];
        lastKey = kv.key;
        const obj = this.decode(kv);
        if (pred && !pred(obj)) continue;
        this.fillKind(obj);
        items.push(obj);
        if (limit && items.length >= limit) {
          stoppedEarly = i < res.items.length - 1 || res.more;
          break;
        }
      }
      if (limit && items.length >= limit) {
        more = stoppedEarly;
        break;
      }
      if (!res.more || res.items.length === 0) {
        more = false;
        break;
      }
      startAfter = lastKey;
    }
    for (const it of items) {
      delete it.apiVersion;
      delete it.kind;
    }
    const list: KubeList = {
      kind: this.info.listKind,
      apiVersion: this.apiVersion,
      metadata: { resourceVersion: String(snapshotRev) },
      items,
    };
    if (more && lastKey !== undefined) list.metadata.continue = encodeContinue({ rv: snapshotRev, start: lastKey });
    return list;
  }

  /**
   * Resolves once the store has reached revision `min` (the watch cache's waitUntilFresh, else
   * polling the backend), as upstream's cacher waitUntilFreshAndBlock; after 3 s throws 504
   * `Timeout: Too large resource version: <min>, current: <rev>`.
   */
  private async waitUntilFresh(min: number): Promise<void> {
    if (this.cacher?.isReady()) {
      try {
        await this.cacher.waitUntilFresh(min);
        return;
      } catch (err) {
        if (err instanceof StorageError && err.code === 'FutureRevision') throw tooLargeResourceVersion(min, this.cacher.revision());
        throw err;
      }
    }
    const deadline = Date.now() + 3000;
    for (;;) {
      const cur = await this.backend.currentRevision();
      if (cur >= min) return;
      if (Date.now() >= deadline) throw tooLargeResourceVersion(min, cur);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The admission attributes for an operation. */
  private attrsFor(ctx: RequestContext, op: AdmissionAttributes['operation'], namespace: string | undefined, name: string, object?: KubeObject, oldObject?: KubeObject, subresource = ''): AdmissionAttributes {
    return { operation: op, resource: this.info, subresource, namespace: namespace ?? '', name, object, oldObject, user: ctx.user, dryRun: !!ctx.dryRun };
  }

  /**
   * CREATE, as store.Create + rest.BeforeCreate: namespace check, mutating admission, system
   * fields (uid, creationTimestamp, generateName), prepareForCreate, validate, common ObjectMeta
   * validation, canonicalize, validating admission, write. Returns the stored object (201).
   */
  async create(ctx: RequestContext, namespace: string | undefined, obj: KubeObject): Promise<KubeObject> {
    const m = meta(obj);
    this.checkNamespace(namespace, m);
    this.fillKind(obj);
    if (!m.name && m.generateName) m.name = generateName(m.generateName);
    await this.admission.admit(this.attrsFor(ctx, 'CREATE', namespace, m.name ?? '', obj));
    // BeforeCreate
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.resourceVersion;
    delete m.selfLink;
    this.info.strategy.prepareForCreate(obj);
    m.uid = randomUUID();
    m.creationTimestamp = rfc3339(Date.now());
    const name = m.name ?? '';
    let errs: FieldError[] = this.info.strategy.validate(obj);
    if (errs.length === 0) errs = this.machinery.validateObjectMeta(obj, this.info.namespaced);
    if (errs.length) throw newInvalid({ group: this.info.group, kind: this.info.kind }, name, errs);
    this.info.strategy.canonicalize?.(obj);
    const txn = await this.hooks.beginCreate?.({ dryRun: ctx.dryRun }, obj);
    return withTransaction(txn, async () => {
      await this.admission.validate(this.attrsFor(ctx, 'CREATE', namespace, name, obj));
      const key = this.key(namespace, name);
      if (ctx.dryRun) {
        if (await this.backend.get(key)) throw newAlreadyExists(this.gr, name);
        return obj;
      }
      let kv: KeyValue;
      try {
        kv = await this.backend.create(key, this.encode(obj));
      } catch (err) {
        this.mapStorageError(err, name);
      }
      m.resourceVersion = String(kv.modRevision);
      return obj;
    });
  }

  private checkNamespace(namespace: string | undefined, m: Meta): void {
    if (this.info.namespaced) {
      if (!namespace) throw newBadRequest('the server could not find the requested resource');
      if (m.namespace && m.namespace !== namespace) {
        throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else {
      delete m.namespace;
    }
  }

  /**
   * UPDATE (PUT), as store.Update + rest.BeforeUpdate. `obj` is the complete new object; its
   * metadata.resourceVersion (when set) is the precondition (409 Conflict on mismatch).
   * `mutate` (patches) receives the current object and returns the new one; it is retried on conflicts.
   */
  async update(
    ctx: RequestContext,
    namespace: string | undefined,
    name: string,
    objOrMutate: KubeObject | ((current: KubeObject | undefined) => Promise<KubeObject> | KubeObject),
    opts: UpdateOptions = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.tryGet(namespace, name);
      let obj: KubeObject;
      if (typeof objOrMutate === 'function') {
        obj = await objOrMutate(cur ? structuredClone(cur.obj) : undefined);
      } else {
        obj = structuredClone(objOrMutate);
      }
      const m = meta(obj);
      if (m.name !== undefined && m.name !== name) {
        throw newBadRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
      }
      m.name = name;
      if (!cur) {
        const allowCreate = !opts.subresource && (opts.forceAllowCreate || this.info.strategy.allowCreateOnUpdate);
        if (!allowCreate) throw newNotFound(this.gr, name);
        const created = await this.create(ctx, namespace, obj);
        return { object: created, created: true };
      }
      try {
        const updated = await this.updateExisting(ctx, namespace, name, key, obj, cur, opts, typeof objOrMutate === 'function');
        return { object: updated, created: false };
      } catch (err) {
        // A patch/apply is retried against the fresh object (GuaranteedUpdate's tryUpdate loop).
        if (typeof objOrMutate === 'function' && err instanceof StorageError && err.code === 'Conflict' && attempt < 5) continue;
        if (err instanceof StorageError) this.mapStorageError(err, name);
        throw err;
      }
    }
  }

  private async updateExisting(
    ctx: RequestContext,
    namespace: string | undefined,
    name: string,
    key: string,
    obj: KubeObject,
    cur: { obj: KubeObject; kv: KeyValue },
    opts: UpdateOptions,
    fromPatch: boolean,
  ): Promise<KubeObject> {
    const old = cur.obj;
    const m = meta(obj);
    const oldMeta = meta(old);
    this.checkNamespace(namespace, m);
    this.fillKind(obj);
    // Preconditions: resourceVersion and uid.
    if (m.resourceVersion) {
      const rv = parseResourceVersion(m.resourceVersion);
      if (rv !== cur.kv.modRevision) throw newConflict(this.gr, name);
    } else if (!fromPatch && !opts.unconditional && !this.info.strategy.allowUnconditionalUpdate) {
      throw newInvalid({ group: this.info.group, kind: this.info.kind }, name, [
        invalid('metadata.resourceVersion', 0, 'must be specified for an update'),
      ]);
    }
    if (!m.resourceVersion) m.resourceVersion = oldMeta.resourceVersion;
    if (m.uid && oldMeta.uid && m.uid !== oldMeta.uid) {
      throw newConflict(this.gr, name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${oldMeta.uid}`);
    }
    const sub = opts.subresource ?? '';
    await this.admission.admit(this.attrsFor(ctx, 'UPDATE', namespace, name, obj, old, sub));
    // BeforeUpdate: requests can never change these.
    m.generation = oldMeta.generation;
    m.uid = oldMeta.uid;
    m.creationTimestamp = oldMeta.creationTimestamp;
    if (oldMeta.deletionTimestamp) m.deletionTimestamp = oldMeta.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (oldMeta.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    if (m.generation === undefined) delete m.generation;
    let errs: FieldError[];
    if (sub === 'status') {
      if (!this.info.statusStrategy) throw newNotFound(this.gr, name);
      resetObjectMetaForStatus(m, oldMeta);
      this.info.statusStrategy.prepareForUpdate(obj, old);
      errs = this.info.statusStrategy.validateUpdate(obj, old);
    } else {
      this.info.strategy.prepareForUpdate(obj, old);
      errs = this.info.strategy.validateUpdate(obj, old);
    }
    if (errs.length === 0) errs = this.machinery.validateObjectMetaUpdate(obj, old);
    if (errs.length) throw newInvalid({ group: this.info.group, kind: this.info.kind }, name, errs);
    this.info.strategy.canonicalize?.(obj);
    const txn = sub === '' ? await this.hooks.beginUpdate?.({ dryRun: ctx.dryRun }, obj, old) : undefined;
    return withTransaction(txn, async () => {
      await this.admission.validate(this.attrsFor(ctx, 'UPDATE', namespace, name, obj, old, sub));
      // Skip no-op writes: the object (ignoring resourceVersion) is unchanged.
      m.resourceVersion = oldMeta.resourceVersion;
      if (jsonEqual(obj, old)) return obj;
      // An update that removes the last finalizer of an object being deleted (grace 0) deletes it.
      const shouldDelete =
        !!oldMeta.deletionTimestamp && (m.finalizers ?? []).length === 0 && (oldMeta.deletionGracePeriodSeconds ?? 0) === 0 && !(this.isNamespace() && hasSpecFinalizers(obj));
      if (ctx.dryRun) return obj;
      if (shouldDelete) {
        const kv = await this.backend.delete(key, cur.kv.modRevision);
        m.resourceVersion = String(kv.modRevision);
        await this.hooks.afterDelete?.({}, obj);
        return obj;
      }
      const kv = await this.backend.update(key, this.encode(obj), cur.kv.modRevision);
      m.resourceVersion = String(kv.modRevision);
      return obj;
    });
  }

  /**
   * GuaranteedUpdate without the strategy (pods/binding, namespaces/finalize): `fn` maps the
   * current object (a copy) to the new one, or throws a StatusError. Retried on write conflicts.
   * With `deleteIfFinalized`, an object with deletionTimestamp and no finalizers left is removed.
   */
  async rawUpdate(ctx: RequestContext, namespace: string | undefined, name: string, fn: (cur: KubeObject) => KubeObject, deleteIfFinalized = false): Promise<KubeObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.tryGet(namespace, name);
      if (!cur) throw newNotFound(this.gr, name);
      const obj = fn(structuredClone(cur.obj));
      const m = meta(obj);
      m.resourceVersion = cur.obj.metadata?.resourceVersion;
      if (ctx.dryRun) return obj;
      try {
        if (deleteIfFinalized && m.deletionTimestamp && (m.finalizers ?? []).length === 0 && !hasSpecFinalizers(obj)) {
          const kv = await this.backend.delete(key, cur.kv.modRevision);
          m.resourceVersion = String(kv.modRevision);
          return obj;
        }
        if (jsonEqual(obj, cur.obj)) return obj;
        const kv = await this.backend.update(key, this.encode(obj), cur.kv.modRevision);
        m.resourceVersion = String(kv.modRevision);
        return obj;
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Conflict' && attempt < 5) continue;
        this.mapStorageError(err, name);
      }
    }
  }

  private isNamespace(): boolean {
    return this.info.group === '' && this.info.resource === 'namespaces';
  }

  /**
   * DELETE with DeleteOptions, as store.Delete + rest.BeforeDelete:
   * preconditions (uid, resourceVersion → 409), graceful deletion for pods (deletionTimestamp =
   * now + grace, deletionGracePeriodSeconds = grace; immediate when grace 0, unscheduled or
   * terminal), finalizers (orphan / foregroundDeletion per propagationPolicy) → deletionTimestamp
   * set and the object kept, namespaces → phase Terminating while spec.finalizers remain.
   */
  async delete(ctx: RequestContext, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.tryGet(namespace, name);
      if (!cur) throw newNotFound(this.gr, name);
      const obj = structuredClone(cur.obj);
      const m = meta(obj);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== m.uid) {
        throw newConflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== m.resourceVersion) {
        throw newConflict(
          this.gr,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion ?? ''}`,
        );
      }
      if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds !== null && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
        throw newInvalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [invalid('gracePeriodSeconds', opts.gracePeriodSeconds, 'must be greater than or equal to 0')]);
      }
      if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy)) {
        throw newInvalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
          { type: 'FieldValueNotSupported', field: 'propagationPolicy', value: opts.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan", nil' },
        ]);
      }
      await this.admission.validate(this.attrsFor(ctx, 'DELETE', namespace, name, undefined, cur.obj));
      try {
        const r = await this.deleteOnce(ctx, key, obj, cur.kv, opts);
        if (r.deleted && !ctx.dryRun) await this.hooks.afterDelete?.({}, r.object);
        return r;
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Conflict' && attempt < 5) continue;
        if (err instanceof StorageError && err.code === 'NotFound') throw newNotFound(this.gr, name);
        if (err instanceof StorageError) this.mapStorageError(err, name);
        throw err;
      }
    }
  }

  private async deleteOnce(ctx: RequestContext, key: string, obj: KubeObject, kv: KeyValue, opts: DeleteOptions): Promise<DeleteResult> {
    const m = meta(obj);
    const nowMs = Date.now();
    let changed = false;

    // Namespaces: set Terminating while spec.finalizers remain (pkg/registry/core/namespace/storage).
    if (this.isNamespace()) {
      const specFin = (obj as { spec?: { finalizers?: string[] } }).spec?.finalizers ?? [];
      if (!m.deletionTimestamp) {
        if (specFin.length > 0 || (m.finalizers ?? []).length > 0) {
          m.deletionTimestamp = rfc3339(nowMs);
          m.deletionGracePeriodSeconds = 0;
          ((obj as { status?: { phase?: string } }).status ??= {}).phase = 'Terminating';
          this.applyPropagationFinalizers(m, opts);
          return this.writePending(ctx, key, obj, kv);
        }
      } else if (specFin.length > 0) {
        return { object: obj, deleted: false };
      }
    }

    // Graceful deletion (rest.BeforeDelete + pod strategy CheckGracefulDelete).
    const isPod = this.info.group === '' && this.info.resource === 'pods';
    if (isPod) {
      const pod = obj as { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
      let grace = opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      if (!pod.spec?.nodeName) grace = 0;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') grace = 0;
      if (grace > 0) {
        if (m.deletionTimestamp) {
          // Already being deleted: only a shorter grace period changes anything.
          if (m.deletionGracePeriodSeconds !== undefined && grace >= m.deletionGracePeriodSeconds) {
            return { object: obj, deleted: false };
          }
        }
        m.deletionTimestamp = rfc3339(nowMs + grace * 1000);
        m.deletionGracePeriodSeconds = grace;
        this.applyPropagationFinalizers(m, opts);
        return this.writePending(ctx, key, obj, kv);
      }
      // grace 0 falls through to finalizer handling / immediate removal.
      if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== 0 && (m.finalizers ?? []).length > 0) {
        m.deletionGracePeriodSeconds = 0;
        changed = true;
      }
    }

    // Finalizers: keep the object with deletionTimestamp set.
    if (this.applyPropagationFinalizers(m, opts)) changed = true;
    if ((m.finalizers ?? []).length > 0) {
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = rfc3339(nowMs);
        m.deletionGracePeriodSeconds = 0;
        changed = true;
      } else if (m.deletionGracePeriodSeconds === undefined) {
        m.deletionGracePeriodSeconds = 0;
        changed = true;
      }
      if (changed) return this.writePending(ctx, key, obj, kv);
      return { object: obj, deleted: false };
    }

    if (ctx.dryRun) return { object: obj, deleted: true };
    const del = await this.backend.delete(key, kv.modRevision);
    m.resourceVersion = String(del.modRevision);
    return { object: obj, deleted: true };
  }

  /** Adds/removes the `orphan` and `foregroundDeletion` finalizers per propagationPolicy. Returns true when changed. */
  private applyPropagationFinalizers(m: Meta, opts: DeleteOptions): boolean {
    const policy = opts.propagationPolicy;
    if (!policy) return false;
    const fin = new Set(m.finalizers ?? []);
    const before = [...fin].join(',');
    if (policy === 'Orphan') {
      fin.add('orphan');
      fin.delete('foregroundDeletion');
    } else if (policy === 'Foreground') {
      fin.add('foregroundDeletion');
      fin.delete('orphan');
    } else {
      fin.delete('orphan');
      fin.delete('foregroundDeletion');
    }
    if ([...fin].join(',') === before) return false;
    // Keep order stable: existing ones first, new ones appended.
    const out = (m.finalizers ?? []).filter((f: string) => fin.has(f));
    for (const f of fin) if (!out.includes(f)) out.push(f);
    if (out.length) m.finalizers = out;
    else delete m.finalizers;
    return true;
  }

  private async writePending(ctx: RequestContext, key: string, obj: KubeObject, kv: KeyValue): Promise<DeleteResult> {
    if (ctx.dryRun) return { object: obj, deleted: false };
    const up = await this.backend.update(key, this.encode(obj), kv.modRevision);
    meta(obj).resourceVersion = String(up.modRevision);
    return { object: obj, deleted: false };
  }

  /** DELETE collection: deletes every matching object (each with the same options). Returns the deleted/pending objects as a list. */
  async deleteCollection(ctx: RequestContext, namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<KubeList> {
    const list = await this.list(namespace, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const items: KubeObject[] = [];
    for (const it of list.items) {
      try {
        const r = await this.delete(ctx, it.metadata?.namespace, it.metadata?.name ?? '', opts);
        items.push(r.object);
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) continue;
        throw err;
      }
    }
    return { ...list, items };
  }

  /**
   * WATCH from `resourceVersion` (''/'0' → start with synthetic ADDED events for the current
   * state, as upstream). Label/field filtering turns MODIFIED into ADDED/DELETED when an object
   * starts/stops matching. 410 → a single ERROR event with a Status 410 Expired, then the stream
   * ends. Bookmarks every `bookmarkIntervalMs` when allowWatchBookmarks. Resolves when the watch
   * ends (timeoutSeconds, signal abort, or storage closed).
   */
  async watch(namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEventObject) => void, signal: AbortSignal, bookmarkIntervalMs = 60_000): Promise<void> {
    const pred = this.predicate(opts);
    const match = (o: KubeObject) => !pred || pred(o);
    const prefix = this.prefix(namespace);
    let from: number;
    const rvStr = opts.resourceVersion ?? '';
    const initial: WatchEventObject[] = [];
    const source = this.cacher;
    if (source && (rvStr === '' || rvStr === '0')) {
      from = 0;
    } else if (rvStr === '' || rvStr === '0') {
      const list = await this.list(namespace, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector });
      from = Number(list.metadata.resourceVersion);
      for (const it of list.items) initial.push({ type: 'ADDED', object: this.fillKind(it) });
    } else {
      from = parseResourceVersion(rvStr);
    }
    if (signal.aborted) return;
    let lastRev = from === 0 && source ? source.revision() : from;
    return new Promise<void>((resolve) => {
      let done = false;
      let watcher: { cancel(): void } | undefined;
      let timer: NodeJS.Timeout | undefined;
      let bookmarkTimer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        watcher?.cancel();
        if (timer) clearTimeout(timer);
        if (bookmarkTimer) clearInterval(bookmarkTimer);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      signal.addEventListener('abort', finish);
      if (opts.timeoutSeconds && opts.timeoutSeconds > 0) timer = setTimeout(finish, opts.timeoutSeconds * 1000);
      const emit = (e: WatchEventObject) => {
        if (done) return;
        try {
          onEvent(e);
        } catch {
          finish();
        }
      };
      for (const e of initial) emit(e);
      const onEvents = (events: WatchEvent[]) => {
        for (const ev of events) {
          if (done) return;
          const out = this.convertEvent(ev, match);
          if (ev.revision > lastRev) lastRev = ev.revision;
          if (out) emit(out);
        }
      };
      const onError = (err: Error) => {
        if (!done) {
          if (!(err instanceof StorageError && err.code === 'Closed')) {
            emit({ type: 'ERROR', object: errorStatusObject(err) });
          }
        }
        finish();
      };
      (source ? source.watch(prefix, from, onEvents, onError) : this.backend.watch(prefix, from, onEvents, onError)).then(
        (w) => {
          watcher = w;
          if (done) w.cancel();
          else if (opts.allowWatchBookmarks) {
            bookmarkTimer = setInterval(() => {
              emit({ type: 'BOOKMARK', object: { kind: this.info.kind, apiVersion: this.apiVersion, metadata: { resourceVersion: String(lastRev) } } });
            }, bookmarkIntervalMs);
            bookmarkTimer.unref?.();
          }
        },
        (err) => {
          if (err instanceof StorageError && err.code === 'Compacted') {
            // The watch cache words it "too old resource version: X (Y)"; straight from storage it is
            // etcd3's interpretWatchError text, whichever backend is underneath.
            emit({ type: 'ERROR', object: expiredStatus(source ? err.message || `too old resource version: ${from}` : 'The resourceVersion for the provided watch is too old.') });
          } else {
            emit({ type: 'ERROR', object: errorStatusObject(err) });
          }
          finish();
        },
      );
    });
  }

  /** Converts one storage event to a watch event given a filter (cacher semantics). */
  private convertEvent(ev: WatchEvent, match: (o: KubeObject) => boolean): WatchEventObject | undefined {
    if (ev.type === 'delete') {
      const src = ev.prevKv ?? ev.kv;
      const obj = this.decode(src);
      meta(obj).resourceVersion = String(ev.revision);
      if (!match(obj)) return undefined;
      return { type: 'DELETED', object: this.fillKind(obj) };
    }
    const obj = this.fillKind(this.decode(ev.kv));
    const curMatch = match(obj);
    if (ev.type === 'create') return curMatch ? { type: 'ADDED', object: obj } : undefined;
    let oldMatch = false;
    let oldObj: KubeObject | undefined;
    if (ev.prevKv) {
      oldObj = this.decode(ev.prevKv);
      oldMatch = match(oldObj);
    } else {
      oldMatch = curMatch;
    }
    if (curMatch && oldMatch) return { type: 'MODIFIED', object: obj };
    if (curMatch && !oldMatch) return { type: 'ADDED', object: obj };
    if (!curMatch && oldMatch && oldObj) {
      meta(oldObj).resourceVersion = String(ev.revision);
      return { type: 'DELETED', object: this.fillKind(oldObj) };
    }
    return undefined;
  }
}

function hasSpecFinalizers(obj: KubeObject): boolean {
  return ((obj as { spec?: { finalizers?: string[] } }).spec?.finalizers ?? []).length > 0;
}

/** `metav1.ResetObjectMetaForStatus`: a /status write cannot change these metadata fields. */
export function resetObjectMetaForStatus(m: Meta, old: Meta): void {
  const keys = ['deletionTimestamp', 'generation', 'selfLink', 'labels', 'annotations', 'finalizers', 'ownerReferences'] as const;
  for (const k of keys) {
    if (old[k] === undefined) delete m[k];
    else (m as Record<string, unknown>)[k] = structuredClone(old[k]);
  }
}

function StatusErrorTimeout(message: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Timeout', code: 504, details: { retryAfterSeconds: 1 } });
}

/**
 * 504 Timeout for a resourceVersion beyond the store's, as k8s.io/apiserver storage
 * NewTooLargeResourceVersionError (message `Timeout: Too large resource version: <rv>, current:
 * <cur>`, cause ResourceVersionTooLarge, retryAfterSeconds 1) — client-go retries on it.
 */
function tooLargeResourceVersion(rv: number, current: number): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Timeout: Too large resource version: ${rv}, current: ${current}`,
    reason: 'Timeout',
    code: 504,
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  });
}

/** Status object for a watch ERROR event of an expired resourceVersion (410 Expired). */
export function expiredStatus(message: string): KubeObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 } as KubeObject;
}

function errorStatusObject(err: unknown): KubeObject {
  if (err instanceof StatusError) return err.status as unknown as KubeObject;
  if (err instanceof StorageError && err.code === 'Compacted') return expiredStatus(err.message);
  return newInternalError(err instanceof Error ? err.message : String(err)).status as unknown as KubeObject;
}
