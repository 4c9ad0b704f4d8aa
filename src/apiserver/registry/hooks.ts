/**
 * Per-resource hooks of the generic store, after the BeginCreate / BeginUpdate / AfterDelete
 * function fields of upstream's k8s.io/apiserver/pkg/registry/generic/registry/store.go (used by
 * pkg/registry/core/service/storage to allocate ClusterIPs and NodePorts in step with the write).
 */
import type { KubeObject } from '../../client/interface.ts';

/** What a hook needs to know about the request. */
export interface HookContext {
  /** dryRun=All: nothing may be persisted (allocations are checked, not made). */
  dryRun?: boolean;
}

/**
 * The result of a begin hook: `commit` runs after the object was written (or the write was a
 * no-op), `revert` when anything after the hook failed (validating admission, the store write).
 * Both must not throw (errors are the hook's to log).
 */
export interface StoreTransaction {
  commit(): Promise<void>;
  revert(): Promise<void>;
}

/** Hooks one resource's {@link import('./generic-store.ts').GenericStore} runs around its writes. */
export interface StoreHooks {
  /**
   * Runs on CREATE after strategy validation, before validating admission and the write. May
   * mutate `obj` (e.g. fill `spec.clusterIP`). Throws a StatusError (422/500) to reject the create.
   */
  beginCreate?(ctx: HookContext, obj: KubeObject): Promise<StoreTransaction | undefined>;
  /** Runs on UPDATE (not /status) after validateUpdate, before the write; may mutate `obj`. */
  beginUpdate?(ctx: HookContext, obj: KubeObject, old: KubeObject): Promise<StoreTransaction | undefined>;
  /** Runs after the object was removed from the store (not for dry runs). Must not throw. */
  afterDelete?(ctx: HookContext, obj: KubeObject): Promise<void>;
}

/** Runs `fn` between a begin hook's transaction and its commit/revert. */
export async function withTransaction<T>(txn: StoreTransaction | undefined, fn: () => Promise<T>): Promise<T> {
  if (!txn) return fn();
  let out: T;
  try {
    out = await fn();
  } catch (err) {
    await txn.revert();
    throw err;
  }
  await txn.commit();
  return out;
}
