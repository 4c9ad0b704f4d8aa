/**
 * The one client interface used by controllers, the scheduler and the agent.
 *
 * In `skiff server` it is backed by an in-process transport into the apiserver's handler
 * pipeline (same decoding, validation, admission, no HTTP); a remote agent uses HTTP.
 * Mirrors client-go's dynamic client. Every failure is thrown as a `StatusError`
 * (src/machinery/errors.ts) carrying the server's Status (404, 409, 422, …).
 */
import type { ObjectMeta as K8sObjectMeta, ListMeta as K8sListMeta } from 'kubernetes-types/meta/v1.js';

/** Removes `readonly` (kubernetes-types marks server-set fields readonly; Skiff is the server). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** `metav1.ObjectMeta`, with the server-set fields writable. */
export type ObjectMeta = Mutable<K8sObjectMeta>;
/** `metav1.ListMeta`, with the server-set fields writable. */
export type ListMeta = Mutable<K8sListMeta>;

/** Group/version/resource, e.g. `{group:'apps', version:'v1', resource:'deployments'}`; core group is ''. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A list as returned by LIST: `{kind:'PodList', apiVersion, metadata:{resourceVersion, continue}, items}`. */
export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** Query options for LIST (and WATCH). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** '' = most recent (consistent read), '0' = any cached state. */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

/** Options for WATCH. */
export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  /** Server ends the watch after this many seconds. */
  timeoutSeconds?: number;
}

/** One watch event, as on the wire. `object` is a Status for ERROR. */
export interface WatchEventObject<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** `metav1.DeleteOptions` (subset). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

/** Options for create/update/patch writes. */
export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  force?: boolean;
}

/** Patch content types accepted by the apiserver. */
export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

/**
 * The client. `namespace` is undefined for cluster-scoped resources and for all-namespace lists/watches.
 * All methods throw StatusError on failure.
 */
export interface Client {
  get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, options?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string | undefined, obj: T, options?: WriteOptions): Promise<T>;
  /** PUT; `subresource` 'status' writes /status (or 'scale' etc.). The object's resourceVersion is the precondition. */
  update<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    obj: T,
    options?: WriteOptions & { subresource?: string },
  ): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options?: WriteOptions & { subresource?: string },
  ): Promise<T>;
  /** DELETE; returns the object (when deletion is pending, e.g. finalizers/grace) or a Status. */
  delete(gvr: GroupVersionResource, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<KubeObject>;
  /** POST to a subresource, e.g. pods/binding or pods/eviction. */
  createSubresource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: KubeObject,
  ): Promise<T>;
  /**
   * Starts a WATCH. `onEvent` gets each event in order. The returned promise resolves when
   * the stream ends (server timeout, `signal` aborted) and rejects on transport failure.
   * A 410 arrives as an ERROR event whose object is a Status with code 410.
   */
  watch<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEventObject<T>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Well-known GVRs used by Skiff's components. */
export const GVR = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  pods: { group: '', version: 'v1', resource: 'pods' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  events: { group: '', version: 'v1', resource: 'events' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
} as const satisfies Record<string, GroupVersionResource>;
