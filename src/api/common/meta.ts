/**
 * Helpers shared by every strategy: semantic deep equality (for "did the spec change?"),
 * generation handling, status reset/keep, and the field-selector attribute base.
 *
 * Upstream: pkg/registry/<group>/<resource>/strategy.go (PrepareForCreate / PrepareForUpdate),
 * k8s.io/apimachinery/pkg/api/equality.Semantic.DeepEqual and
 * k8s.io/apiserver/pkg/registry/generic.ObjectMetaFieldsSet.
 */
import type { KubeObject } from '../../client/interface.ts';

/**
 * Semantic deep equality of two JSON values, as `equality.Semantic.DeepEqual`: key order is
 * ignored; undefined, null and empty arrays compare equal (Go's nil vs empty slice); an absent
 * map key equals an undefined value.
 */
export function semanticDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ea = a === undefined || a === null || (Array.isArray(a) && a.length === 0);
  const eb = b === undefined || b === null || (Array.isArray(b) && b.length === 0);
  if (ea || eb) return ea && eb;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticDeepEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!semanticDeepEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/** Deep copy of a JSON value (`structuredClone`; undefined stays undefined). */
export function deepCopy<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** `metav1.ObjectMeta` without kubernetes-types' readonly markers (strategies mutate it). */
export type MutableObjectMeta = { -readonly [K in keyof NonNullable<KubeObject['metadata']>]: NonNullable<KubeObject['metadata']>[K] };

/** Ensures `obj.metadata` exists and returns it, writable. */
export function meta(obj: KubeObject): MutableObjectMeta {
  if (!obj.metadata) obj.metadata = {};
  return obj.metadata as MutableObjectMeta;
}

/**
 * PrepareForCreate for kinds with `metadata.generation` (Deployment, ReplicaSet, …):
 * status reset to `initialStatus` (default `{}`), generation 1.
 */
export function prepareForCreateWithGeneration(obj: KubeObject, initialStatus: Record<string, unknown> = {}): void {
  obj.status = deepCopy(initialStatus);
  meta(obj).generation = 1;
}

/**
 * PrepareForUpdate for kinds with a generation: keeps the old status (the main endpoint cannot
 * change status) and bumps `metadata.generation` when `spec` changed semantically; otherwise
 * the old generation is kept.
 */
export function prepareForUpdateWithGeneration(obj: KubeObject, old: KubeObject): void {
  obj.status = deepCopy(old.status);
  const m = meta(obj);
  const oldGen = old.metadata?.generation ?? 0;
  m.generation = semanticDeepEqual(obj.spec, old.spec) ? oldGen : oldGen + 1;
}

/** Field-selector attributes every object has: `metadata.name`, `metadata.namespace` ('' when cluster-scoped). */
export function objectMetaFieldsSet(obj: KubeObject): Record<string, string> {
  return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' };
}

/** A loosely typed record view of an unknown JSON value (`{}` when not an object). */
export function rec(v: unknown): Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {};
}

/** A loosely typed array view of an unknown JSON value (`[]` when not an array). */
export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}
