/**
 * Strategic merge patch, as k8s.io/apimachinery/pkg/util/strategicpatch (patch.go) does it: applying patches
 * ({@link strategicMergePatch}, for `application/strategic-merge-patch+json` PATCH requests and `kubectl apply`'s
 * computed patches) and creating them ({@link createTwoWayMergePatch}, {@link createThreeWayMergePatch}).
 *
 * Semantics (upstream's):
 * - maps merge key by key; `null` deletes a key; `{$patch: replace}` replaces a map, `{$patch: delete}` empties it;
 * - lists follow the field's `patchStrategy` (see patch-meta.ts): `merge` lists of objects are merged by
 *   `patchMergeKey` (`{name: x, $patch: delete}` removes entries, a `{$patch: replace}` element replaces the list),
 *   `merge` lists of scalars are set-unions; lists without a strategy are replaced;
 * - `$deleteFromPrimitiveList/<field>: [..]` removes scalars; `$setElementOrder/<field>: [..]` fixes the order of
 *   the merged list; `$retainKeys: [..]` drops keys of the original that are not listed;
 * - result order of merged lists: patch items in patch order, server-only items interleaved by their live order.
 */
import { lookupPatchField, type PatchField, type PatchSchema } from './patch-meta.ts';

/** A JSON object. */
export type JSONMap = { [k: string]: unknown };

/** Error from a malformed patch (the apiserver answers 400/422 with its message, as upstream does). */
export class StrategicMergePatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrategicMergePatchError';
  }
}

const directiveMarker = '$patch';
const deleteDirective = 'delete';
const replaceDirective = 'replace';
const mergeDirective = 'merge';
const retainKeysDirective = '$retainKeys';
const deleteFromPrimitiveListDirectivePrefix = '$deleteFromPrimitiveList';
const setElementOrderDirectivePrefix = '$setElementOrder';

interface MergeOptions {
  mergeParallelList: boolean;
  ignoreUnmatchedNulls: boolean;
  /**
   * Capacity of a list of this length in the original document. The apiserver builds the original with
   * ToUnstructured, so capacity = length; upstream's in-place edits (deletions compact the backing array, appends
   * reuse the freed slots) stay visible to the `$setElementOrder` ordering, as emulated in mergeSlice.
   */
  capOf: (len: number) => number;
}


// ---------------------------------------------------------------------------------------------
// Go-ish helpers
// ---------------------------------------------------------------------------------------------

type Kind = 'map' | 'slice' | 'string' | 'number' | 'bool' | 'nil';

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  return 'bool';
}

const isMap = (v: unknown): v is JSONMap => kindOf(v) === 'map';

/** Renders a value the way Go's `%v` prints decoded JSON (`map[a:1 b:x]`, `[1 2]`), for error messages. */
function goString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as JSONMap;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goString(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

const goTypeName: Record<Kind, string> = {
  map: 'map[string]interface {}',
  slice: '[]interface {}',
  string: 'string',
  number: 'float64',
  bool: 'bool',
  nil: '<nil>',
};

const errNoMergeKey = (m: JSONMap, k: string) =>
  new StrategicMergePatchError(`map: ${goString(m)} does not contain declared merge key: ${k}`);
const errBadPatchType = (t: unknown, m: JSONMap) => new StrategicMergePatchError(`unknown patch type: ${goString(t)} in map: ${goString(m)}`);
const errBadArgType = (expected: Kind, actual: unknown) =>
  new StrategicMergePatchError(`expected a ${goTypeName[expected]}, but received a ${goTypeName[kindOf(actual)]}`);
const errBadPatchFormatForPrimitiveList = () => new StrategicMergePatchError('invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = () => new StrategicMergePatchError('invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = () => new StrategicMergePatchError('invalid patch format of setElementOrder list');

function deepCopy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Go's `sort.SliceStable` for lists up to 20 items is an insertion sort; kept so odd comparators behave the same. */
function insertionSortStable<T>(a: T[], less: (x: T, y: T) => boolean): T[] {
  for (let i = 1; i < a.length; i++) {
    for (let j = i; j > 0 && less(a[j], a[j - 1]); j--) {
      const t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
  }
  return a;
}

function strategyOf(f: PatchField): string {
  // extractRetainKeysPatchStrategy: drop `retainKeys`, keep the other strategy.
  const parts = (f.strategy ?? '').split(',').filter((s) => s && s !== 'retainKeys');
  return parts[0] ?? '';
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf('/');
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === deleteFromPrimitiveListDirectivePrefix) throw errBadPatchFormatForPrimitiveList();
    if (prefix === setElementOrderDirectivePrefix) throw errBadPatchFormatForSetElementOrderList();
    throw new StrategicMergePatchError(`fail to find unknown prefix "${prefix}" in ${s}`);
  }
  return s.slice(i + 1);
}

// ---------------------------------------------------------------------------------------------
// list helpers
// ---------------------------------------------------------------------------------------------

function sliceElementKind(...slices: unknown[][]): Kind {
  let prev: Kind | undefined;
  for (const s of slices) {
    for (const v of s) {
      const k = kindOf(v);
      if (prev === undefined) {
        prev = k;
        if (prev === 'slice') throw new StrategicMergePatchError('lists of lists are not supported');
      } else if (prev !== k) {
        throw new StrategicMergePatchError(`list element types are not identical: ${goString(slices)}`);
      }
    }
  }
  if (prev === undefined) throw new StrategicMergePatchError('no elements in any of the given slices');
  return prev;
}

function findMapInSliceBasedOnKeyValue(m: unknown[], key: string, value: unknown): { map?: JSONMap; index: number } {
  for (let i = 0; i < m.length; i++) {
    const v = m[i];
    if (!isMap(v)) throw new StrategicMergePatchError(`value for key ${i} is not a map`);
    if (Object.prototype.hasOwnProperty.call(v, key) && v[key] === value) return { map: v, index: i };
  }
  return { index: -1 };
}

/** Upstream's in-place de-duplication (moves the last element into a duplicate's slot); returns the new length. */
function deduplicateScalarsInPlace(s: unknown[]): number {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (s[i] === s[j]) {
        s[j] = s[length];
        length--;
        j--;
      }
    }
  }
  return length + 1;
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

