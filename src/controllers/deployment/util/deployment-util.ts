/**
 * Deployment helpers, after pkg/controller/deployment/util/deployment_util.go and
 * apimachinery util/intstr (GetScaledValueFromIntOrPercent).
 *
 * Defaults: objects reaching the controller through the apiserver are defaulted already; for
 * robustness the readers below apply apps/v1 defaults when a field is absent (replicas 1,
 * strategy RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600).
 */
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { K, Mutable } from '../../../client/object-util.ts';
import { rfc3339 } from '../../../client/object-util.ts';

/** A Deployment as handled here. */
export type DeploymentObj = K<Deployment>;
/** A ReplicaSet as handled here. */
export type RSObj = K<ReplicaSet>;

export const RevisionAnnotation = 'deployment.kubernetes.io/revision';
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const RollbackRevisionNotFound = 'DeploymentRollbackRevisionNotFound';
/** Label added to RS selectors/templates (apps.DefaultDeploymentUniqueLabelKey). */
export const DefaultDeploymentUniqueLabelKey = 'pod-template-hash';

// Condition reasons (deployment_util.go).
export const FoundNewRSReason = 'FoundNewReplicaSet';
export const NewRSAvailableReason = 'NewReplicaSetAvailable';
export const NewReplicaSetReason = 'NewReplicaSetCreated';
export const ReplicaSetUpdatedReason = 'ReplicaSetUpdated';
export const TimedOutReason = 'ProgressDeadlineExceeded';
export const FailedRSCreateReason = 'ReplicaSetCreateError';
export const PausedDeployReason = 'DeploymentPaused';
export const ResumedDeployReason = 'DeploymentResumed';
export const MinimumReplicasAvailable = 'MinimumReplicasAvailable';
export const MinimumReplicasUnavailable = 'MinimumReplicasUnavailable';

/** Annotations never copied from a Deployment to its ReplicaSets (skipCopyAnnotation). */
const annotationsToSkip = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

// ------------------------------------------------------------------------------------- intstr

/**
 * intstr.GetScaledValueFromIntOrPercent: an int is returned as is; a string must be `<int>%` and
 * is scaled against `total`, rounding up (ceil) or down (floor).
 * @throws Error for any other string (`invalid value for IntOrString: invalid type: string is not a percentage`)
 *   or a malformed percentage.
 */
