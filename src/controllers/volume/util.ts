/**
 * Shared pieces of the volume controllers, after upstream
 * pkg/controller/volume/persistentvolume/util (annotation names, IsVolumeBoundToClaim,
 * FindMatchingVolume, CheckNodeAffinity, IsDelayBindingMode) and pv_index.go (access-mode groups).
 */
import type { KubeObject, GroupVersionResource } from '../../client/interface.ts';
import type { Node, NodeSelectorTerm } from 'kubernetes-types/core/v1.js';
import { labelSelectorAsSelector } from '../../machinery/labels.ts';
import { tryParseQuantity } from '../../machinery/quantity.ts';
import { getPersistentVolumeClaimClass, getPersistentVolumeClass } from '../../api/core/v1/persistentvolume/helpers.ts';
import { matchesTerm } from '../../scheduler/plugins/node-affinity/node-affinity.ts';

/** `persistentvolumes` (core/v1, cluster-scoped). */
export const PersistentVolumesGVR: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumes' };
/** `persistentvolumeclaims` (core/v1, namespaced). */
export const PersistentVolumeClaimsGVR: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
/** `storageclasses` (storage.k8s.io/v1, cluster-scoped). */
export const StorageClassesGVR: GroupVersionResource = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };

/** Set on a claim once the controller finished binding it (`"yes"`). */
export const AnnBindCompleted = 'pv.kubernetes.io/bind-completed';
/** Set on a PV / claim whose binding the controller (not the user) made (`"yes"`). */
export const AnnBoundByController = 'pv.kubernetes.io/bound-by-controller';
/** Name of the provisioner that created a PV. */
export const AnnDynamicallyProvisioned = 'pv.kubernetes.io/provisioned-by';
/** The node the scheduler chose for a WaitForFirstConsumer claim's first pod. */
export const AnnSelectedNode = 'volume.kubernetes.io/selected-node';
/** The provisioner expected to provision a claim (set by the PV controller). */
export const AnnStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
/** Beta name of {@link AnnStorageProvisioner}, still set for older provisioners. */
export const AnnBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';

/** Loose object views. */
export type Obj = KubeObject & { spec?: Record<string, any>; status?: Record<string, any> };

/** `IsVolumeBoundToClaim`: claimRef names the claim, with the claim's uid or no uid (pre-bound). */
export function isVolumeBoundToClaim(volume: Obj, claim: Obj): boolean {
  const ref = volume.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata?.uid;
}

/** `CheckNodeAffinity`: true when the PV has no required node affinity or a term matches the node. */
export function checkNodeAffinity(volume: Obj, node: Node): boolean {
  const terms = (volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) as NodeSelectorTerm[];
  if (!volume.spec?.nodeAffinity?.required) return true;
  return terms.some((t) => matchesTerm(t, node));
}

/** Storage quantity of a ResourceList entry in bytes as a bigint-comparable Quantity (undefined when absent/garbage). */
function storageOf(list: unknown) {
  const v = (list as Record<string, unknown> | undefined)?.storage;
  return v === undefined ? undefined : tryParseQuantity(String(v));
}

/** True when every mode of `requested` is in `available`. */
export function containsAllAccessModes(available: unknown, requested: unknown): boolean {
  const a = new Set((available as string[] | undefined) ?? []);
  return ((requested as string[] | undefined) ?? []).every((m) => a.has(m));
}

/**
 * `FindMatchingVolume` over pv_index's access-mode groups: a volume pre-bound to the claim wins
 * (unless its node affinity rejects `node`); otherwise, unless binding is delayed and no node is
 * known, the smallest Available, unclaimed, not-deleting volume of the claim's class and volume
 * mode whose labels match the claim's selector, whose capacity is at least the request and whose
 * node affinity admits `node`. Volumes are grouped by their access-mode sets that contain the
 * claim's modes, fewest modes first; the first group with a match decides.
 * @returns the volume, or undefined
 */
export function findMatchingVolume(claim: Obj, volumes: Obj[], node: Node | undefined, delayBinding: boolean): Obj | undefined {
  const requested = storageOf(claim.spec?.resources?.requests);
  const requestedClass = getPersistentVolumeClaimClass(claim);
  const selector = claim.spec?.selector ? labelSelectorAsSelector(claim.spec.selector) : undefined;
  const claimMode = claim.spec?.volumeMode ?? 'Filesystem';
  const groups = new Map<number, Obj[]>();
  for (const v of volumes) {
    if (!containsAllAccessModes(v.spec?.accessModes, claim.spec?.accessModes)) continue;
    const n = ((v.spec?.accessModes as string[] | undefined) ?? []).length;
    groups.set(n, [...(groups.get(n) ?? []), v]);
  }
  for (const n of [...groups.keys()].sort((a, b) => a - b)) {
    let smallest: Obj | undefined;
    for (const v of groups.get(n)!) {
      if ((v.spec?.volumeMode ?? 'Filesystem') !== claimMode) continue;
      if (v.metadata?.deletionTimestamp) continue;
      const affinityOK = !node || checkNodeAffinity(v, node);
      if (isVolumeBoundToClaim(v, claim)) return affinityOK ? v : undefined;
      if (!node && delayBinding) continue;
      if (v.spec?.claimRef) continue;
      if (selector && !selector.matches(v.metadata?.labels ?? {})) continue;
      if (getPersistentVolumeClass(v) !== requestedClass) continue;
      if (!affinityOK) continue;
      if (v.status?.phase && v.status.phase !== 'Available') continue;
      const cap = storageOf(v.spec?.capacity);
      if (!cap || (requested && cap.cmp(requested) < 0)) continue;
      const sc = smallest ? storageOf(smallest.spec?.capacity) : undefined;
      if (!smallest || (sc && sc.cmp(cap) > 0)) smallest = v;
    }
    if (smallest) return smallest;
  }
  return undefined;
}

/** `IsDelayBindingMode`: the claim's class exists and has `volumeBindingMode: WaitForFirstConsumer`. */
export function isDelayBindingMode(claim: Obj, classes: (name: string) => KubeObject | undefined): boolean {
  const name = getPersistentVolumeClaimClass(claim);
  if (!name) return false;
  const sc = classes(name) as (KubeObject & { volumeBindingMode?: string }) | undefined;
  return sc?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** Seconds-precision RFC 3339 now. */
export function nowRFC3339(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