function partitionPrimitivesByPresentInList(original: unknown[], partitionBy: unknown[]): [unknown[], unknown[]] {
  const inPatch = new Set(partitionBy);
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) (inPatch.has(v) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMapsByPresentInList(original: unknown[], partitionBy: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) {
    if (!isMap(v)) throw errBadArgType('map', v);
    if (!Object.prototype.hasOwnProperty.call(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    const { map } = findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, v[mergeKey]);
    (map ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

function indexIn(l: unknown[], val: unknown, mergeKey: string, kind: Kind): number {
  const get = kind === 'map' ? (item: unknown) => (isMap(item) ? item[mergeKey] : undefined) : (item: unknown) => item;
  const want = get(val);
  for (let i = 0; i < l.length; i++) if (get(l[i]) === want) return i;
  return -1;
}

function validateMergeKeyInLists(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isMap(item)) throw errBadArgType('map', item);
      if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

function extractToDeleteItems(l: unknown[]): [unknown[], unknown[]] {
  const nonDelete: unknown[] = [];
  const toDelete: unknown[] = [];
  for (const v of l) {
    if (!isMap(v)) throw errBadArgType('map', v);
    if (Object.prototype.hasOwnProperty.call(v, directiveMarker) && v[directiveMarker] === deleteDirective) toDelete.push(v);
    else nonDelete.push(v);
  }
  return [nonDelete, toDelete];
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: Kind): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  insertionSortStable(toSort, (a, b) => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  });
  return [...toSort, ...toDelete];
}

/** Interleaves server-only items (left) into patch items (right) by the live order, keeping both relative orders. */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: Kind): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = indexIn(serverOrder, left[i], mergeKey, kind);
    const ri = indexIn(serverOrder, right[j], mergeKey, kind);
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
    else out.push(right[j++]);
  }
  return [...out, ...left.slice(i), ...right.slice(j)];
}

function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

/** Removes `$patch` directives from a value taken verbatim from the patch; `keep=false` when the value itself is one. */
function removeDirectives(obj: unknown): { value: unknown; keep: boolean } {
  if (obj === null || obj === undefined) return { value: obj, keep: true };
  if (Array.isArray(obj)) {
    const res: unknown[] = [];
    for (const v of obj) {
      const r = removeDirectives(v);
      if (r.keep) res.push(r.value);
    }
    return { value: res, keep: true };
  }
  if (typeof obj === 'object') {
    const m = obj as JSONMap;
    if (Object.prototype.hasOwnProperty.call(m, directiveMarker)) return { value: null, keep: false };
    for (const k of Object.keys(m)) {
      const r = removeDirectives(m[k]);
      if (r.keep) m[k] = r.value;
      else delete m[k];
    }
    return { value: m, keep: true };
  }
  return { value: obj, keep: true };
}

