/**
 * The transport-independent request pipeline: what a REST verb does after routing and body
 * decoding, shared by the HTTP handlers and the in-process client. After the upstream handler
 * functions in k8s.io/apiserver/pkg/endpoints/handlers ({get,create,update,patch,delete,watch}.go)
 * and the subresource REST storages in pkg/registry/core/pod/storage (BindingREST, EvictionREST),
 * pkg/registry/apps/deployment/storage (ScaleREST) and pkg/registry/core/namespace/storage (FinalizeREST).
 *
 * Objects passed in are owned by the pipeline (callers pass copies); objects returned are fresh.
 */
import fjp from 'fast-json-patch';
import YAML from 'yaml';
import type { Backend } from '../storage/backend.ts';
import { Cacher } from '../storage/cacher.ts';
import type { ResourceInfo } from '../api/resource-types.ts';
import type { DeleteOptions, KubeList, KubeObject, ListOptions, PatchType, WatchEventObject, WatchOptions } from '../client/interface.ts';
import {
  StatusError,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
  newUnsupportedMediaType,
  invalid,
  type Status,
} from '../machinery/errors.ts';
import type { MachineryDeps } from './machinery-deps.ts';
import { AdmissionChain } from './admission/interface.ts';
import { GenericStore, type RequestContext, jsonEqual } from './registry/generic-store.ts';
import { decodeTypeError, goSprintValue, groupVersionKindFor, rememberRawJSON, strictDecode, type TypeCheckMode } from './handlers/field-validation.ts';
import { applyManagedFields, managerOrUserAgent, updateManagedFields, type FieldManagerScope } from './fieldmanager/field-manager.ts';
import { goJSONSyntaxError } from './handlers/json-syntax-error.ts';

/** Options of writes (create/update/patch), from query parameters. */
export interface WriteParams {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore' | string;
  force?: boolean;
  subresource?: string;
}

/** The RequestContext of a write as the HTTP layer fills it: plus the User-Agent (field manager fallback). */
export type WriteContext = RequestContext & { userAgent?: string };

/** The field manager of a write: `fieldManager`, else the User-Agent prefix (upstream managerOrUserAgent). */
function managerOf(ctx: RequestContext, params: WriteParams): string {
  return managerOrUserAgent(params.fieldManager, (ctx as WriteContext).userAgent);
}

/** The field manager scope of a write to `ri` (through subresource `sub`). */
function fmScope(ri: ResourceInfo, sub = ''): FieldManagerScope {
  return { apiVersion: ri.group ? `${ri.group}/${ri.version}` : ri.version, kind: ri.kind, subresource: sub, hasStatus: !!ri.statusStrategy };
}

/** A write's result: the object and whether it was created (201) or updated (200). */
export interface WriteResult {
  object: KubeObject;
  created: boolean;
  /** `Warning` header texts (fieldValidation=Warn). */
  warnings?: string[];
}

/** The kind of every …/scale subresource body. */
const SCALE_GVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

/** The accepted PATCH content types (upstream's order in the 415 message). */
export const PATCH_TYPES: PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
  'application/strategic-merge-patch+json',
];

/** A Status with status Success (used by eviction/binding/delete responses). */
export function successStatus(code: number, details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code } as Status;
  if (details) s.details = details;
  return s;
}

/**
 * Runs strategy code over client-supplied data; a TypeError from malformed input (e.g. `spec: 5`)
 * becomes 400 BadRequest, as upstream's typed decoding would reject such bodies before any strategy runs.
 */
async function guardDecode<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StatusError) throw err;
    if (err instanceof TypeError || err instanceof RangeError) {
      throw newBadRequest(`the object could not be decoded: ${err.message}`);
    }
    throw err;
  }
}

/** The pipeline over all served resources. */
export class Pipeline {
  private readonly stores = new Map<string, GenericStore>();
  private readonly byGVR = new Map<string, ResourceInfo>();
  readonly admission: AdmissionChain;
  private readonly cachers = new Map<string, Cacher>();
  private started: Promise<void> | undefined;
  /**
   * Extra POST subresource handlers by `<group>/<resource>/<subresource>` (e.g.
   * `/serviceaccounts/token`, registered by the APIServer), consulted by {@link createSubresource}.
   */
  readonly subresourceCreators = new Map<string, (ctx: RequestContext, namespace: string | undefined, name: string, body: KubeObject, params: WriteParams) => Promise<{ body: KubeObject; code: number }>>();

