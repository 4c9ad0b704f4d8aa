/**
 * ControllerRevision history shared by the DaemonSet and StatefulSet controllers, after upstream
 * pkg/controller/history/controller_history.go: revision names and hashes, NewControllerRevision,
 * sorting/equality, the next revision number, and a `History` that lists, creates (with hash
 * collision handling), updates, adopts, releases and deletes ControllerRevisions through a Client.
 *
 * Hash departure (as the Deployment pod-template-hash): FNV-32a over the canonical JSON of
 * `data` (keys sorted, empties dropped) plus the little-endian uint32 collision count, rendered
 * as SafeEncodeString of the decimal value. Stable, not byte-identical to upstream's.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Client, GroupVersionResource, KubeObject, ObjectMeta } from '../../client/interface.ts';
import type { Selector } from '../../client/selectors.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { normalizeForCompare, safeEncodeString } from '../deployment/util/deployment-util.ts';
import { BaseControllerRefManager, newControllerRef, type ControllerKind } from '../shared/controller-ref-manager.ts';
import { semanticDeepEqual } from '../../api/common/meta.ts';

/** `apps/v1 controllerrevisions`. */
export const controllerRevisionsGVR: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };

/** `controller-revision-hash`: the label carrying a revision's hash on the revision and on pods. */
export const ControllerRevisionHashLabel = 'controller-revision-hash';

/** An `apps/v1 ControllerRevision`: `data` is the serialized state (a patch), `revision` its number (≥ 1). */
export interface ControllerRevision extends KubeObject {
  metadata: ObjectMeta;
  data?: unknown;
  revision: number;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * `ControllerRevisionName`: `<prefix>-<hash>`, the prefix cut to 223 characters so the name stays
 * a valid 253-character DNS subdomain.
 */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/**
 * `HashControllerRevision`: hash of `revision.data` and, when given, the collision count `probe`.
 * @returns a short DNS-safe string (SafeEncodeString of the 32-bit FNV-1a value)
 */
export function hashControllerRevision(revision: { data?: unknown }, probe?: number): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(normalizeForCompare(revision.data ?? {})) ?? ''));
  if (probe !== undefined && probe !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, probe >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/**
 * `NewControllerRevision`: a revision of `parent` holding `data` with number `revision`, labels
 * `templateLabels` plus the hash label, a controller ownerReference to `parent`, in its namespace,
 * named `<parent name>-<hash>`.
 */
export function newControllerRevision(
  parent: KubeObject,
  parentKind: ControllerKind,
  templateLabels: Record<string, string> | undefined,
  data: unknown,
  revision: number,
  collisionCount?: number,
): ControllerRevision {
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      labels: { ...(templateLabels ?? {}) },
      ownerReferences: [newControllerRef(parent, parentKind)],
      namespace: parent.metadata?.namespace,
    },
    data,
    revision,
  };
  const hash = hashControllerRevision(cr, collisionCount);
  cr.metadata.name = controllerRevisionName(parent.metadata!.name!, hash);
  cr.metadata.labels![ControllerRevisionHashLabel] = hash;
  return cr;
}

/** `SortControllerRevisions` (in place, also returned): by revision, then creationTimestamp, then name. */
export function sortControllerRevisions<T extends ControllerRevision>(revisions: T[]): T[] {
  return revisions.sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = String(a.metadata.creationTimestamp ?? '');
    const tb = String(b.metadata.creationTimestamp ?? '');
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
  });
}

/**
 * `EqualRevision`: both present, and either their hash labels differ (→ false) or their `data`
 * is semantically equal.
 */
export function equalRevision(lhs: ControllerRevision | undefined, rhs: ControllerRevision | undefined): boolean {
  if (!lhs || !rhs) return lhs === rhs;
  const lh = lhs.metadata.labels?.[ControllerRevisionHashLabel];
  const rh = rhs.metadata.labels?.[ControllerRevisionHashLabel];
  if (lh !== undefined && rh !== undefined && lh !== rh) return false;
  return semanticDeepEqual(normalizeForCompare(lhs.data), normalizeForCompare(rhs.data));
}

/** `FindEqualRevisions`: the members of `revisions` equal to `needle` ({@link equalRevision}). */
export function findEqualRevisions<T extends ControllerRevision>(revisions: T[], needle: ControllerRevision): T[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** `NextRevision`: the highest revision number + 1 (1 for an empty history). */
export function nextRevision(revisions: ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) if (r.revision > max) max = r.revision;
  return max + 1;
}

/**
 * Real history (upstream `realHistory`) over a Client. Listing reads the API (callers with an
 * informer may list from it instead and use the other methods for writes).
 */
