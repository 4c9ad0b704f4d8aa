/**
 * StatefulSet identity, storage and revision helpers, after upstream
 * pkg/controller/statefulset/stateful_set_utils.go: pod names `<set>-<ordinal>` (ordinals from
 * `spec.ordinals.start`), claim names `<template>-<set>-<ordinal>`, the pod-name / pod-index
 * labels, hostname = pod name and subdomain = serviceName, pod health predicates, the revision
 * patch (`{"spec":{"template":…,"$patch":"replace"}}`) and the claim retention-policy owner refs.
 */
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { GroupVersionResource } from '../../client/interface.ts';
import { deepCopy, type K } from '../../client/object-util.ts';
import { isPodAvailable, isPodReady } from '../shared/controller-utils.ts';
import { getPodFromTemplate } from '../shared/pod-control.ts';
import { newControllerRef, type ControllerKind } from '../shared/controller-ref-manager.ts';
import { ControllerRevisionHashLabel, newControllerRevision, type ControllerRevision } from '../history/controller-history.ts';

/** `apps/v1 statefulsets`. */
export const statefulSetsGVR: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'statefulsets' };
/** `v1 persistentvolumeclaims`. */
export const pvcsGVR: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
/** The StatefulSet kind (controllerKind upstream). */
export const statefulSetKind: ControllerKind = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
/** `statefulset.kubernetes.io/pod-name` (apps.StatefulSetPodNameLabel). */
export const StatefulSetPodNameLabel = 'statefulset.kubernetes.io/pod-name';
/** `apps.kubernetes.io/pod-index` (apps.PodIndexLabel). */
export const PodIndexLabel = 'apps.kubernetes.io/pod-index';

/** A StatefulSet / Pod / PVC as the client returns them. */
export type StsObj = K<StatefulSet>;
export type PodObj = K<Pod>;
export type PVC = K<PersistentVolumeClaim>;

const statefulPodRegex = /^(.*)-([0-9]+)$/;

/** `getParentNameAndOrdinal`: `web-2` → `['web', 2]`; `['', -1]` when the name does not parse. */
export function getParentNameAndOrdinal(pod: Pod): [string, number] {
  const m = statefulPodRegex.exec(pod.metadata?.name ?? '');
  if (!m) return ['', -1];
  const ord = Number.parseInt(m[2], 10);
  return Number.isSafeInteger(ord) && ord <= 2147483647 ? [m[1], ord] : ['', -1];
}

/** `getOrdinal`: the pod's ordinal, -1 when its name does not parse. */
export function getOrdinal(pod: Pod): number {
  return getParentNameAndOrdinal(pod)[1];
}

/** `getStartOrdinal`: `spec.ordinals.start` (0 when unset). */
export function getStartOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

/** `getEndOrdinal`: last ordinal in range (start + replicas - 1; start - 1 for zero replicas). */
export function getEndOrdinal(set: StatefulSet): number {
  return getStartOrdinal(set) + (set.spec?.replicas ?? 1) - 1;
}

/** `podInOrdinalRange`: start ≤ ordinal ≤ end. */
export function podInOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = getOrdinal(pod);
  return o >= getStartOrdinal(set) && o <= getEndOrdinal(set);
}