  constructor(
    readonly resources: ResourceInfo[],
    readonly backend: Backend,
    readonly machinery: MachineryDeps,
    admission?: AdmissionChain,
    useCache = true,
  ) {
    this.admission = admission ?? new AdmissionChain();
    for (const ri of resources) {
      const prefix = `/registry/${ri.resource}/`;
      let cacher = this.cachers.get(prefix);
      if (!cacher && useCache) {
        cacher = new Cacher(backend, prefix);
        this.cachers.set(prefix, cacher);
      }
      this.byGVR.set(`${ri.group}/${ri.version}/${ri.resource}`, ri);
      this.stores.set(`${ri.group}/${ri.version}/${ri.resource}`, new GenericStore(ri, backend, machinery, this.admission, cacher));
    }
  }

  /** Starts every watch cache (list + watch of its prefix). Resolves when all are ready. */
  async start(): Promise<void> {
    this.started ??= Promise.all([...this.cachers.values()].map((c) => c.start())).then(() => undefined);
    return this.started;
  }

  /** Stops the watch caches (open watches end). */
  stop(): void {
    for (const c of this.cachers.values()) c.stop();
  }

  /** The ResourceInfo served at group/version/resource, or undefined. */
  find(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGVR.get(`${group}/${version}/${resource}`);
  }

  /** The store of a resource. */
  store(ri: ResourceInfo): GenericStore {
    const s = this.stores.get(`${ri.group}/${ri.version}/${ri.resource}`);
    if (!s) throw newNotFound({ group: ri.group, resource: ri.resource }, '');
    return s;
  }

