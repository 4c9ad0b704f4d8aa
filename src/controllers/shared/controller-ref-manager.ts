/**
 * ControllerRef managers, after pkg/controller/controller_ref_manager.go (BaseControllerRefManager
 * ClaimObject, PodControllerRefManager.ClaimPods, ReplicaSetControllerRefManager.ClaimReplicaSets).
 *
 * For every candidate object in the controller's namespace:
 * - owned by another controller (controller ownerReference with another uid) → ignored;
 * - owned by us and still matching the selector → kept;
 * - owned by us but no longer matching → released (our ownerReference removed), unless we are
 *   being deleted;
 * - orphan (no controller ownerReference) that matches → adopted (controller ownerReference added,
 *   `controller: true, blockOwnerDeletion: true`), unless we or it are being deleted. Before the first
 *   adoption `canAdopt()` re-reads the controller from the API to make sure it is not being deleted
 *   (RecheckDeletionTimestamp) — a stale cache must not adopt for a dying owner.
 * Writes are JSON merge patches of `metadata.ownerReferences` (the full new list) carrying
 * `metadata.uid` as upstream's patches do; a 404 on adopt/release is ignored.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Client, GroupVersionResource, KubeObject } from '../../client/interface.ts';
import { isNotFound } from '../../machinery/errors.ts';
import type { Selector } from '../../client/selectors.ts';
import { getControllerOf } from '../../client/object-util.ts';

/** apiVersion + kind of the controller (e.g. `{apiVersion:'apps/v1', kind:'ReplicaSet'}`). */
export interface ControllerKind {
  apiVersion: string;
  kind: string;
}

/** Builds the controller ownerReference for `owner` (metav1.NewControllerRef). */
export function newControllerRef(owner: KubeObject, gvk: ControllerKind): OwnerReference {
  return {
    apiVersion: gvk.apiVersion,
    kind: gvk.kind,
    name: owner.metadata!.name!,
    uid: owner.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Returns a `canAdopt` function that re-reads the controller once (memoised) and throws if it is
 * gone (uid changed) or being deleted (controller.RecheckDeletionTimestamp).
 */
export function recheckDeletionTimestamp(fetch: () => Promise<KubeObject>, expectedUid: string): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= (async () => {
      const fresh = await fetch();
      if (fresh.metadata?.uid !== expectedUid)
        throw new Error(`original ${fresh.kind ?? 'object'} ${fresh.metadata?.namespace}/${fresh.metadata?.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${expectedUid}`);
      if (fresh.metadata?.deletionTimestamp)
        throw new Error(`${fresh.kind ?? 'object'} ${fresh.metadata?.namespace}/${fresh.metadata?.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    })();
    return result;
  };
}

/** The decision ClaimObject makes for one object. */
export type ClaimDecision = 'adopt' | 'keep' | 'release' | 'ignore';

/**
 * Pure decision of ClaimObject for `obj` (no API calls): see module comment.
 */
export function claimDecision(controller: KubeObject, selector: Selector, obj: KubeObject): ClaimDecision {
  const ref = getControllerOf(obj);
  const matches = selector.matches(obj.metadata?.labels);
  if (ref) {
    if (ref.uid !== controller.metadata?.uid) return 'ignore';
    if (matches) return 'keep';
    if (controller.metadata?.deletionTimestamp) return 'ignore';
    return 'release';
  }
  if (controller.metadata?.deletionTimestamp || !matches) return 'ignore';
  if (obj.metadata?.deletionTimestamp) return 'ignore';
  if (controller.metadata?.namespace && obj.metadata?.namespace !== controller.metadata.namespace) return 'ignore';
  return 'adopt';
}

/** Generic ControllerRef manager for one controller over one child resource. */
export class BaseControllerRefManager<T extends KubeObject = KubeObject> {
  constructor(
    protected readonly client: Client,
    protected readonly childGvr: GroupVersionResource,
    readonly controller: KubeObject,
    readonly selector: Selector,
    readonly controllerKind: ControllerKind,
    protected readonly canAdopt: () => Promise<void>,
  ) {}

  /**
   * Claims `objs`: returns the ones we own after adoption/release. Errors from individual
   * adopt/release calls (other than 404) are collected and the first one is thrown after the loop,
   * so the caller retries (ClaimObject's aggregate error).
   */
  async claim(objs: T[], filters: ((o: T) => boolean)[] = []): Promise<T[]> {
    const claimed: T[] = [];
    const errors: unknown[] = [];
    for (const o of objs) {
      const d = claimDecision(this.controller, this.selector, o);
      try {
        if (d === 'keep') claimed.push(o);
        else if (d === 'release') await this.release(o);
        else if (d === 'adopt') {
          if (!filters.every((f) => f(o))) continue;
          const adopted = await this.adopt(o);
          if (adopted) claimed.push(adopted);
        }
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
    return claimed;
  }

  /** Adds our controller ref to `o`; returns the patched object or undefined if it vanished. */
  async adopt(o: T): Promise<T | undefined> {
    await this.canAdopt();
    const refs = [...(o.metadata?.ownerReferences ?? []).filter((r: OwnerReference) => r.uid !== this.controller.metadata?.uid)];
    refs.push(newControllerRef(this.controller, this.controllerKind));
    try {
      return await this.client.patch<T>(this.childGvr, o.metadata?.namespace, o.metadata!.name!, 'application/merge-patch+json', {
        metadata: { ownerReferences: refs, uid: o.metadata?.uid },
      });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Removes our ownerReference from `o` (404 ignored). */
  async release(o: T): Promise<void> {
    const refs = (o.metadata?.ownerReferences ?? []).filter((r: OwnerReference) => r.uid !== this.controller.metadata?.uid);
    try {
      await this.client.patch(this.childGvr, o.metadata?.namespace, o.metadata!.name!, 'application/merge-patch+json', {
        metadata: { ownerReferences: refs, uid: o.metadata?.uid },
      });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

/** PodControllerRefManager: claims pods for a ReplicaSet-like controller. */
export class PodControllerRefManager extends BaseControllerRefManager {
  /** ClaimPods: returns the pods this controller owns after adopting/releasing. */
  claimPods<P extends KubeObject>(pods: P[], ...filters: ((p: P) => boolean)[]): Promise<P[]> {
    return this.claim(pods, filters as ((o: KubeObject) => boolean)[]) as Promise<P[]>;
  }
}

/** ReplicaSetControllerRefManager: claims ReplicaSets for a Deployment. */
export class ReplicaSetControllerRefManager extends BaseControllerRefManager {
  /** ClaimReplicaSets: returns the ReplicaSets this Deployment owns after adopting/releasing. */
  claimReplicaSets<R extends KubeObject>(rss: R[]): Promise<R[]> {
    return this.claim(rss) as Promise<R[]>;
  }
}