function discardNullValuesFromPatch(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) discardNullValuesFromPatch(x);
  } else if (isMap(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNullValuesFromPatch(v[k]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// merge
// ---------------------------------------------------------------------------------------------

function handleDirectiveInMergeMap(directive: unknown, patch: JSONMap): JSONMap {
  if (directive === replaceDirective) {
    delete patch[directiveMarker];
    return patch;
  }
  if (directive === deleteDirective) return {};
  throw errBadPatchType(directive, patch);
}

function applyRetainKeysDirective(original: JSONMap, patch: JSONMap, options: MergeOptions): void {
  if (!Object.prototype.hasOwnProperty.call(patch, retainKeysDirective)) return;
  const retainKeysInPatch = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!options.mergeParallelList) {
    if (Object.prototype.hasOwnProperty.call(original, retainKeysDirective)) {
      if (JSON.stringify(original[retainKeysDirective]) !== JSON.stringify(retainKeysInPatch)) {
        throw new StrategicMergePatchError(
          `${goString(original[retainKeysDirective])} and ${goString(retainKeysInPatch)} are not deep equal: this may happen when calculating the 3-way diff patch`,
        );
      }
    } else original[retainKeysDirective] = retainKeysInPatch;
    return;
  }
  if (!Array.isArray(retainKeysInPatch)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set(retainKeysInPatch);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListDirectivePrefix) || k.startsWith(setElementOrderDirectivePrefix)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function validatePatchWithSetOrderList(patchList: unknown, setOrderList: unknown, mergeKey: string): void {
  if (!Array.isArray(setOrderList)) throw errBadPatchFormatForSetElementOrderList();
  const typedPatchList = patchList === undefined ? [] : patchList;
  if (!Array.isArray(typedPatchList)) throw errBadPatchFormatForSetElementOrderList();
  if (setOrderList.length === 0 || typedPatchList.length === 0) return;
  const nonDelete = mergeKey ? extractToDeleteItems(typedPatchList)[0] : typedPatchList;
  let pi = 0;
  let si = 0;
  while (pi < nonDelete.length && si < setOrderList.length) {
    const item = nonDelete[pi];
    if (isMap(item) && Object.prototype.hasOwnProperty.call(item, directiveMarker)) {
      pi++;
      continue;
    }
    if (mergeKeyValueEqual(item, setOrderList[si], mergeKey)) pi++;
    si++;
  }
  if (pi < nonDelete.length && si >= setOrderList.length) {
    throw new StrategicMergePatchError(
      `the order in patch list:\n${goString(typedPatchList)}\n doesn't match ${setElementOrderDirectivePrefix} list:\n${goString(setOrderList)}`,
    );
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isMap(left)) throw errBadArgType('map', left);
  if (!isMap(right)) throw errBadArgType('map', right);
  if (!Object.prototype.hasOwnProperty.call(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!Object.prototype.hasOwnProperty.call(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

function mergePatchIntoOriginal(original: JSONMap, patch: JSONMap, schema: PatchSchema | undefined, opts: MergeOptions): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderDirectivePrefix) || !Object.prototype.hasOwnProperty.call(patch, key)) continue;
    const setElementOrderInPatch = patch[key];
    if (!opts.mergeParallelList) {
      if (Object.prototype.hasOwnProperty.call(original, key)) {
        if (JSON.stringify(original[key]) !== JSON.stringify(setElementOrderInPatch)) throw errBadPatchFormatForSetElementOrderList();
      } else original[key] = setElementOrderInPatch;
    }
    delete patch[key];
    if (!Array.isArray(setElementOrderInPatch)) throw errBadArgType('slice', setElementOrderInPatch);
    const originalKey = extractKey(key, setElementOrderDirectivePrefix);
    const foundOriginal = Object.prototype.hasOwnProperty.call(original, originalKey);
    const foundPatch = Object.prototype.hasOwnProperty.call(patch, originalKey);
    let originalFieldValue: unknown[] = [];
    let patchFieldValue: unknown[] = [];
    if (foundOriginal) {
      if (!Array.isArray(original[originalKey])) throw errBadArgType('slice', original[originalKey]);
      originalFieldValue = original[originalKey] as unknown[];
    }
    if (foundPatch) {
      if (!Array.isArray(patch[originalKey])) throw errBadArgType('slice', patch[originalKey]);
      patchFieldValue = patch[originalKey] as unknown[];
    }
    const field = lookupPatchField(schema, originalKey);
    const mergeKey = field.mergeKey ?? '';
    validatePatchWithSetOrderList(foundPatch ? patchFieldValue : undefined, setElementOrderInPatch, mergeKey);
    let merged: unknown[];
    // serverOrder: the caller's view of the original list, which upstream's in-place edits may have changed
    let serverOrder = originalFieldValue;
    if (foundOriginal && !foundPatch) merged = originalFieldValue;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchFieldValue).value as unknown[];
    else if (foundOriginal && foundPatch) {
      const track: SliceView = {};
      merged = mergeSliceHandler(originalFieldValue, patchFieldValue, field, false, opts, track);
      if (track.callerView) serverOrder = track.callerView;
    } else continue;
    const [patchItems, serverOnlyItems] = mergeKey
      ? partitionMapsByPresentInList(merged, setElementOrderInPatch, mergeKey)
      : partitionPrimitivesByPresentInList(merged, setElementOrderInPatch);
    if (originalFieldValue.length === 0 && patchFieldValue.length === 0) {
      original[originalKey] = merged;
    } else {
      const kind = sliceElementKind(originalFieldValue, patchFieldValue);
      original[originalKey] = normalizeElementOrder(patchItems, serverOnlyItems, setElementOrderInPatch, serverOrder, mergeKey, kind);
    }
    delete patch[originalKey];
  }
}

function mergeMap(original: JSONMap | null | undefined, patch: JSONMap, schema: PatchSchema | undefined, opts: MergeOptions): JSONMap {
  if (Object.prototype.hasOwnProperty.call(patch, directiveMarker)) return handleDirectiveInMergeMap(patch[directiveMarker], patch);
  const orig: JSONMap = original ?? {};
  applyRetainKeysDirective(orig, patch, opts);
  mergePatchIntoOriginal(orig, patch, schema, opts);

  for (const rawKey of Object.keys(patch)) {
    const patchV = patch[rawKey];
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(deleteFromPrimitiveListDirectivePrefix)) {
      if (!opts.mergeParallelList) {
        orig[rawKey] = patchV;
        continue;
      }
      k = extractKey(rawKey, deleteFromPrimitiveListDirectivePrefix);
      isDeleteList = true;
    }

    if (patchV === null) {
      delete orig[k];
      if (opts.ignoreUnmatchedNulls) continue;
    }

    if (!Object.prototype.hasOwnProperty.call(orig, k) || kindOf(orig[k]) !== kindOf(patchV)) {
      if (!isDeleteList) {
        if (opts.ignoreUnmatchedNulls) discardNullValuesFromPatch(patchV);
        const r = removeDirectives(patchV);
        if (r.keep) orig[k] = r.value;
        else delete orig[k];
      }
      continue;
    }

    const field = lookupPatchField(schema, k);
    switch (kindOf(orig[k])) {
      case 'map':
        orig[k] = strategyOf(field) !== replaceDirective ? mergeMap(orig[k] as JSONMap, patchV as JSONMap, field.schema, opts) : patchV;
        break;
      case 'slice':
        orig[k] = mergeSliceHandler(orig[k] as unknown[], patchV as unknown[], field, isDeleteList, opts);
        break;
      default: {
        const r = removeDirectives(patchV);
        if (r.keep) orig[k] = r.value;
        else delete orig[k];
      }
    }
  }
  return orig;
}

/** Receives the caller's view of the original list after upstream's in-place slice edits. */
interface SliceView {
  callerView?: unknown[];
}

function mergeSliceHandler(
  original: unknown[],
  patch: unknown[],
  field: PatchField,
  isDeleteList: boolean,
  opts: MergeOptions,
  track?: SliceView,
): unknown[] {
  if (strategyOf(field) === mergeDirective || isDeleteList) {
    return mergeSlice(original, patch, field.schema, field.mergeKey ?? '', opts, isDeleteList, track);
  }
  return patch;
}

/**
 * Merges two lists. Upstream edits the original list's backing array in place (deletions compact it, appends
 * fill spare capacity), which the caller can observe through its own slice header; `track` receives that view.
 */
function mergeSlice(
  original: unknown[],
  patch: unknown[],
  schema: PatchSchema | undefined,
  mergeKey: string,
  opts: MergeOptions,
  isDeleteList: boolean,
  track?: SliceView,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  const L = original.length;
  const cap = opts.capOf(L);
  let merged: unknown[];
  let serverOrder: unknown[];
  let patchNoSpecial: unknown[];
  if (kind !== 'map') {
    if (opts.mergeParallelList && isDeleteList) return deleteFromSlice(original, patch);
    // both := append(original, patch...) shares original's array when it has room; the de-duplication then
    // writes into it.
    const arr = [...original, ...patch];
    const n = deduplicateScalarsInPlace(arr);
    merged = arr.slice(0, n);
    if (track) track.callerView = cap >= L + patch.length ? arr.slice(0, L) : original;
    serverOrder = original;
    patchNoSpecial = patch;
  } else {
    if (!mergeKey) throw new StrategicMergePatchError(`cannot merge lists without merge key for ${schema?.name ?? 'type'}`);
    // Go slice emulation: `arr` is original's backing array, `n` the working length.
    let arr: unknown[] = [...original];
    let n = L;
    let shared = true;
    let callerArr = arr;
    const withoutSpecial: unknown[] = [];
    let replace = false;
    for (const v of patch) {
      const m = v as JSONMap;
      if (!Object.prototype.hasOwnProperty.call(m, directiveMarker)) {
        withoutSpecial.push(v);
        continue;
      }
      const t = m[directiveMarker];
      if (t === deleteDirective) {
        if (!Object.prototype.hasOwnProperty.call(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
        const mergeValue = m[mergeKey];
        for (;;) {
          const { index } = findMapInSliceBasedOnKeyValue(arr.slice(0, n), mergeKey, mergeValue);
          if (index < 0) break;
          for (let i = index; i < n - 1; i++) arr[i] = arr[i + 1];
          n--;
        }
      } else if (t === replaceDirective) {
        replace = true;
      } else if (t === mergeDirective) {
        throw new StrategicMergePatchError('merging lists cannot yet be specified in the patch');
      } else {
        throw errBadPatchType(t, m);
      }
    }
    if (replace) {
      // original = the patch without directives (a new slice), patch = nil
      arr = [...withoutSpecial];
      n = arr.length;
      shared = false;
      patchNoSpecial = [];
    } else {
      patchNoSpecial = withoutSpecial;
    }
    serverOrder = arr.slice(0, n);
    for (const v of patchNoSpecial) {
      const m = v as JSONMap;
      if (!Object.prototype.hasOwnProperty.call(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      const { map, index } = findMapInSliceBasedOnKeyValue(arr.slice(0, n), mergeKey, m[mergeKey]);
      if (map) {
        arr[index] = mergeMap(map, m, schema, opts);
      } else if (shared && n < cap) {
        arr[n++] = v;
      } else {
        arr = [...arr.slice(0, n), v];
        n++;
        shared = false;
      }
    }
    merged = arr.slice(0, n);
    if (track) track.callerView = callerArr.slice(0, L);
  }
  const [patchItems, serverOnlyItems] = mergeKey
    ? partitionMapsByPresentInList(merged, patchNoSpecial, mergeKey)
    : partitionPrimitivesByPresentInList(merged, patchNoSpecial);
  return normalizeElementOrder(patchItems, serverOnlyItems, patchNoSpecial, serverOrder, mergeKey, kind);
}

/**
 * Applies a strategic merge patch (`StrategicMergeMapPatchUsingLookupPatchMeta`).
 * @param original the live object (null/undefined = `{}`); not modified (deep-copied first)
 * @param patch the patch object; not modified
 * @param schema patch metadata of the object's kind (see `patchMetaFor` in patch-meta.ts); fields not described
 *   merge as plain objects / replace as lists
 * @returns the patched object
 * @throws StrategicMergePatchError for malformed patches, with upstream's wording (e.g.
 *   `map: map[value:b] does not contain declared merge key: name`, `... doesn't match $setElementOrder list ...`).
 */
export function strategicMergePatch(
  original: JSONMap | null | undefined,
  patch: JSONMap | null | undefined,
  schema: PatchSchema | undefined,
): JSONMap {
  if (patch !== null && patch !== undefined && !isMap(patch)) throw new StrategicMergePatchError('invalid JSON document');
  if (original !== null && original !== undefined && !isMap(original)) throw new StrategicMergePatchError('invalid JSON document');
  return mergeMap(deepCopy(original ?? {}), deepCopy(patch ?? {}), schema, {
    mergeParallelList: true,
    ignoreUnmatchedNulls: true,
    capOf: (n) => n,
  });
}

/**
 * Applies a strategic merge patch given as JSON text (`StrategicMergePatch(originalJSON, patchJSON, dataStruct)`).
 * @throws StrategicMergePatchError `invalid JSON document` for unparsable input, or any merge error.
 */
export function strategicMergePatchJSON(original: string, patch: string, schema: PatchSchema | undefined): string {
  let o: unknown;
  let p: unknown;
  try {
    o = original ? JSON.parse(original) : {};
    p = patch ? JSON.parse(patch) : {};
  } catch {
    throw new StrategicMergePatchError('invalid JSON document');
  }
  return JSON.stringify(strategicMergePatch(o as JSONMap, p as JSONMap, schema));
}

// ---------------------------------------------------------------------------------------------
// patch creation (CreateTwoWayMergePatch / CreateThreeWayMergePatch)
// ---------------------------------------------------------------------------------------------

interface DiffOptions {
  /** generate `$setElementOrder/<list>` parallel lists */
  setElementOrder?: boolean;
  /** only deletions */
  ignoreChangesAndAdditions?: boolean;
  /** only changes and additions */
  ignoreDeletions?: boolean;
  /** emit `$retainKeys` for this level (field strategy retainKeys) */
  buildRetainKeysDirective?: boolean;
}

const has = (m: JSONMap, k: string) => Object.prototype.hasOwnProperty.call(m, k);

/** Go's `fmt.Sprintf("%v", v)` for decoded JSON scalars (used by upstream to sort and compare list items). */
function goScalarString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return goString(v);
  return String(v);
}

function jsonDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonDeepEqual(x, b[i]));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => has(b, k) && jsonDeepEqual(a[k], b[k]));
  }
  return false;
}