  /** Store by GVR; throws 404 when the resource is not served. */
  storeFor(group: string, version: string, resource: string): GenericStore {
    const ri = this.find(group, version, resource);
    if (!ri) throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404, details: {} });
    return this.store(ri);
  }

  /** Reads a namespace (for admission). */
  async getNamespace(name: string): Promise<KubeObject | undefined> {
    const ri = this.find('', 'v1', 'namespaces');
    if (!ri) return undefined;
    return (await this.store(ri).tryGet(undefined, name))?.obj;
  }

  private checkScope(ri: ResourceInfo, namespace: string | undefined, needName: boolean): void {
    if (ri.namespaced && needName && !namespace) {
      throw newBadRequest('the server could not find the requested resource');
    }
  }

  /**
   * Checks apiVersion/kind of a decoded body against the resource and applies scheme defaults.
   * 400 when the body is not an object or names another kind.
   */
  decodeObject(ri: ResourceInfo, body: unknown, params: WriteParams, expectKind = ri.kind): { obj: KubeObject; warnings: string[] } {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw newBadRequest('the body of the request must be a JSON object');
    }
    const obj = body as KubeObject;
    const gv = ri.group ? `${ri.group}/${ri.version}` : ri.version;
    if (obj.kind !== undefined && obj.kind !== expectKind) {
      throw newBadRequest(`the kind in the data (${typeof obj.kind === 'string' ? obj.kind : JSON.stringify(obj.kind)}) does not match the expected kind (${expectKind})`);
    }
    if (obj.apiVersion !== undefined && expectKind === ri.kind && obj.apiVersion !== gv) {
      throw newBadRequest(`the API version in the data (${typeof obj.apiVersion === 'string' ? obj.apiVersion : JSON.stringify(obj.apiVersion)}) does not match the expected API version (${gv})`);
    }
    // Typed decoding (wrongly typed values are 400 in every fieldValidation mode) and strict field validation, one walk.
    const warnings = this.fieldValidation(ri, expectKind, obj, params, false, 'json');
    if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
      throw newBadRequest('metadata must be an object');
    }
    obj.apiVersion = expectKind === ri.kind ? gv : obj.apiVersion;
    obj.kind = expectKind;
    return { obj, warnings };
  }

  /**
   * fieldValidation=Strict → 400 on unknown/duplicate fields; Warn → warnings (unknown fields dropped); Ignore → nothing
   * (handlers/field-validation.ts). Create/update errors carry upstream's decoder prefix; patches do not.
   * `types` 'json': also the typed-decoding check of a create/update body, in every mode: a wrongly typed value is
   * 400 `<Kind> in version "<v>" cannot be handled as a <Kind>: json: cannot unmarshal …` (create.go/update.go
   * transformDecodeError over the serializer's sigs.k8s.io/json error).
   */
  fieldValidation(ri: ResourceInfo, kind: string, obj: unknown, params: WriteParams, patch = false, types: TypeCheckMode = 'off'): string[] {
    const mode = params.fieldValidation ?? 'Warn';
    if (mode === 'Ignore' && types === 'off') return [];
    if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
      throw newBadRequest(`fieldValidation parameter unsupported: ${mode}`);
    }
    const gvk = groupVersionKindFor(ri, kind);
    // Warn and Ignore drop the unknown fields, as upstream's decoding into typed objects does.
    const r = strictDecode(gvk, obj, { patch, prune: mode !== 'Strict', types });
    if (r.typeError !== undefined) throw newBadRequest(`${kind} in version "${gvk.version}" cannot be handled as a ${kind}: ${r.typeError}`);
    if (mode === 'Ignore') return [];
    const errs = r.errors;
    if (!errs.length) return [];
    if (mode === 'Strict') {
      const prefix = patch ? '' : `${kind} in version "${gvk.version}" cannot be handled as a ${kind}: `;
      throw newBadRequest(`${prefix}strict decoding error: ${errs.join(', ')}`);
    }
    return errs;
  }

  // ------------------------------------------------------------------ verbs

  /** GET item. */
  async get(ri: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    this.checkScope(ri, namespace, true);
    return this.store(ri).get(namespace, name);
  }

  /** GET collection. */
  async list(ri: ResourceInfo, namespace: string | undefined, opts: ListOptions): Promise<KubeList> {
    return this.store(ri).list(ri.namespaced ? namespace : undefined, opts);
  }

  /** WATCH collection; see GenericStore.watch (`bookmarkIntervalMs`: BOOKMARK period, default 60 s). */
  async watch(ri: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEventObject) => void, signal: AbortSignal, bookmarkIntervalMs?: number): Promise<void> {
    return this.store(ri).watch(ri.namespaced ? namespace : undefined, opts, onEvent, signal, bookmarkIntervalMs);
  }

  /** POST collection (201). */
  async create(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, body: unknown, params: WriteParams = {}): Promise<WriteResult> {
    if (ri.namespaced && !namespace) throw newNotFound({ group: ri.group, resource: ri.resource }, '');
    if (!ri.verbs.includes('create')) throw methodNotAllowed(ri, 'create');
    if (ri.group === '' && ri.resource === 'bindings') {
      // Legacy POST namespaces/<ns>/bindings: the same as pods/<name>/binding (pkg/registry/core/pod/storage BindingREST).
      const pods = this.find('', 'v1', 'pods');
      const name = (body as KubeObject | null)?.metadata?.name;
      if (!pods || typeof name !== 'string' || !name) throw newBadRequest('a Binding must name the pod in metadata.name');
      const r = await this.createSubresource(ctx, pods, namespace, name, 'binding', body, params);
      return { object: r.body, created: true };
    }
    const { obj, warnings } = this.decodeObject(ri, body, params);
    const created = await guardDecode(async () => {
      ri.strategy.defaults(obj);
      updateManagedFields(fmScope(ri), undefined, obj, managerOf(ctx, params));
      return this.store(ri).create({ ...ctx, dryRun: ctx.dryRun || params.dryRun }, namespace, obj);
    });
    return { object: created, created: true, warnings };
  }

  /** PUT item (200, or 201 when created on update); `subresource` '' | 'status'. */
  async update(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, body: unknown, params: WriteParams = {}): Promise<WriteResult> {
    this.checkScope(ri, namespace, true);
    const sub = params.subresource ?? '';
    if (sub === 'scale') return this.updateScale(ctx, ri, namespace, name, body, params);
    if (sub === 'finalize') return this.finalizeNamespace(ctx, ri, name, body, params);
    if (sub !== '' && sub !== 'status') throw newNotFound({ group: ri.group, resource: `${ri.resource}/${sub}` }, name);
    if (sub === 'status' && !ri.statusStrategy) throw newNotFound({ group: ri.group, resource: `${ri.resource}/${sub}` }, name);
    const { obj, warnings } = this.decodeObject(ri, body, params);
    const manager = managerOf(ctx, params);
    const r = await guardDecode(async () => {
      ri.strategy.defaults(obj);
      // A function so managedFields are computed against the object the update applies to
      // (rest.DefaultUpdatedObjectInfo transformers); the resourceVersion rule of a PUT is kept here.
      return this.store(ri).update(
        { ...ctx, dryRun: ctx.dryRun || params.dryRun },
        namespace,
        name,
        (cur) => {
          const o = structuredClone(obj);
          if (cur && !o.metadata?.resourceVersion && !ri.strategy.allowUnconditionalUpdate) {
            throw newInvalid({ group: ri.group, kind: ri.kind }, name, [invalid('metadata.resourceVersion', 0, 'must be specified for an update')]);
          }
          updateManagedFields(fmScope(ri, cur ? sub : ''), cur, o, manager);
          return o;
        },
        { subresource: sub },
      );
    });
    return { object: r.object, created: r.created, warnings };
  }

  /**
   * PATCH item: json-patch, merge-patch, strategic-merge-patch (415 for kinds without patch
   * metadata) or apply (create-or-update; 201 when created). `patch` is the decoded body (for
   * apply: an object; YAML already parsed).
   */
  async patch(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, patchType: string, patch: unknown, params: WriteParams = {}): Promise<WriteResult> {
    this.checkScope(ri, namespace, true);
    if (!PATCH_TYPES.includes(patchType as PatchType)) {
      throw newUnsupportedMediaType(patchType, PATCH_TYPES);
    }
    const sub = params.subresource ?? '';
    const gv = ri.group ? `${ri.group}/${ri.version}` : ri.version;
    if (patchType === 'application/strategic-merge-patch+json' && !this.machinery.hasPatchMeta(gv, ri.kind)) {
      throw newUnsupportedMediaType(patchType, PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json'));
    }
    // ValidatePatchOptions (before any subresource handling): 422 PatchOptions.meta.k8s.io "" is invalid.
    if (patchType !== 'application/apply-patch+yaml' && params.force !== undefined) {
      throw newInvalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [{ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' }]);
    }
    if (sub === 'scale') return this.patchScale(ctx, ri, namespace, name, patchType, patch, params);
    if (sub !== '' && sub !== 'status') throw newNotFound({ group: ri.group, resource: `${ri.resource}/${sub}` }, name);
    if (sub === 'status' && !ri.statusStrategy) throw newNotFound({ group: ri.group, resource: `${ri.resource}/${sub}` }, name);
    let warnings: string[] = [];
    if (patchType !== 'application/json-patch+json') {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
        throw newBadRequest('the body of the request must be a JSON object for this patch type');
      }
      warnings = this.fieldValidation(ri, ri.kind, patch, params, true);
    } else if (!Array.isArray(patch)) {
      throw newBadRequest('json patch must be an array of operations');
    }
    const isApply = patchType === 'application/apply-patch+yaml';
    if (isApply) {
      const p = patch as KubeObject;
      if (!params.fieldManager) {
        throw newInvalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [{ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' }]);
      }
      if (p.kind !== undefined && p.kind !== ri.kind) throw newBadRequest(`the kind in the data (${String(p.kind)}) does not match the expected kind (${ri.kind})`);
      // structuredMergeManager.Apply
      if (p.apiVersion !== gv) throw newBadRequest(`Incorrect version specified in apply patch. Specified patch version: ${typeof p.apiVersion === 'string' ? p.apiVersion : ''}, expected: ${gv}`);
      const pm = p.metadata as { managedFields?: unknown } | undefined;
      if (pm && typeof pm === 'object' && pm.managedFields !== undefined && pm.managedFields !== null) throw newBadRequest('metadata.managedFields must be nil');
    }
    const manager = managerOf(ctx, params);
    const c = { ...ctx, dryRun: ctx.dryRun || params.dryRun };
    const r = await guardDecode(() =>
      this.store(ri).update(
        c,
        namespace,
        name,
        (cur) => {
          if (isApply) {
            const config = structuredClone(patch) as KubeObject;
            config.kind = ri.kind;
            config.metadata = { ...(config.metadata ?? {}), name };
            if (!cur && sub) throw newNotFound({ group: ri.group, resource: ri.resource }, name);
            const out = applyManagedFields(fmScope(ri, cur ? sub : ''), cur, config, manager, !!params.force);
            if (out.metadata !== null && typeof out.metadata === 'object' && !Array.isArray(out.metadata)) out.metadata.name = name;
            ri.strategy.defaults(out);
            return out;
          }
          if (!cur) throw newNotFound({ group: ri.group, resource: ri.resource }, name);
          const out = this.applyPatch(ri, cur, patchType, patch);
          this.checkPatchedTypes(ri, patchType, patch, out);
          // json-patch: field validation of the patched object (upstream patch.go jsonPatcher).
          if (patchType === 'application/json-patch+json') warnings = this.fieldValidation(ri, ri.kind, out, params, true);
          ri.strategy.defaults(out);
          updateManagedFields(fmScope(ri, sub), cur, out, manager);
          return out;
        },
        { subresource: sub, forceAllowCreate: isApply },
      ),
    );
    return { object: r.object, created: r.created, warnings };
  }

  /**
   * Typed decoding of a patched object (upstream patch.go): a wrongly typed value is 422 with kind and name ""
   * and one `patch` cause. json/merge patches (jsonPatcher: runtime.DecodeInto of the patched JSON): the value is
   * the patched object's JSON, the detail encoding/json's error; strategic merge (applyPatchToObject:
   * FromUnstructuredWithValidation): the value is `%+v` of the patch map, the detail the unstructured converter's
   * error. Skiff's JSON keeps the stored key order (upstream's bytes come from its merge library).
   */
  checkPatchedTypes(ri: ResourceInfo, patchType: string, patch: unknown, out: KubeObject): void {
    const smp = patchType === 'application/strategic-merge-patch+json';
    const err = decodeTypeError(groupVersionKindFor(ri, ri.kind), out, smp ? 'unstructured' : 'json');
    if (err === undefined) return;
    throw newInvalid({ group: '', kind: '' }, '', [invalid('patch', smp ? goSprintValue(patch) : JSON.stringify(out), err)]);
  }

  /** Applies one patch document to `cur` (a copy) and returns the result. */
  applyPatch(ri: ResourceInfo, cur: KubeObject, patchType: string, patch: unknown): KubeObject {
    const gv = ri.group ? `${ri.group}/${ri.version}` : ri.version;
    let out: unknown;
    switch (patchType) {
      case 'application/json-patch+json': {
        try {
          out = fjp.applyPatch(cur, patch as fjp.Operation[], true, false).newDocument;
        } catch (err) {
          const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
          throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server rejected our request due to an error in our request: ${msg}`, reason: 'Invalid', code: 422 });
        }
        break;
      }
      case 'application/merge-patch+json':
        out = this.machinery.mergePatch(cur, patch);
        break;
      case 'application/strategic-merge-patch+json':
        out = this.machinery.strategicMergePatch(cur, patch, gv, ri.kind);
        break;
      case 'application/apply-patch+yaml':
        // Server-side apply with field ownership (no conflict check; see patch() for the full path).
        out = applyManagedFields(fmScope(ri), cur, structuredClone(patch) as KubeObject, 'unknown', true);
        break;
      default:
        throw newUnsupportedMediaType(patchType, PATCH_TYPES);
    }
    if (out === null || typeof out !== 'object' || Array.isArray(out)) throw newBadRequest('the patch produced a non-object');
    const o = out as KubeObject;
    if (o.metadata !== undefined && (o.metadata === null || typeof o.metadata !== 'object')) throw newBadRequest('metadata must be an object');
    if (o.kind !== ri.kind || o.apiVersion !== gv) {
      throw newBadRequest(`the patch must not change apiVersion/kind (${gv}, ${ri.kind})`);
    }
    return o;
  }

  /**
   * DELETE item. Returns the object when deletion is pending (graceful/finalizers) or a
   * Status Success with details when the object is gone (store.returnDeletedObject=false).
   */
  async delete(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ body: KubeObject; deleted: boolean }> {
    this.checkScope(ri, namespace, true);
    if (!ri.verbs.includes('delete')) throw methodNotAllowed(ri, 'delete');
    const dry = ctx.dryRun || (opts.dryRun ?? []).includes('All');
    const r = await this.store(ri).delete({ ...ctx, dryRun: dry }, namespace, name, opts);
    if (!r.deleted) return { body: r.object, deleted: false };
    if (ri.group === '' && ri.resource === 'pods') return { body: r.object, deleted: true };
    const st = successStatus(200, { name, group: ri.group || undefined, kind: ri.resource, uid: r.object.metadata?.uid });
    return { body: st as unknown as KubeObject, deleted: true };
  }

  /** DELETE collection. */
  async deleteCollection(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions = {}): Promise<KubeList> {
    if (!ri.verbs.includes('deletecollection')) throw methodNotAllowed(ri, 'deletecollection');
    const dry = ctx.dryRun || (opts.dryRun ?? []).includes('All');
    return this.store(ri).deleteCollection({ ...ctx, dryRun: dry }, ri.namespaced ? namespace : undefined, listOpts, opts);
  }

  // ------------------------------------------------------------------ subresources

  /** GET of a subresource that returns an object (status → the object; scale → Scale). */
  async getSubresource(ri: ResourceInfo, namespace: string | undefined, name: string, sub: string): Promise<KubeObject> {
    if (!ri.subresources.some((s) => s.name === sub)) throw newNotFound({ group: ri.group, resource: `${ri.resource}/${sub}` }, name);
    const obj = await this.get(ri, namespace, name);
    if (sub === 'status') return obj;
    if (sub === 'scale') return this.toScale(ri, obj);
    throw newMethodNotAllowedSub(ri, sub, 'get');
  }

  /** Builds the autoscaling/v1 Scale of a deployment/replicaset/statefulset/replicationcontroller. */
  toScale(ri: ResourceInfo, obj: KubeObject): KubeObject {
    const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
    const status = (obj.status ?? {}) as { replicas?: number };
    let selector = '';
    if (spec.selector && typeof spec.selector === 'object') {
      selector = ri.kind === 'ReplicationController' ? Object.entries(spec.selector as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',') : this.machinery.formatLabelSelector(spec.selector);
    }
    const m = obj.metadata ?? {};
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector },
    };
  }

  private async writeScale(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, scaleOf: (cur: KubeObject) => KubeObject, params: WriteParams): Promise<WriteResult> {
    const store = this.store(ri);
    const r = await store.update(
      { ...ctx, dryRun: ctx.dryRun || params.dryRun },
      namespace,
      name,
      (cur) => {
        if (!cur) throw newNotFound({ group: ri.group, resource: ri.resource }, name);
        const scale = scaleOf(structuredClone(this.toScale(ri, cur)));
        const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
        if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas))) {
          throw newBadRequest('spec.replicas must be an integer');
        }
        if (typeof replicas === 'number' && replicas < 0) {
          throw newInvalid({ group: 'autoscaling', kind: 'Scale' }, name, [invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
        }
        const sm = scale.metadata ?? {};
        if (sm.name !== undefined && sm.name !== name) throw newBadRequest(`the name of the object (${sm.name}) does not match the name on the URL (${name})`);
        const rv = sm.resourceVersion;
        if (rv && rv !== cur.metadata?.resourceVersion) throw newConflict({ group: ri.group, resource: ri.resource }, name);
        const out = structuredClone(cur);
        ((out.spec ??= {}) as { replicas?: number }).replicas = typeof replicas === 'number' ? replicas : 0;
        // ScaleHandler: the Scale's manager owns the parent's spec.replicas, recorded with subresource "scale".
        updateManagedFields(fmScope(ri, 'scale'), cur, out, managerOf(ctx, params));
        return out;
      },
      { unconditional: true },
    );
    return { object: this.toScale(ri, r.object), created: false };
  }

  /** PUT …/scale. */
  async updateScale(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, body: unknown, params: WriteParams): Promise<WriteResult> {
    if (!ri.subresources.some((s) => s.name === 'scale')) throw newNotFound({ group: ri.group, resource: `${ri.resource}/scale` }, name);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the body of the request must be a JSON object');
    const b = body as KubeObject;
    if (b.kind !== undefined && b.kind !== 'Scale') throw newBadRequest(`the kind in the data (${String(b.kind)}) does not match the expected kind (Scale)`);
    const te = decodeTypeError(SCALE_GVK, b);
    if (te !== undefined) throw newBadRequest(`Scale in version "v1" cannot be handled as a Scale: ${te}`);
    return this.writeScale(ctx, ri, namespace, name, () => b, params);
  }

  /** PATCH …/scale (merge/json/strategic patch of the Scale object). */
  async patchScale(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, patchType: string, patch: unknown, params: WriteParams): Promise<WriteResult> {
    if (!ri.subresources.some((s) => s.name === 'scale')) throw newNotFound({ group: ri.group, resource: `${ri.resource}/scale` }, name);
    return this.writeScale(
      ctx,
      ri,
      namespace,
      name,
      (scale) => {
        let out: unknown;
        if (patchType === 'application/json-patch+json') {
          if (!Array.isArray(patch)) throw newBadRequest('json patch must be an array of operations');
          try {
            out = fjp.applyPatch(scale, patch as fjp.Operation[], true, false).newDocument;
          } catch (err) {
            throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server rejected our request due to an error in our request: ${(err as Error).message.split('\n')[0]}`, reason: 'Invalid', code: 422 });
          }
        } else {
          if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw newBadRequest('the body of the request must be a JSON object');
          out = this.machinery.mergePatch(scale, stripDirectives(patch));
        }
        if (out === null || typeof out !== 'object') throw newBadRequest('the patch produced a non-object');
        const smp = patchType === 'application/strategic-merge-patch+json';
        const te = decodeTypeError(SCALE_GVK, out, smp ? 'unstructured' : 'json');
        if (te !== undefined) throw newInvalid({ group: '', kind: '' }, '', [invalid('patch', smp ? goSprintValue(patch) : JSON.stringify(out), te)]);
        return out as KubeObject;
      },
      params,
    );
  }

  /** PUT namespaces/<name>/finalize: replaces spec.finalizers; removes the namespace when nothing remains. */
  async finalizeNamespace(ctx: RequestContext, ri: ResourceInfo, name: string, body: unknown, params: WriteParams): Promise<WriteResult> {
    if (!(ri.group === '' && ri.resource === 'namespaces')) throw newNotFound({ group: ri.group, resource: `${ri.resource}/finalize` }, name);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the body of the request must be a JSON object');
    const b = body as KubeObject;
    const fins = (b.spec as { finalizers?: unknown } | undefined)?.finalizers;
    if (fins !== undefined && (!Array.isArray(fins) || fins.some((f) => typeof f !== 'string'))) throw newBadRequest('spec.finalizers must be a list of strings');
    const rv = b.metadata?.resourceVersion;
    const obj = await this.store(ri).rawUpdate(
      { ...ctx, dryRun: ctx.dryRun || params.dryRun },
      undefined,
      name,
      (cur) => {
        if (rv && rv !== cur.metadata?.resourceVersion) throw newConflict({ group: '', resource: 'namespaces' }, name);
        const spec = ((cur.spec ??= {}) as { finalizers?: string[] });
        if (fins && (fins as string[]).length) spec.finalizers = [...(fins as string[])];
        else delete spec.finalizers;
        return cur;
      },
      true,
    );
    return { object: obj, created: false };
  }

  /**
   * POST to a subresource: pods/binding (sets spec.nodeName; 409 when already assigned),
   * pods/eviction (deletes the pod honouring deleteOptions; 201 Status Success).
   * Returns the response body and HTTP code.
   */
  async createSubresource(ctx: RequestContext, ri: ResourceInfo, namespace: string | undefined, name: string, sub: string, body: unknown, params: WriteParams = {}): Promise<{ body: KubeObject; code: number }> {
    this.checkScope(ri, namespace, true);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw newBadRequest('the body of the request must be a JSON object');
    const b = body as KubeObject;
    const extra = this.subresourceCreators.get(`${ri.group}/${ri.resource}/${sub}`);
    if (extra) return extra(ctx, namespace, name, b, params);
    const isPods = ri.group === '' && ri.resource === 'pods';
    if (isPods && sub === 'binding') {
      const target = (b as { target?: { name?: unknown; kind?: unknown } }).target;
      const bm = b.metadata ?? {};
      if (bm.name !== undefined && bm.name !== name) throw newBadRequest(`the name of the object (${bm.name}) does not match the name on the URL (${name})`);
      if (!target || typeof target.name !== 'string' || !target.name) {
        throw newInvalid({ group: '', kind: 'Binding' }, name, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
      }
      const nodeName = target.name;
      const annotations = (bm.annotations ?? {}) as Record<string, string>;
      const dry = ctx.dryRun || params.dryRun;
      await this.admission.validate({ operation: 'CREATE', resource: ri, subresource: 'binding', namespace: namespace ?? '', name, object: b, user: ctx.user, dryRun: !!dry });
      await this.store(ri).rawUpdate({ ...ctx, dryRun: dry }, namespace, name, (pod) => {
        const pm = pod.metadata ?? {};
        const spec = (pod.spec ??= {}) as { nodeName?: string };
        if (pm.deletionTimestamp) throw newConflict({ group: '', resource: 'pods/binding' }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
        if (bm.uid && bm.uid !== pm.uid) throw newConflict({ group: '', resource: 'pods/binding' }, name, `Precondition failed: UID in precondition: ${bm.uid}, UID in object meta: ${pm.uid}`);
        if (spec.nodeName) throw newConflict({ group: '', resource: 'pods/binding' }, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
        spec.nodeName = nodeName;
        if (Object.keys(annotations).length) pm.annotations = { ...(pm.annotations ?? {}), ...annotations };
        const status = (pod.status ??= {}) as { conditions?: Array<Record<string, unknown>> };
        const conds = (status.conditions ??= []);
        const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
        const existing = conds.find((c) => c.type === 'PodScheduled');
        if (existing) {
          if (existing.status !== 'True') {
            existing.status = 'True';
            existing.lastTransitionTime = now;
            delete existing.reason;
            delete existing.message;
          }
        } else conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
        return pod;
      });
      return { body: successStatus(201) as unknown as KubeObject, code: 201 };
    }
    if (isPods && sub === 'eviction') {
      const em = b.metadata ?? {};
      if (em.name !== undefined && em.name !== name) throw newBadRequest(`name in URL does not match name in Eviction object`);
      const opts = ((b as { deleteOptions?: DeleteOptions }).deleteOptions ?? {}) as DeleteOptions;
      if (typeof opts !== 'object' || opts === null) throw newBadRequest('deleteOptions must be an object');
      await this.delete(ctx, ri, namespace, name, { ...opts, dryRun: params.dryRun ? ['All'] : opts.dryRun });
      return { body: successStatus(201) as unknown as KubeObject, code: 201 };
    }
    throw newMethodNotAllowedSub(ri, sub, 'create');
  }
}

function methodNotAllowed(ri: ResourceInfo, verb: string): StatusError {
  const gr = ri.group ? `${ri.resource}.${ri.group}` : ri.resource;
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${verb} is not supported on resources of kind "${gr}"`, reason: 'MethodNotAllowed', code: 405, details: { group: ri.group || undefined, kind: ri.resource } });
}

/** 405 for a subresource verb upstream registers no route for: go-restful's 405 via NewGenericServerResponse. */
function newMethodNotAllowedSub(_ri: ResourceInfo, _sub: string, _verb: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed', code: 405, details: { causes: [{ reason: 'UnexpectedServerResponse', message: '405: Method Not Allowed' }] } });
}

/** Removes SMP directive keys (`$patch`, `$setElementOrder/…`, `$retainKeys`, `$deleteFromPrimitiveList/…`) for field checks. */
export function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
    return out;
  }
  return v;
}

/**
 * YAML as upstream's sigs.k8s.io/yaml reads it (its go-yaml v2 fork: YAML 1.1 scalars, so `y`, `yes`, `on`, `n`, `off`
 * are booleans and `0777` is octal; merge keys), except what go-yaml v2 leaves as strings when decoding into
 * interface{}: timestamps and sexagesimal numbers. !!binary/!!set/!!omap/!!pairs are not resolved either.
 */
const YAML_1_1: YAML.ParseOptions & YAML.DocumentOptions & YAML.SchemaOptions = {
  uniqueKeys: false,
  version: '1.1',
  customTags: (tags) =>
    tags.filter((t) => {
      if (typeof t !== 'object' || t === null) return true;
      const tag = (t as { tag?: string; format?: string }).tag ?? '';
      if ((t as { format?: string }).format === 'TIME') return false;
      return !/:(timestamp|binary|set|omap|pairs)$/.test(tag);
    }),
};

/** Parses a request body by content type: JSON, or YAML for yaml/apply-patch+yaml. Throws 400 on syntax errors. */
export function parseBody(text: string, contentType: string): unknown {
  const yamlish = contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml' || contentType === 'application/x-yaml' || contentType === 'text/yaml';
  if (text.trim() === '') throw newBadRequest('the body of the request is empty');
  if (yamlish) {
    try {
      const v: unknown = JSON.parse(text);
      rememberRawJSON(v, text);
      return v;
    } catch {
      /* not JSON: YAML */
    }
    let doc: YAML.Document.Parsed;
    try {
      doc = YAML.parseDocument(text, YAML_1_1);
    } catch (err) {
      throw newBadRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
    }
    if (doc.errors.length) throw newBadRequest(`error converting YAML to JSON: ${doc.errors[0].message.split('\n')[0]}`);
    try {
      return doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw newBadRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  try {
    const v: unknown = JSON.parse(text);
    rememberRawJSON(v, text);
    return v;
  } catch (err) {
    throw newBadRequest(`couldn't get version/kind; json parse error: ${goJSONSyntaxError(text) ?? (err as Error).message}`);
  }
}

export { jsonEqual };