export class History {
  constructor(private readonly client: Client) {}

  /** `ListControllerRevisions`: revisions in `parent`'s namespace matching `selector`, owned by `parent` or orphaned. */
  async listControllerRevisions(parent: KubeObject, selector: Selector): Promise<ControllerRevision[]> {
    const list = await this.client.list<ControllerRevision>(controllerRevisionsGVR, parent.metadata?.namespace);
    return list.items.filter((r) => {
      if (!selector.matches(r.metadata.labels)) return false;
      const ref = (r.metadata.ownerReferences ?? []).find((o) => o.controller === true);
      return !ref || ref.uid === parent.metadata?.uid;
    });
  }

  /**
   * `CreateControllerRevision`: creates `revision` under a name derived from its hash and
   * `collisionCount.value`. An existing revision with equal data is returned as is; a name clash
   * with different data bumps `collisionCount.value` (the caller persists it in its status) and
   * retries.
   * @throws StatusError on other API failures
   */
  async createControllerRevision(parent: KubeObject, revision: ControllerRevision, collisionCount: { value: number }): Promise<ControllerRevision> {
    for (;;) {
      const clone = structuredClone(revision);
      const hash = hashControllerRevision(clone, collisionCount.value);
      clone.metadata.name = controllerRevisionName(parent.metadata!.name!, hash);
      clone.metadata.namespace = parent.metadata?.namespace;
      clone.metadata.labels = { ...(clone.metadata.labels ?? {}), [ControllerRevisionHashLabel]: hash };
      try {
        return await this.client.create<ControllerRevision>(controllerRevisionsGVR, clone.metadata.namespace, clone);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = await this.client.get<ControllerRevision>(controllerRevisionsGVR, clone.metadata.namespace, clone.metadata.name);
        if (semanticDeepEqual(normalizeForCompare(existing.data), normalizeForCompare(clone.data))) return existing;
        collisionCount.value++;
      }
    }
  }

  /** `UpdateControllerRevision`: sets `revision.revision = newRevision` (no-op when equal). @throws StatusError (409 → caller retries) */
  async updateControllerRevision(revision: ControllerRevision, newRevision: number): Promise<ControllerRevision> {
    if (revision.revision === newRevision) return revision;
    const clone = structuredClone(revision);
    clone.revision = newRevision;
    return this.client.update<ControllerRevision>(controllerRevisionsGVR, clone.metadata.namespace, clone);
  }

  /** `DeleteControllerRevision` (404 ignored). */
  async deleteControllerRevision(revision: ControllerRevision): Promise<void> {
    try {
      await this.client.delete(controllerRevisionsGVR, revision.metadata.namespace, revision.metadata.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /**
   * Claims `revisions` for `parent` (upstream ControllerRevisionControllerRefManager.ClaimControllerRevisions):
   * adopts matching orphans, releases owned non-matching ones, ignores others' revisions.
   * `canAdopt` should re-check the parent is not being deleted ({@link recheckDeletionTimestamp}).
   */
  async claimControllerRevisions(
    parent: KubeObject,
    parentKind: ControllerKind,
    selector: Selector,
    revisions: ControllerRevision[],
    canAdopt: () => Promise<void>,
  ): Promise<ControllerRevision[]> {
    const m = new BaseControllerRefManager<ControllerRevision>(this.client, controllerRevisionsGVR, parent, selector, parentKind, canAdopt);
    return m.claim(revisions);
  }
}

/**
 * Revisions to delete to keep at most `revisionHistoryLimit` non-live revisions (upstream
 * DaemonSet `cleanupHistory` / StatefulSet `truncateHistory`): revisions whose hash is in
 * `liveHashes` (used by current pods) and the names in `keep` (current/update revision) are never
 * deleted; of the rest, the oldest (lowest revision) beyond the limit are returned.
 */
export function revisionsToTruncate(
  revisions: ControllerRevision[],
  revisionHistoryLimit: number,
  liveHashes: Set<string>,
  keep: Set<string> = new Set(),
): ControllerRevision[] {
  const dead = sortControllerRevisions(
    revisions.filter((r) => !keep.has(r.metadata.name ?? '') && !liveHashes.has(r.metadata.labels?.[ControllerRevisionHashLabel] ?? '')),
  );
  const n = dead.length - Math.max(0, revisionHistoryLimit);
  return n > 0 ? dead.slice(0, n) : [];
}

/** The controller ownerReference of a revision, if any. */
export function revisionControllerRef(r: ControllerRevision): OwnerReference | undefined {
  return (r.metadata.ownerReferences ?? []).find((o) => o.controller === true);
}
