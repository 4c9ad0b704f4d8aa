/**
 * The in-process Client: calls the APIServer's request pipeline directly (same defaulting,
 * validation, admission and storage as HTTP; no sockets, no JSON re-encoding of results). Used by
 * the controllers, scheduler and embedded agent inside `skiff server`. Inputs are deep-copied
 * (structuredClone) so callers may keep mutating their objects; results are fresh objects.
 * Every failure is a StatusError, as with the REST client.
 */
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
import type { APIServer } from '../apiserver/server.ts';
import type { Pipeline, WriteParams } from '../apiserver/pipeline.ts';
import type { ResourceInfo } from '../api/resource-types.ts';
import { StatusError } from '../machinery/errors.ts';

function resolve(p: Pipeline, gvr: GroupVersionResource): ResourceInfo {
  const ri = p.find(gvr.group, gvr.version, gvr.resource);
  if (!ri) {
    throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404, details: {} });
  }
  return ri;
}

function params(o: (WriteOptions & { subresource?: string }) | undefined): WriteParams {
  return { dryRun: o?.dryRun, fieldManager: o?.fieldManager, fieldValidation: o?.fieldValidation ?? 'Ignore', force: o?.force, subresource: o?.subresource ?? '' };
}

/**
 * The User-Agent of in-process writes without `fieldManager`: their managedFields manager is the
 * part before '/', `kube-controller-manager` (the controllers are the main in-process writers;
 * upstream's controller-manager sends `kube-controller-manager/<version> …`).
 */
export const IN_PROCESS_USER_AGENT = 'kube-controller-manager/v1.32.0 (skiff)';

/**
 * Returns a Client bound to `server`'s pipeline. `user` is the authenticated user name seen by
 * admission (default 'system:apiserver'); `userAgent` names the field manager of writes that set
 * no `fieldManager` (default {@link IN_PROCESS_USER_AGENT}; e.g. `kubelet/v1.32.0`, `kube-scheduler/v1.32.0`).
 */
export function newInProcessClient(server: APIServer, opts: { user?: string; userAgent?: string } = {}): Client {
  const p = server.pipeline;
  const ctx = { user: opts.user ?? 'system:apiserver', userAgent: opts.userAgent ?? IN_PROCESS_USER_AGENT };
  return {
    async get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string): Promise<T> {
      return (await p.get(resolve(p, gvr), namespace, name)) as T;
    },
    async list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, options: ListOptions = {}): Promise<KubeList<T>> {
      return (await p.list(resolve(p, gvr), namespace, options)) as KubeList<T>;
    },
    async create<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T> {
      return (await p.create(ctx, resolve(p, gvr), namespace, structuredClone(obj), params(options))).object as T;
    },
    async update<T extends KubeObject = KubeObject>(
      gvr: GroupVersionResource,
      namespace: string | undefined,
      obj: T,
      options?: WriteOptions & { subresource?: string },
    ): Promise<T> {
      const name = obj.metadata?.name ?? '';
      return (await p.update(ctx, resolve(p, gvr), namespace, name, structuredClone(obj), params(options))).object as T;
    },
    async patch<T extends KubeObject = KubeObject>(
      gvr: GroupVersionResource,
      namespace: string | undefined,
      name: string,
      patchType: PatchType,
      patch: unknown,
      options?: WriteOptions & { subresource?: string },
    ): Promise<T> {
      const pp = params(options);
      if (patchType === 'application/apply-patch+yaml' && !pp.fieldManager) pp.fieldManager = 'skiff';
      return (await p.patch(ctx, resolve(p, gvr), namespace, name, patchType, structuredClone(patch), pp)).object as T;
    },
    async delete(gvr: GroupVersionResource, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<KubeObject> {
      return (await p.delete(ctx, resolve(p, gvr), namespace, name, options ? structuredClone(options) : {})).body;
    },
    async createSubresource<T extends KubeObject = KubeObject>(
      gvr: GroupVersionResource,
      namespace: string | undefined,
      name: string,
      subresource: string,
      body: KubeObject,
    ): Promise<T> {
      return (await p.createSubresource(ctx, resolve(p, gvr), namespace, name, subresource, structuredClone(body))).body as T;
    },
    async watch<T extends KubeObject = KubeObject>(
      gvr: GroupVersionResource,
      namespace: string | undefined,
      options: WatchOptions,
      onEvent: (event: WatchEventObject<T>) => void,
      signal: AbortSignal,
    ): Promise<void> {
      const ri = resolve(p, gvr);
      p.store(ri).predicate(options);
      return p.watch(ri, namespace, options, onEvent as (e: WatchEventObject) => void, signal);
    },
  };
}
