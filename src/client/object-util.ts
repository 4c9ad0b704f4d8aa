/**
 * Small helpers shared by the client pieces and controllers: writable views of the readonly
 * `kubernetes-types` shapes, deep clone, and RFC 3339 timestamps as the apiserver writes them.
 */
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from './interface.ts';

/** Removes `readonly` recursively (kubernetes-types marks every field readonly). */
export type Mutable<T> = T extends (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/** Writable ObjectMeta. */
export type MutableMeta = Mutable<ObjectMeta>;

/** Writable metadata of `obj` (created if absent). */
export function meta(obj: KubeObject): MutableMeta {
  if (!obj.metadata) obj.metadata = {};
  return obj.metadata as MutableMeta;
}

/** Deep clone (structuredClone). */
export function deepCopy<T>(x: T): T {
  return structuredClone(x);
}

/** RFC 3339 with second precision, as `metav1.Time` serialises (`2026-01-01T00:00:00Z`). */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The ownerReference with `controller: true`, if any (metav1.GetControllerOf). */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r: OwnerReference) => r.controller === true);
}

/** A kubernetes-types object usable wherever a KubeObject is expected (`K<Pod>`). */
export type K<T> = T & KubeObject;
