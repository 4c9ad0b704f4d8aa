/**
 * Shapes of the resource table: the single source of truth for every served resource's
 * group, version, kind, scope, verbs, short names, categories, subresources, strategy and
 * Table columns. Discovery, OpenAPI, routing and `kubectl get` columns derive from it.
 *
 * The table itself is `src/api/resource-table.ts` (`RESOURCES`); per-kind strategies,
 * defaulting, validation and printers live in `src/api/<group>/<kind>/`.
 */
import type { FieldError } from '../machinery/errors.ts';
import type { KubeObject } from '../client/interface.ts';

/** A subresource as discovery shows it. */
export interface SubresourceInfo {
  /** 'status' | 'scale' | 'binding' | 'log' | 'exec' | 'eviction' | 'portforward' | 'attach' */
  name: string;
  /** Response kind, e.g. Scale in autoscaling/v1 for deployments/scale. */
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

/** `metav1.TableColumnDefinition`. */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = always shown; 1 = only with -o wide. */
  priority: number;
}

/** Converts objects to Table rows, as upstream's pkg/printers/internalversion printers. */
export interface TableConvertor {
  columns: TableColumnDefinition[];
  /** One row's cells (same order as columns). `now` is Unix ms, for ages. */
  cells(obj: KubeObject, now: number): unknown[];
}

/**
 * Per-kind policy, after upstream's `pkg/registry/<group>/<resource>/strategy.go`. The generic
 * store runs, on create: defaults → prepareForCreate → validate → common ObjectMeta validation →
 * canonicalize; on update: defaults → prepareForUpdate → validateUpdate → canonicalize.
 * Validation returns every error with its field path; an empty list means valid.
 */
export interface Strategy {
  /** Scheme defaulting (SetDefaults_*), mutating `obj` in place. Applied to every decoded write. */
  defaults(obj: KubeObject): void;
  /** Clears status, sets generation 1, … (mutates). */
  prepareForCreate(obj: KubeObject): void;
  /** Keeps the old status, bumps generation when spec changed, … (mutates `obj`). */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validate(obj: KubeObject): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Optional normalisation after validation. */
  canonicalize?(obj: KubeObject): void;
  /** Fields for field selectors (always includes metadata.name and metadata.namespace). */
  getAttrs(obj: KubeObject): Record<string, string>;
  /** True when a PUT to a missing object creates it (upstream: AllowCreateOnUpdate). */
  allowCreateOnUpdate: boolean;
  /** True when PUT may omit resourceVersion (unconditional update). */
  allowUnconditionalUpdate: boolean;
}

/** Policy for `/status` writes: copies spec (and metadata except labels/annotations/finalizers… as upstream) from the old object. */
export interface StatusStrategy {
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
}

/**
 * Converts between a served version's shape and the shape kept in storage, for a version served
 * from another version's storage (upstream stores every version of a resource in one storage
 * version; here: events.k8s.io/v1 Event over the core/v1 events under `/registry/events/`). The
 * storage key prefix is still `/registry/<resource>/`, so both versions share objects and watch cache.
 */
export interface StorageCodec {
  /** The object as stored (e.g. core/v1). Must not mutate `obj`; `metadata` may be shared. */
  toStorage(obj: KubeObject): KubeObject;
  /** The stored object in this version's shape. Must not mutate `stored`; `metadata` may be shared. */
  fromStorage(stored: KubeObject): KubeObject;
}

/** One served resource. */
export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, lower case: 'deployments'. */
  resource: string;
  /** Singular, lower case: 'deployment'. */
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  /** e.g. ['create','delete','deletecollection','get','list','patch','update','watch']. */
  verbs: string[];
  shortNames: string[];
  categories: string[];
  subresources: SubresourceInfo[];
  strategy: Strategy;
  statusStrategy?: StatusStrategy;
  table: TableConvertor;
  /** Field selector keys supported besides metadata.name / metadata.namespace. */
  selectableFields: string[];
  /** Set when stored in another version's shape (see {@link StorageCodec}); absent = stored as served. */
  storageCodec?: StorageCodec;
}