export function getScaledValueFromIntOrPercent(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const body = v.slice(0, -1);
  if (!/^[+-]?\d+$/.test(body)) throw new Error(`invalid value "${v}": ${JSON.stringify(body)} is not an integer`);
  const pct = Number.parseInt(body, 10);
  const x = (pct * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * ResolveFenceposts: absolute [maxSurge, maxUnavailable] for `desired` replicas; surge rounds up,
 * unavailable rounds down; an absent value counts as 0; if both are 0, maxUnavailable becomes 1.
 * @throws Error for an invalid IntOrString.
 */
export function resolveFenceposts(
  maxSurge: number | string | null | undefined,
  maxUnavailable: number | string | null | undefined,
  desired: number,
): [surge: number, unavailable: number] {
  const surge = getScaledValueFromIntOrPercent(maxSurge ?? 0, desired, true);
  let unavailable = getScaledValueFromIntOrPercent(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

// ------------------------------------------------------------------------------------- readers

/** spec.replicas (default 1). */
export function replicasOf(d: DeploymentObj): number {
  return d.spec?.replicas ?? 1;
}

/** spec.replicas of an RS (default 1 as apps/v1 defaulting; 0 is kept). */
export function rsReplicas(rs: RSObj | undefined | null): number {
  return rs ? (rs.spec?.replicas ?? 1) : 0;
}

/** True for a RollingUpdate (or defaulted) strategy. */
export function isRollingUpdate(d: DeploymentObj): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function rollingParams(d: DeploymentObj): [number | string, number | string] {
  const ru = d.spec?.strategy?.rollingUpdate;
  return [(ru?.maxSurge as number | string | undefined) ?? '25%', (ru?.maxUnavailable as number | string | undefined) ?? '25%'];
}

/** MaxUnavailable(d): resolved maxUnavailable capped at spec.replicas; 0 unless RollingUpdate or when replicas is 0. */
export function maxUnavailable(d: DeploymentObj): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  const [s, u] = rollingParams(d);
  const [, mu] = resolveFenceposts(s, u, replicasOf(d));
  return mu > replicasOf(d) ? replicasOf(d) : mu;
}

/** MinAvailable(d) = replicas − MaxUnavailable(d) for RollingUpdate; 0 otherwise. */
export function minAvailable(d: DeploymentObj): number {
  if (!isRollingUpdate(d)) return 0;
  return replicasOf(d) - maxUnavailable(d);
}

/** MaxSurge(d): resolved maxSurge (0 unless RollingUpdate). */
export function maxSurge(d: DeploymentObj): number {
  if (!isRollingUpdate(d)) return 0;
  const [s, u] = rollingParams(d);
  return resolveFenceposts(s, u, replicasOf(d))[0];
}

/** revisionHistoryLimit (default 10). */
export function revisionHistoryLimit(d: DeploymentObj): number {
  return d.spec?.revisionHistoryLimit ?? 10;
}

/** HasProgressDeadline: progressDeadlineSeconds set (default 600) and not MaxInt32. */
export function hasProgressDeadline(d: DeploymentObj): boolean {
  const p = d.spec?.progressDeadlineSeconds ?? 600;
  return p !== 2147483647;
}

/** progressDeadlineSeconds (default 600). */
export function progressDeadlineSeconds(d: DeploymentObj): number {
  return d.spec?.progressDeadlineSeconds ?? 600;
}

// ------------------------------------------------------------------------------------- RS sets

/** RSs with spec.replicas > 0 (FilterActiveReplicaSets); nulls dropped. */
export function filterActiveReplicaSets(rss: (RSObj | null | undefined)[]): RSObj[] {
  return rss.filter((r): r is RSObj => !!r && rsReplicas(r) > 0);
}

/** Σ spec.replicas (GetReplicaCountForReplicaSets). */
export function getReplicaCountForReplicaSets(rss: (RSObj | null | undefined)[]): number {
  return rss.reduce((n, r) => n + (r ? rsReplicas(r) : 0), 0);
}

/** Σ status.replicas (GetActualReplicaCountForReplicaSets). */
export function getActualReplicaCountForReplicaSets(rss: (RSObj | null | undefined)[]): number {
  return rss.reduce((n, r) => n + (r?.status?.replicas ?? 0), 0);
}

/** Σ status.readyReplicas. */
export function getReadyReplicaCountForReplicaSets(rss: (RSObj | null | undefined)[]): number {
  return rss.reduce((n, r) => n + (r?.status?.readyReplicas ?? 0), 0);
}

/** Σ status.availableReplicas. */
export function getAvailableReplicaCountForReplicaSets(rss: (RSObj | null | undefined)[]): number {
  return rss.reduce((n, r) => n + (r?.status?.availableReplicas ?? 0), 0);
}

const ctime = (r: RSObj) => (r.metadata?.creationTimestamp ? Date.parse(r.metadata.creationTimestamp) : 0);
const nameCmp = (a: RSObj, b: RSObj) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0);

/** ReplicaSetsByCreationTimestamp: oldest first, ties by name. */
export function byCreationTimestamp(a: RSObj, b: RSObj): number {
  return ctime(a) - ctime(b) || nameCmp(a, b);
}

/** ReplicaSetsBySizeOlder: larger spec.replicas first; ties older first. */
export function bySizeOlder(a: RSObj, b: RSObj): number {
  return rsReplicas(b) - rsReplicas(a) || byCreationTimestamp(a, b);
}

/** ReplicaSetsBySizeNewer: larger spec.replicas first; ties newer first. */
export function bySizeNewer(a: RSObj, b: RSObj): number {
  return rsReplicas(b) - rsReplicas(a) || byCreationTimestamp(b, a);
}

/** Revision number from the annotation (0 when absent/invalid). */
export function revisionOf(rs: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = rs.metadata?.annotations?.[RevisionAnnotation];
  if (v === undefined) return 0;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

/** ReplicaSetsByRevision: ascending revision, ties by creation. */
export function byRevision(a: RSObj, b: RSObj): number {
  return revisionOf(a) - revisionOf(b) || byCreationTimestamp(a, b);
}

/** MaxRevision over `rss`. */
export function maxRevision(rss: RSObj[]): number {
  return rss.reduce((m, r) => Math.max(m, revisionOf(r)), 0);
}

// ------------------------------------------------------------------------------------- templates and hash

/**
 * Normalises JSON the way a Go decode→encode round trip with omitempty does: nulls, empty
 * objects and empty arrays vanish; keys are sorted. Used for template equality and hashing.
 */
export function normalizeForCompare(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const arr = v.map(normalizeForCompare).map((x) => (x === undefined ? null : x));
    return arr.length ? arr : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const n = normalizeForCompare((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

function withoutHashLabel(t: PodTemplateSpec | undefined): unknown {
  const c = structuredClone(t ?? {}) as Mutable<PodTemplateSpec>;
  if (c.metadata?.labels) delete c.metadata.labels[DefaultDeploymentUniqueLabelKey];
  return normalizeForCompare(c);
}

/** EqualIgnoreHash: templates equal once the pod-template-hash label is removed from both. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return JSON.stringify(withoutHashLabel(a)) === JSON.stringify(withoutHashLabel(b));
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: maps each character to a vowel-free alphanumeric (no bad words, DNS-safe). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += alphanums[ch.codePointAt(0)! % alphanums.length];
  return out;
}

/**
 * ComputeHash: FNV-32a of the template, plus the little-endian uint32 collisionCount when set,
 * rendered as SafeEncodeString of the decimal value. Upstream hashes a spew dump of the Go struct;
 * we hash the normalised JSON (keys sorted, empties dropped) instead — an equivalent stable hash,
 * not byte-identical to upstream's values.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(normalizeForCompare(template ?? {})) ?? ''));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** FindNewReplicaSet: the oldest RS whose template equals the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: DeploymentObj, rsList: RSObj[]): RSObj | undefined {
  const sorted = [...rsList].sort(byCreationTimestamp);
  return sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template as PodTemplateSpec));
}

/** FindOldReplicaSets: [oldRSs with replicas > 0, all old RSs]. */
export function findOldReplicaSets(d: DeploymentObj, rsList: RSObj[]): [RSObj[], RSObj[]] {
  const newRS = findNewReplicaSet(d, rsList);
  const all: RSObj[] = [];
  const active: RSObj[] = [];
  for (const rs of rsList) {
    if (newRS && rs.metadata?.uid === newRS.metadata?.uid) continue;
    all.push(rs);
    if (rsReplicas(rs) !== 0) active.push(rs);
  }
  return [active, all];
}

// ------------------------------------------------------------------------------------- annotations

function intAnnotation(rs: RSObj, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) return undefined;
  return Number.parseInt(v, 10);
}

/** desired-replicas annotation, if valid. */
export function getDesiredReplicasAnnotation(rs: RSObj): number | undefined {
  return intAnnotation(rs, DesiredReplicasAnnotation);
}

/** max-replicas annotation, if valid. */
export function getMaxReplicasAnnotation(rs: RSObj): number | undefined {
  return intAnnotation(rs, MaxReplicasAnnotation);
}

/** SetReplicasAnnotations on a mutable RS; returns true if anything changed. */
export function setReplicasAnnotations(rs: RSObj, desired: number, max: number): boolean {
  const md = rs.metadata as Mutable<NonNullable<RSObj['metadata']>>;
  md.annotations ??= {};
  let changed = false;
  if (md.annotations[DesiredReplicasAnnotation] !== String(desired)) {
    md.annotations[DesiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (md.annotations[MaxReplicasAnnotation] !== String(max)) {
    md.annotations[MaxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

/** ReplicasAnnotationsNeedUpdate. */
export function replicasAnnotationsNeedUpdate(rs: RSObj, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DesiredReplicasAnnotation] !== String(desired) || a[MaxReplicasAnnotation] !== String(max);
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations (minus the skipped ones), sets
 * the revision annotation when `newRevision` is higher (recording the previous one in
 * revision-history), and for a newly built RS the desired/max replicas annotations.
 * Returns true when the RS changed.
 */
export function setNewReplicaSetAnnotations(d: DeploymentObj, rs: RSObj, newRevision: string, exists: boolean): boolean {
  const md = rs.metadata as Mutable<NonNullable<RSObj['metadata']>>;
  md.annotations ??= {};
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (annotationsToSkip.has(k)) continue;
    if (md.annotations[k] !== v) {
      md.annotations[k] = v;
      changed = true;
    }
  }
  const oldRevision = md.annotations[RevisionAnnotation];
  const oldRevisionInt = oldRevision === undefined ? 0 : Number.parseInt(oldRevision, 10);
  if (oldRevision !== undefined && !Number.isFinite(oldRevisionInt)) return false;
  const newRevisionInt = Number.parseInt(newRevision, 10);
  if (!Number.isFinite(newRevisionInt)) return false;
  if (oldRevisionInt < newRevisionInt) {
    md.annotations[RevisionAnnotation] = newRevision;
    changed = true;
    if (oldRevision !== undefined && oldRevision !== '') {
      const hist = md.annotations[RevisionHistoryAnnotation];
      md.annotations[RevisionHistoryAnnotation] = hist ? `${hist},${oldRevision}` : oldRevision;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** SetDeploymentRevision on a mutable Deployment; true when changed. */
export function setDeploymentRevision(d: DeploymentObj, revision: string): boolean {
  const md = d.metadata as Mutable<NonNullable<DeploymentObj['metadata']>>;
  md.annotations ??= {};
  if (md.annotations[RevisionAnnotation] === revision) return false;
  md.annotations[RevisionAnnotation] = revision;
  return true;
}

// ------------------------------------------------------------------------------------- scaling math

/** NewRSNewReplicas: how many replicas the new RS may have after this step. @throws on a bad IntOrString. */
export function newRSNewReplicas(d: DeploymentObj, allRSs: (RSObj | null | undefined)[], newRS: RSObj): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const [s] = rollingParams(d);
  const surge = getScaledValueFromIntOrPercent(s, replicasOf(d), true);
  const current = getReplicaCountForReplicaSets(allRSs);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return rsReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, replicasOf(d) - rsReplicas(newRS));
  return rsReplicas(newRS) + scaleUp;
}

/** math.Round semantics (half away from zero), as integer.RoundToInt32. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * getReplicaSetFraction: how much `rs` should grow/shrink in proportion to the Deployment's new
 * size (replicas + maxSurge) against the size recorded in its max-replicas annotation (falling back
 * to status.replicas). A Deployment scaled to 0 scales every RS to 0.
 */
export function getReplicaSetFraction(rs: RSObj, d: DeploymentObj): number {
  if (replicasOf(d) === 0) return -rsReplicas(rs);
  const deploymentMax = replicasOf(d) + maxSurge(d);
  let annotated = getMaxReplicasAnnotation(rs);
  if (annotated === undefined || annotated === 0) annotated = d.status?.replicas ?? 0;
  if (annotated === 0) return 0; // never scale proportionally from zero
  const newSize = (rsReplicas(rs) * deploymentMax) / annotated;
  return roundHalfAwayFromZero(newSize) - rsReplicas(rs);
}

/** GetProportion: the share of `toAdd` for `rs`, clamped to what is still left. */
export function getProportion(rs: RSObj | undefined, d: DeploymentObj, toAdd: number, added: number): number {
  if (!rs || rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = getReplicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** IsSaturated: the new RS has all replicas requested, annotated and available. */
export function isSaturated(d: DeploymentObj, rs: RSObj | undefined): boolean {
  if (!rs) return false;
  const desired = getDesiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  return rsReplicas(rs) === replicasOf(d) && desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/**
 * FindActiveOrLatest: the only active RS, or (none active) the new RS or else the newest old one;
 * undefined when several are active.
 */
export function findActiveOrLatest(newRS: RSObj | undefined, oldRSs: RSObj[]): RSObj | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = filterActiveReplicaSets([...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[0];
  if (active.length === 1) return active[0];
  return undefined;
}

// ------------------------------------------------------------------------------------- completeness / conditions

/** Partial status used by the predicates below. */
export type StatusLike = Partial<DeploymentStatus>;

/** DeploymentComplete: updated == replicas == status.replicas == available, and observedGeneration ≥ generation. */
export function deploymentComplete(d: DeploymentObj, s: StatusLike): boolean {
  const r = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === r &&
    (s.replicas ?? 0) === r &&
    (s.availableReplicas ?? 0) === r &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated/ready/available replicas, or fewer old ones, than in d.status. */
export function deploymentProgressing(d: DeploymentObj, s: StatusLike): boolean {
  const o = d.status ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: the Progressing condition was last updated more than progressDeadlineSeconds ago. */
export function deploymentTimedOut(d: DeploymentObj, s: StatusLike, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getDeploymentCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === NewRSAvailableReason) return false;
  if (c.reason === TimedOutReason) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return false;
  return from + progressDeadlineSeconds(d) * 1000 < nowMs;
}

/** NewDeploymentCondition with lastUpdateTime = lastTransitionTime = now. */
export function newDeploymentCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = rfc3339(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** GetDeploymentCondition. */
export function getDeploymentCondition(s: StatusLike | undefined, type: string): DeploymentCondition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition on a mutable status: no-op if a condition of that type already has the
 * same status and reason; keeps lastTransitionTime when only the reason/message changes.
 */
export function setDeploymentCondition(s: Mutable<StatusLike>, cond: DeploymentCondition): void {
  const cur = getDeploymentCondition(s as StatusLike, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const c = { ...cond } as Mutable<DeploymentCondition>;
  if (cur && cur.status === cond.status) c.lastTransitionTime = cur.lastTransitionTime;
  s.conditions = [...((s.conditions ?? []) as Mutable<DeploymentCondition>[]).filter((x) => x.type !== cond.type), c];
}

/** RemoveDeploymentCondition. */
export function removeDeploymentCondition(s: Mutable<StatusLike>, type: string): void {
  if (!s.conditions) return;
  s.conditions = s.conditions.filter((x) => x.type !== type);
  if (s.conditions.length === 0) delete s.conditions;
}
