/**
 * JSON merge patch (RFC 7386), used for `application/merge-patch+json` PATCH requests and for custom resources.
 *
 * `mergePatch` applies a patch (objects merge recursively, `null` deletes, anything else replaces — arrays
 * included); `createMergePatch` computes the patch turning one document into another, as
 * github.com/evanphx/json-patch's CreateMergePatch (used by kubectl) does.
 */

/** Any JSON value. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [k: string]: JSONValue };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * RFC 7386 MergePatch(target, patch). Inputs are not modified.
 * @returns the patched document (a non-object patch replaces the target entirely).
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredCloneJSON(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function structuredCloneJSON<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function diff(original: Record<string, unknown>, modified: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, mv] of Object.entries(modified)) {
    if (!Object.prototype.hasOwnProperty.call(original, k)) {
      out[k] = structuredCloneJSON(mv);
      continue;
    }
    const ov = original[k];
    if (isObject(ov) && isObject(mv)) {
      const d = diff(ov, mv);
      if (Object.keys(d).length > 0) out[k] = d;
    } else if (!jsonEqual(ov, mv)) {
      out[k] = structuredCloneJSON(mv);
    }
  }
  for (const k of Object.keys(original)) {
    if (!Object.prototype.hasOwnProperty.call(modified, k)) out[k] = null;
  }
  return out;
}

/**
 * `CreateMergePatch(original, modified)`: the smallest RFC 7386 patch with `mergePatch(original, patch)` deep-equal
 * to `modified` (removed keys become `null`, changed arrays are sent whole). `{}` when nothing changed.
 * @throws TypeError when either document is not a JSON object (upstream: "Invalid JSON Document").
 */
export function createMergePatch(original: unknown, modified: unknown): Record<string, unknown> {
  if (!isObject(original) || !isObject(modified)) throw new TypeError('Invalid JSON Document');
  return diff(original, modified);
}