/** upstream sortScalars: sorts in place by the `%v` string form. */
function sortScalarsInPlace(s: unknown[]): unknown[] {
  const sorted = [...s].sort((a, b) => {
    const x = goScalarString(a);
    const y = goScalarString(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (let i = 0; i < s.length; i++) s[i] = sorted[i];
  return s;
}

function sortMapsByMergeKey(s: unknown[], mergeKey: string): unknown[] {
  return [...s].sort((a, b) => {
    const x = goScalarString((a as JSONMap)[mergeKey]);
    const y = goScalarString((b as JSONMap)[mergeKey]);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function hasAdditionalNewField(original: JSONMap, modified: JSONMap): boolean {
  for (const [k, v] of Object.entries(original)) {
    if (v === null) continue;
    if (!has(modified, k)) return true;
  }
  return false;
}

function replacePatchFieldIfNotEqual(key: string, original: unknown, modified: unknown, patch: JSONMap, opts: DiffOptions): void {
  if (opts.ignoreChangesAndAdditions) return;
  if (jsonDeepEqual(original, modified)) return;
  patch[key] = modified;
}

function diffMaps(original: JSONMap, modified: JSONMap, schema: PatchSchema | undefined, opts: DiffOptions): JSONMap {
  const patch: JSONMap = {};
  const retainKeysList: unknown[] = [];
  for (const [key, modifiedValue] of Object.entries(modified)) {
    if (opts.buildRetainKeysDirective && modifiedValue !== null) retainKeysList.push(key);
    if (!has(original, key)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    const originalValue = original[key];
    if (key === directiveMarker) {
      if (typeof originalValue !== 'string' || typeof modifiedValue !== 'string') {
        throw new StrategicMergePatchError(`invalid value for special key: ${directiveMarker}`);
      }
      if (modifiedValue !== originalValue) patch[key] = modifiedValue;
      continue;
    }
    if (kindOf(originalValue) !== kindOf(modifiedValue)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    const field = lookupPatchField(schema, key);
    const retainKeys = (field.strategy ?? '').split(',').includes('retainKeys');
    if (isMap(originalValue)) {
      if (strategyOf(field) === replaceDirective) {
        if (!opts.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      } else {
        const pv = diffMaps(originalValue, modifiedValue as JSONMap, field.schema, { ...opts, buildRetainKeysDirective: retainKeys });
        if (Object.keys(pv).length > 0) patch[key] = pv;
      }
    } else if (Array.isArray(originalValue)) {
      if (strategyOf(field) === mergeDirective) {
        const { add, del, order } = diffLists(originalValue, modifiedValue as unknown[], field.schema, field.mergeKey ?? '', {
          ...opts,
          buildRetainKeysDirective: retainKeys,
        });
        if (add.length > 0) patch[key] = add;
        if (del.length > 0) patch[`${deleteFromPrimitiveListDirectivePrefix}/${key}`] = del;
        if (order.length > 0) patch[`${setElementOrderDirectivePrefix}/${key}`] = order;
      } else {
        replacePatchFieldIfNotEqual(key, originalValue, modifiedValue, patch, opts);
      }
    } else {
      replacePatchFieldIfNotEqual(key, originalValue, modifiedValue, patch, opts);
    }
  }
  if (!opts.ignoreDeletions) {
    for (const key of Object.keys(original)) if (!has(modified, key)) patch[key] = null;
  }
  if (retainKeysList.length > 0 && (Object.keys(patch).length > 0 || hasAdditionalNewField(original, modified))) {
    patch[retainKeysDirective] = sortScalarsInPlace(retainKeysList);
  }
  return patch;
}

function diffLists(
  original: unknown[],
  modified: unknown[],
  elemSchema: PatchSchema | undefined,
  mergeKey: string,
  opts: DiffOptions,
): { add: unknown[]; del: unknown[]; order: unknown[] } {
  if (original.length === 0) {
    if (modified.length === 0 || opts.ignoreChangesAndAdditions) return { add: [], del: [], order: [] };
    return { add: modified, del: [], order: [] };
  }
  const kind = sliceElementKind(original, modified);
  if (kind === 'slice') throw new StrategicMergePatchError('lists of lists are not supported');
  if (kind === 'map') {
    const { patch, deletions } = diffListsOfMaps(original, modified, elemSchema, mergeKey, opts);
    let patchList = normalizeSliceOrder(patch, modified, mergeKey, kind);
    const orderSame = isOrderSame(original, modified, mergeKey);
    patchList = [...patchList, ...deletions];
    let order: unknown[] = [];
    if (
      opts.setElementOrder &&
      ((!opts.ignoreChangesAndAdditions && (patchList.length > 0 || !orderSame)) || (!opts.ignoreDeletions && patchList.length > 0))
    ) {
      order = modified.map((v) => ({ [mergeKey]: (v as JSONMap)[mergeKey] }));
    }
    return { add: patchList, del: [], order };
  }
  const { add, del } = diffListsOfScalars(original, modified, opts);
  const patchList = normalizeSliceOrder(add, modified, mergeKey, kind);
  let order: unknown[] = [];
  // upstream compares after sorting `original` in place (diffListsOfScalars)
  if (opts.setElementOrder && ((!opts.ignoreDeletions && del.length > 0) || (!opts.ignoreChangesAndAdditions && !jsonDeepEqual(original, modified)))) {
    order = modified;
  }
  return { add: patchList, del, order };
}

function isOrderSame(original: unknown[], modified: unknown[], mergeKey: string): boolean {
  if (original.length !== modified.length) return false;
  for (let i = 0; i < modified.length; i++) if (!mergeKeyValueEqual(original[i], modified[i], mergeKey)) return false;
  return true;
}

function diffListsOfScalars(original: unknown[], modified: unknown[], opts: DiffOptions): { add: unknown[]; del: unknown[] } {
  const o = sortScalarsInPlace(original);
  const m = sortScalarsInPlace([...modified]);
  let oi = 0;
  let mi = 0;
  const add: unknown[] = [];
  let del: unknown[] = [];
  while (oi < o.length || mi < m.length) {
    const oIn = oi < o.length;
    const mIn = mi < m.length;
    const os = oIn ? goScalarString(o[oi]) : '';
    const ms = mIn ? goScalarString(m[mi]) : '';
    if (oIn && mIn && os === ms) {
      oi++;
      mi++;
    } else if (!oIn || (oIn && mIn && os > ms)) {
      if (!opts.ignoreChangesAndAdditions) add.push(m[mi]);
      mi++;
    } else {
      if (!opts.ignoreDeletions) del.push(o[oi]);
      oi++;
    }
  }
  const n = deduplicateScalarsInPlace(del);
  del = del.slice(0, n);
  return { add, del };
}

function diffListsOfMaps(
  original: unknown[],
  modified: unknown[],
  elemSchema: PatchSchema | undefined,
  mergeKey: string,
  opts: DiffOptions,
): { patch: unknown[]; deletions: unknown[] } {
  const patch: unknown[] = [];
  const deletions: unknown[] = [];
  const keyOf = (v: unknown): unknown => {
    if (!isMap(v)) throw errBadArgType('map', v);
    if (!has(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    return v[mergeKey];
  };
  original.forEach(keyOf);
  modified.forEach(keyOf);
  const os = sortMapsByMergeKey(original, mergeKey);
  const ms = sortMapsByMergeKey(modified, mergeKey);
  let oi = 0;
  let mi = 0;
  while (oi < os.length || mi < ms.length) {
    const oIn = oi < os.length;
    const mIn = mi < ms.length;
    const ok = oIn ? goScalarString(keyOf(os[oi])) : '';
    const mk = mIn ? goScalarString(keyOf(ms[mi])) : '';
    if (oIn && mIn && ok === mk) {
      const pv = diffMaps(os[oi] as JSONMap, ms[mi] as JSONMap, elemSchema, opts);
      if (Object.keys(pv).length > 0) {
        pv[mergeKey] = keyOf(ms[mi]);
        patch.push(pv);
      }
      oi++;
      mi++;
    } else if (!oIn || (oIn && mIn && ok > mk)) {
      if (!opts.ignoreChangesAndAdditions) patch.push(ms[mi]);
      mi++;
    } else {
      if (!opts.ignoreDeletions) deletions.push({ [mergeKey]: keyOf(os[oi]), [directiveMarker]: deleteDirective });
      oi++;
    }
  }
  return { patch, deletions };
}

/**
 * `CreateTwoWayMergePatch(original, modified)`: a strategic merge patch that turns `original` into `modified` when
 * applied with {@link strategicMergePatch} (null for removed fields, `$patch: delete` entries for removed list items,
 * `$deleteFromPrimitiveList/…` and `$setElementOrder/…` for merged lists, `$retainKeys` for retainKeys fields).
 * Inputs are not modified. Used for status patches (kubelet, controllers), as upstream does.
 * @throws StrategicMergePatchError for lists missing their merge key or mixing element types.
 */
export function createTwoWayMergePatch(
  original: JSONMap | null | undefined,
  modified: JSONMap | null | undefined,
  schema: PatchSchema | undefined,
): JSONMap {
  return diffMaps(deepCopy(original ?? {}), deepCopy(modified ?? {}), schema, { setElementOrder: true });
}

/** The three-way patch would overwrite changes made between `original` and `current` (overwrite=false). */
export class StrategicMergePatchConflictError extends StrategicMergePatchError {
  constructor(patch: JSONMap, changed: JSONMap) {
    super(`patch:\n${JSON.stringify(patch)}\nconflicts with changes made from original to current:\n${JSON.stringify(changed)}\n`);
    this.name = 'StrategicMergePatchConflictError';
  }
}

/**
 * `CreateThreeWayMergePatch(original, modified, current, overwrite)`: what `kubectl apply` sends. The patch holds
 * the changes from `current` (live) to `modified` (new config) without deletions, plus the deletions from
 * `original` (last-applied) to `modified`.
 * @param overwrite when false, throws {@link StrategicMergePatchConflictError} if the patch touches a field that was
 *   changed differently between original and current
 */
export function createThreeWayMergePatch(
  original: JSONMap | null | undefined,
  modified: JSONMap | null | undefined,
  current: JSONMap | null | undefined,
  schema: PatchSchema | undefined,
  overwrite = true,
): JSONMap {
  const o = deepCopy(original ?? {});
  const m = deepCopy(modified ?? {});
  const c = deepCopy(current ?? {});
  const delta = diffMaps(c, m, schema, { ignoreDeletions: true, setElementOrder: true });
  const deletions = diffMaps(o, m, schema, { setElementOrder: true, ignoreChangesAndAdditions: true });
  const patch = mergeMap(deletions, delta, schema, { mergeParallelList: false, ignoreUnmatchedNulls: false, capOf: (n) => n });
  if (!overwrite) {
    const changed = diffMaps(o, c, schema, {});
    if (mergingMapsHaveConflicts(patch, changed, schema)) throw new StrategicMergePatchConflictError(patch, changed);
  }
  return patch;
}

/**
 * `MergingMapsHaveConflicts`: true when the two patches change an overlapping key differently (strategic-merge aware:
 * merge lists compare items by merge key, merged scalar lists never conflict).
 */
export function mergingMapsHaveConflicts(left: JSONMap, right: JSONMap, schema: PatchSchema | undefined): boolean {
  return fieldsHaveConflicts(left, right, schema, '', '');
}

function fieldsHaveConflicts(left: unknown, right: unknown, schema: PatchSchema | undefined, strategy: string, mergeKey: string): boolean {
  if (isMap(left)) {
    if (!isMap(right)) return true;
    const lm = has(left, directiveMarker);
    const rm = has(right, directiveMarker);
    if (lm || rm) {
      if (lm !== rm) return true;
      if (left[directiveMarker] !== right[directiveMarker]) return true;
    }
    if (strategy === replaceDirective) return false;
    for (const [key, lv] of Object.entries(left)) {
      if (key === directiveMarker || key === retainKeysDirective || !has(right, key)) continue;
      const f = lookupPatchField(schema, key);
      if (fieldsHaveConflicts(lv, right[key], f.schema, strategyOf(f), f.mergeKey ?? '')) return true;
    }
    return false;
  }
  if (Array.isArray(left)) {
    if (!Array.isArray(right)) return true;
    const kind = sliceElementKind(left, right);
    if (strategy === mergeDirective) {
      if (kind !== 'map') return false;
      const toMap = (l: unknown[]) => {
        const out = new Map<string, unknown>();
        for (const v of l) {
          if (!isMap(v)) throw new StrategicMergePatchError(`invalid element type in merging list:${goString(l)}`);
          if (!has(v, mergeKey)) throw new StrategicMergePatchError(`cannot find merge key \`${mergeKey}\` in merging list element:${goString(v)}`);
          out.set(`${kindOf(v[mergeKey])}:${goScalarString(v[mergeKey])}`, v);
        }
        return out;
      };
      const lm = toMap(left);
      const rm = toMap(right);
      for (const [k, lv] of lm) if (rm.has(k) && fieldsHaveConflicts(lv, rm.get(k), schema, '', '')) return true;
      return false;
    }
    if (left.length !== right.length) return true;
    let l = left;
    let r = right;
    if (kind !== 'map') {
      l = sortScalarsInPlace([...left]);
      l = l.slice(0, deduplicateScalarsInPlace(l));
      sortScalarsInPlace(l);
      r = sortScalarsInPlace([...right]);
      r = r.slice(0, deduplicateScalarsInPlace(r));
      sortScalarsInPlace(r);
    }
    for (let i = 0; i < l.length; i++) if (fieldsHaveConflicts(l[i], r[i], schema, '', '')) return true;
    return false;
  }
  return !jsonDeepEqual(left, right);
}