/** `getPodName`: `<set>-<ordinal>`. */
export function getPodName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name}-${ordinal}`;
}

/** `getPersistentVolumeClaimName`: `<claim template>-<set>-<ordinal>`. */
export function getPersistentVolumeClaimName(set: StatefulSet, claim: { metadata?: { name?: string } }, ordinal: number): string {
  return `${claim.metadata?.name}-${set.metadata?.name}-${ordinal}`;
}

/** `isMemberOf`: the pod's parsed parent name is the set's name. */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return getParentNameAndOrdinal(pod)[0] === set.metadata?.name;
}

/** `identityMatches`: member of the set, right name/namespace, pod-name label set. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const [parent, ordinal] = getParentNameAndOrdinal(pod);
  return (
    ordinal >= 0 &&
    set.metadata?.name === parent &&
    pod.metadata?.name === getPodName(set, ordinal) &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    pod.metadata?.labels?.[StatefulSetPodNameLabel] === pod.metadata?.name
  );
}

/** `getPersistentVolumeClaims`: the claims of pod `ordinal`, keyed by template name (labels = template labels + selector matchLabels). */
export function getPersistentVolumeClaims(set: StatefulSet, ordinal: number): Map<string, PVC> {
  const out = new Map<string, PVC>();
  const matchLabels = set.spec?.selector?.matchLabels ?? {};
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const claim = deepCopy(t) as PVC;
    const m = (claim.metadata ??= {}) as NonNullable<PVC['metadata']> & Record<string, unknown>;
    m.name = getPersistentVolumeClaimName(set, t, ordinal);
    m.namespace = set.metadata?.namespace;
    m.labels = { ...(m.labels ?? {}), ...matchLabels };
    (claim as Record<string, unknown>).apiVersion = 'v1';
    (claim as Record<string, unknown>).kind = 'PersistentVolumeClaim';
    delete (claim as Record<string, unknown>).status;
    out.set(t.metadata?.name ?? '', claim);
  }
  return out;
}

/** `storageMatches`: every claim template is mounted as a volume of the same name using the pod's claim. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = getOrdinal(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const v = volumes.get(t.metadata?.name ?? '');
    if (!v?.persistentVolumeClaim || v.persistentVolumeClaim.claimName !== getPersistentVolumeClaimName(set, t, ordinal)) return false;
  }
  return true;
}

/** `updateStorage`: puts one persistentVolumeClaim volume per claim template into the pod (replacing same-named volumes). */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const ordinal = getOrdinal(pod);
  const claims = getPersistentVolumeClaims(set, ordinal);
  const newVolumes: Volume[] = [];
  for (const [name, claim] of claims) newVolumes.push({ name, persistentVolumeClaim: { claimName: claim.metadata!.name! } });
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) newVolumes.push(v);
  (pod.spec as { volumes?: Volume[] }).volumes = newVolumes;
}

/** `updateIdentity`: name, namespace, pod-name and pod-index labels from the ordinal. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = getOrdinal(pod);
  const m = pod.metadata as Record<string, any>;
  m.name = getPodName(set, ordinal);
  m.namespace = set.metadata?.namespace;
  m.labels = { ...(m.labels ?? {}), [StatefulSetPodNameLabel]: m.name, [PodIndexLabel]: String(ordinal) };
}

/** `initIdentity`: updateIdentity plus hostname = pod name and subdomain = serviceName. */
export function initIdentity(set: StatefulSet, pod: Pod): void {
  updateIdentity(set, pod);
  const spec = pod.spec as Record<string, any>;
  spec.hostname = pod.metadata?.name;
  spec.subdomain = set.spec?.serviceName;
}

/** `newStatefulSetPod`: the pod of ordinal `ordinal` from the set's template (owner ref, identity, storage). */
export function newStatefulSetPod(set: StatefulSet, ordinal: number): Pod {
  const pod = getPodFromTemplate(set.spec!.template as PodTemplateSpec, set as K<StatefulSet>, newControllerRef(set as K<StatefulSet>, statefulSetKind));
  const m = pod.metadata as Record<string, any>;
  delete m.generateName;
  m.name = getPodName(set, ordinal);
  initIdentity(set, pod);
  updateStorage(set, pod);
  return pod;
}

/** `getPodRevision`: the pod's controller-revision-hash label ('' when absent). */
export function getPodRevision(pod: Pod): string {
  return pod.metadata?.labels?.[ControllerRevisionHashLabel] ?? '';
}

/** `setPodRevision`: sets the controller-revision-hash label. */
export function setPodRevision(pod: Pod, revision: string): void {
  const m = pod.metadata as Record<string, any>;
  m.labels = { ...(m.labels ?? {}), [ControllerRevisionHashLabel]: revision };
}

/**
 * `newVersionedStatefulSetPod`: pods below the partition (RollingUpdate) are created from the
 * current revision, all others from the update revision.
 */
export function newVersionedStatefulSetPod(currentSet: StatefulSet, updateSet: StatefulSet, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const us = currentSet.spec?.updateStrategy;
  if (us?.type === 'RollingUpdate') {
    const below = us.rollingUpdate
      ? ordinal < getStartOrdinal(currentSet) + (us.rollingUpdate.partition ?? 0)
      : ordinal < getStartOrdinal(currentSet) + (currentSet.status?.currentReplicas ?? 0);
    if (below) {
      const pod = newStatefulSetPod(currentSet, ordinal);
      setPodRevision(pod, currentRevision);
      return pod;
    }
  }
  const pod = newStatefulSetPod(updateSet, ordinal);
  setPodRevision(pod, updateRevision);
  return pod;
}

/** `isRunningAndReady`: phase Running and Ready=True. */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** `isRunningAndAvailable`: running and ready for at least `minReadySeconds`. */
export function isRunningAndAvailable(pod: Pod, minReadySeconds: number, nowMs: number = Date.now()): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, nowMs);
}

/** `isCreated`: the pod has a phase (it exists in the API). */
export function isCreated(pod: Pod): boolean {
  return !!pod.status?.phase;
}

/** `isPending`. */
export function isPending(pod: Pod): boolean {
  return pod.status?.phase === 'Pending';
}

/** `isFailed`. */
export function isFailed(pod: Pod): boolean {
  return pod.status?.phase === 'Failed';
}

/** `isSucceeded`. */
export function isSucceeded(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded';
}

/** `isTerminating`: deletionTimestamp set. */
export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

/** `isHealthy`: running, ready and not terminating. */
export function isHealthy(pod: Pod): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** `allowsBurst`: podManagementPolicy Parallel. */
export function allowsBurst(set: StatefulSet): boolean {
  return set.spec?.podManagementPolicy === 'Parallel';
}

/** `getPatch`: the revision data, `{"spec":{"template":<template + "$patch":"replace">}}`. */
export function getPatch(set: StatefulSet): Record<string, unknown> {
  const template = deepCopy(set.spec?.template ?? {}) as Record<string, unknown>;
  template.$patch = 'replace';
  return { spec: { template } };
}

/** `newRevision`: a ControllerRevision of `set` (template labels, the set's annotations) numbered `revision`. */
export function newRevision(set: StsObj, revision: number, collisionCount: number): ControllerRevision {
  const cr = newControllerRevision(set, statefulSetKind, set.spec?.template?.metadata?.labels, getPatch(set), revision, collisionCount);
  const ann = set.metadata?.annotations;
  if (ann && Object.keys(ann).length) (cr.metadata as Record<string, any>).annotations = { ...(cr.metadata.annotations ?? {}), ...ann };
  return cr;
}

/** `ApplyRevision`: a copy of `set` whose template is the revision's. */
export function applyRevision(set: StsObj, revision: ControllerRevision): StsObj {
  const clone = deepCopy(set);
  const t = deepCopy(((revision.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template ?? {}) as Record<string, unknown>);
  delete t.$patch;
  (clone.spec as Record<string, any>).template = t;
  return clone;
}

/** The claim retention policy with defaults (Retain/Retain). */
export function retentionPolicy(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

/**
 * The non-controller ownerReferences a claim of `pod` should carry under the retention policy
 * (upstream updateClaimOwnerRefForSetAndPod): WhenDeleted=Delete → the set (GC deletes the claim
 * with the set); WhenScaled=Delete and the pod's ordinal out of range (condemned) → the pod (GC
 * deletes the claim once the pod is gone). Other owner refs of the claim are kept.
 * @returns the new ownerReferences list
 */
export function claimOwnerRefsForSetAndPod(claim: PersistentVolumeClaim, set: StsObj, pod: PodObj): OwnerReference[] {
  const setUid = set.metadata?.uid;
  const podUid = pod.metadata?.uid;
  const refs = (claim.metadata?.ownerReferences ?? []).filter((r) => r.uid !== setUid && r.uid !== podUid);
  const pol = retentionPolicy(set);
  const condemned = !podInOrdinalRange(pod, set);
  if (pol.whenScaled === 'Delete' && condemned && podUid) {
    refs.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: podUid });
  } else if (pol.whenDeleted === 'Delete' && setUid) {
    refs.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata!.name!, uid: setUid });
  }
  return refs;
}

/** True when the claim's owner refs already match {@link claimOwnerRefsForSetAndPod}. */
export function claimOwnerMatchesSetAndPod(claim: PersistentVolumeClaim, set: StsObj, pod: PodObj): boolean {
  const want = claimOwnerRefsForSetAndPod(claim, set, pod);
  const have = claim.metadata?.ownerReferences ?? [];
  const key = (r: OwnerReference) => `${r.kind}/${r.uid}`;
  return want.length === have.length && want.map(key).sort().join() === have.map(key).sort().join();
}
