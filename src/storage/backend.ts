/**
 * The storage Backend: a revisioned key-value log, as kine's `server.Backend` and etcd3's MVCC.
 *
 * Contract (one conformance suite checks it against every implementation):
 * - Every write gets a cluster-wide strictly increasing revision (a positive integer).
 * - Keys follow upstream's scheme: `/registry/<resource>/<namespace>/<name>` (cluster-scoped:
 *   `/registry/<resource>/<name>`; resources in a non-core group are still keyed by plural only,
 *   e.g. `/registry/deployments/default/web`).
 * - Values are opaque strings (JSON text of the object); the backend never parses them.
 * - Errors are {@link StorageError}s with a code; the apiserver maps them to Status errors.
 */

/** One stored key at one revision. */
export interface KeyValue {
  key: string;
  /** JSON text of the object. */
  value: string;
  /** Revision that created this key (its current incarnation). */
  createRevision: number;
  /** Revision of the last write to this key; this is `metadata.resourceVersion`. */
  modRevision: number;
}

/** A change delivered to a watcher. */
export interface WatchEvent {
  type: 'create' | 'update' | 'delete';
  /** Revision of this change. For delete, the revision of the delete itself. */
  revision: number;
  /** For create/update: the new value. For delete: the last value before deletion (modRevision = the delete's revision). */
  kv: KeyValue;
  /** For update/delete: the value before the change (when known). */
  prevKv?: KeyValue;
}

/** Options for {@link Backend.list}. */
export interface ListOptions {
  /** Maximum items to return; 0 or undefined means all. */
  limit?: number;
  /** Return keys strictly greater than this key (continue-token support). */
  startAfterKey?: string;
  /**
   * Snapshot revision to read at. 0/undefined = current. A revision below the compacted
   * revision throws StorageError('Compacted'); above current throws StorageError('FutureRevision').
   */
  revision?: number;
}

/** Result of {@link Backend.list}. */
export interface ListResult {
  items: KeyValue[];
  /** Revision the snapshot was read at (the store's current revision when options.revision was 0). */
  revision: number;
  /** True when more keys follow the last returned one under the prefix. */
  more: boolean;
  /** How many keys follow, when cheaply known. */
  remaining?: number;
}

/** Handle to stop a watch. */
export interface Watcher {
  /** Stops delivery; idempotent. */
  cancel(): void;
}

/** Storage error codes, after kine's sentinels (ErrKeyExists, ErrCompacted, ErrFutureRev). */
export type StorageErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'FutureRevision' | 'Closed' | 'Internal';

/** An error from a storage backend. `current` is set for Conflict (the live value), when known. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** The storage backend interface. All methods are async; an acknowledged write is durable. */
export interface Backend {
  /** Creates `key`. Throws StorageError('KeyExists') if it is live. Returns the new KeyValue. */
  create(key: string, value: string): Promise<KeyValue>;
  /**
   * Replaces `key` if its modRevision equals `expectedRevision`.
   * Throws StorageError('NotFound') if absent, StorageError('Conflict', …, current) on mismatch.
   */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /**
   * Deletes `key` (only if modRevision matches, when `expectedRevision` is given).
   * Returns the deleted value, with `modRevision` set to the delete's revision.
   * Throws NotFound / Conflict as update does.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /** Reads one key at the current revision; undefined when absent. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Lists keys with the prefix, sorted by key, as one consistent snapshot. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Counts live keys with the prefix. */
  count(prefix: string): Promise<number>;
  /** The store's current revision (the last write's revision; 0 for an empty store). */
  currentRevision(): Promise<number>;
  /**
   * Delivers every change under `prefix` with revision > `afterRevision`, in revision order,
   * nothing missed and nothing duplicated: subscribe first, replay history, drop duplicates.
   * Events may be delivered in batches. `onError` receives a fatal error after which the watch is dead.
   * Rejects with StorageError('Compacted') when afterRevision < compactRevision.
   */
  watch(
    prefix: string,
    afterRevision: number,
    onEvents: (events: WatchEvent[]) => void,
    onError?: (err: Error) => void,
  ): Promise<Watcher>;
  /** Removes history older than `revision` (keeping the latest version of every live key). */
  compact(revision: number): Promise<void>;
  /** The oldest revision still watchable/listable (0 if never compacted). */
  compactRevision(): Promise<number>;
  /** Closes the store; pending watches get onError(StorageError('Closed')). */
  close(): Promise<void>;
}
