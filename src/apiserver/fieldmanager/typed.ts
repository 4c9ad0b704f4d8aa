/**
 * Walks over JSON objects with a {@link TypeNode} schema: the field set of an object, the
 * comparison of two objects, the apply merge and the removal of a set of paths. After
 * structured-merge-diff/v4/typed (tofieldset.go, compare.go, merge.go, remove.go).
 */
import { FieldSet, fieldElement, keyElement, pathString, valueElement, type Path } from './fieldpath.ts';
import { KEY_DEFAULTS, type TypeNode } from './schema.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isEmptyContainer(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) {
    for (const k in v) if (v[k] !== undefined) return false;
    return true;
  }
  return false;
}

function childNode(n: TypeNode | undefined, key: string): TypeNode | undefined {
  if (!n) return undefined;
  return (n.fields && Object.hasOwn(n.fields, key) ? n.fields[key] : undefined) ?? n.values;
}

/** `o[k] = v` as an own property, also for the key `__proto__` (a valid ConfigMap key). */
function setOwn(o: Obj, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * A value that does not fit the schema (structured-merge-diff's typed conversion errors, e.g. an
 * associative-list item without its key field). Message in SMD's form: `<path>: element <i>: …`.
 */
export class TypedConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypedConversionError';
  }
}

/** The key element of an associative-list item, or undefined when the item lacks a key field. */
export function itemKey(item: unknown, keys: string[]): string | undefined {
  if (!isObj(item)) return undefined;
  const o: Obj = {};
  for (const k of keys) {
    let v = item[k];
    if (v === undefined || v === null) v = KEY_DEFAULTS[k];
    if (v === undefined || v === null) return undefined;
    o[k] = v;
  }
  return keyElement(o);
}

/**
 * The element keys of a non-atomic list, in list order; undefined when the list must be tracked
 * atomically (items without key fields, or duplicate keys: upstream treats such lists atomically
 * on update).
 */
function listElements(list: unknown[], n: TypeNode | undefined): string[] | undefined {
  const rel = n?.list ?? 'atomic';
  if (rel === 'atomic') return undefined;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const item of list) {
    const k = rel === 'map' ? itemKey(item, n!.keys ?? []) : valueElement(item);
    if (k === undefined || seen.has(k)) return undefined;
    seen.add(k);
    out.push(k);
  }
  return out;
}

/** Whether the value at this position is a leaf for set building (scalars, atomic, empty containers). */
function isLeaf(v: unknown, n: TypeNode | undefined): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (isEmptyContainer(v)) return true;
  if (Array.isArray(v)) return (n?.list ?? 'atomic') === 'atomic';
  return !!n?.atomic;
}

/**
 * The set of every field present in `obj` (typed.ToFieldSet): leaves and atomic values as
 * members, list items as members with their fields below. Throws TypedConversionError (as
 * upstream's typed conversion) when an associative-list item lacks a key field or keys repeat;
 * pass `lenient` to track such lists atomically instead.
 */
export function toFieldSet(obj: unknown, n: TypeNode | undefined, lenient = false): FieldSet {
  const out = new FieldSet();
  if (isObj(obj)) walkObject(out, obj, n, [], lenient);
  return out;
}

function walkObject(set: FieldSet, o: Obj, n: TypeNode | undefined, path: Path, lenient: boolean): void {
  for (const k in o) {
    const v = o[k];
    if (v === undefined) continue;
    walkValue(set.child(fieldElement(k), true), v, childNode(n, k), [...path, fieldElement(k)], lenient, false);
  }
}

function walkValue(node: FieldSet, v: unknown, n: TypeNode | undefined, path: Path, lenient: boolean, item: boolean): void {
  if (item) node.member = true;
  if (isLeaf(v, n) || (item && n?.atomic)) {
    node.member = true;
    return;
  }
  if (Array.isArray(v)) {
    const els = elementsOrThrow(v, n, path, lenient);
    if (!els) {
      node.member = true;
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const c = node.child(els[i], true);
      if (n!.list === 'set') c.member = true;
      else walkValue(c, v[i], n, [...path, els[i]], lenient, true);
    }
    return;
  }
  walkObject(node, v as Obj, n, path, lenient);
}

function elementsOrThrow(v: unknown[], n: TypeNode | undefined, path: Path, lenient: boolean): string[] | undefined {
  const els = listElements(v, n);
  if (els || lenient || (n?.list ?? 'atomic') === 'atomic') return els;
  // Explain the first offending item as upstream does.
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const k = n!.list === 'map' ? itemKey(v[i], n!.keys ?? []) : valueElement(v[i]);
    if (k === undefined) {
      const missing = (n!.keys ?? []).find((key) => !isObj(v[i]) || ((v[i] as Obj)[key] ?? KEY_DEFAULTS[key]) === undefined) ?? '';
      throw new TypedConversionError(`${pathString(path)}: element ${i}: associative list with keys has an element that omits key field "${missing}" (and doesn't have default value)`);
    }
    if (seen.has(k)) throw new TypedConversionError(`${pathString(path)}: duplicate entries for key ${pathString([k])}`);
    seen.add(k);
  }
  return els;
}

/** The result of {@link compare}: paths added, modified and removed going from the old to the new object. */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * Compares two objects (typed.Compare): a path missing on one side is added/removed (containers
 * too, so a new map or list item becomes a `.` member), differing leaves are modified; two empty
 * containers are leaves. Lists that cannot be keyed are compared as atomic values.
 */
export function compare(a: unknown, b: unknown, n: TypeNode | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  cmpObject(c, isObj(a) ? a : {}, isObj(b) ? b : {}, n, []);
  return c;
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function cmpObject(c: Comparison, a: Obj | undefined, b: Obj | undefined, n: TypeNode | undefined, path: Path): void {
  if (a) {
    for (const k in a) {
      const av = a[k];
      if (av === undefined) continue;
      const bv = b && Object.hasOwn(b, k) ? b[k] : undefined;
      // Fast paths (most of an object is unchanged): equal scalars, equal subtrees.
      if (av === bv) continue;
      if (bv !== undefined && isScalar(av) && isScalar(bv)) {
        path.push('f:' + k);
        c.modified.insert(path);
        path.pop();
        continue;
      }
      if (bv !== undefined && !isScalar(av) && !isScalar(bv) && jsonEq(av, bv)) continue;
      path.push('f:' + k);
      cmpValue(c, av, bv, childNode(n, k), path);
      path.pop();
    }
  }
  if (b) {
    for (const k in b) {
      if (b[k] === undefined || (a && Object.hasOwn(a, k) && a[k] !== undefined)) continue;
      path.push('f:' + k);
      cmpValue(c, undefined, b[k], childNode(n, k), path);
      path.pop();
    }
  }
}

function cmpLeaf(c: Comparison, a: unknown, b: unknown, path: Path): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) c.added.insert(path);
  else if (b === undefined) c.removed.insert(path);
  else if (!jsonEq(a, b)) c.modified.insert(path);
}

type Kind = 'leaf' | 'obj' | 'list';

function kindOf(v: unknown, n: TypeNode | undefined): Kind {
  if (v === null || typeof v !== 'object') return 'leaf';
  if (Array.isArray(v)) return (n?.list ?? 'atomic') === 'atomic' ? 'leaf' : 'list';
  return n?.atomic ? 'leaf' : 'obj';
}

function cmpValue(c: Comparison, a: unknown, b: unknown, n: TypeNode | undefined, path: Path): void {
  if (a === b) return;
  // A null (a Go nil slice/map without omitempty) turning into a container: its content is added, not the node.
  if (a === null && b !== undefined && kindOf(b, n) !== 'leaf' && !isEmptyContainer(b)) {
    if (Array.isArray(b)) return cmpValue(c, [], b, n, path);
    return cmpObject(c, undefined, b as Obj, n, path);
  }
  const ka = a === undefined ? undefined : kindOf(a, n);
  const kb = b === undefined ? undefined : kindOf(b, n);
  if (ka === 'leaf' || kb === 'leaf' || (ka && kb && ka !== kb)) return cmpLeaf(c, a, b, path);
  // Both empty (or one absent and the other empty): a leaf, keeping the empty/absent distinction.
  if ((a === undefined || isEmptyContainer(a)) && (b === undefined || isEmptyContainer(b))) return cmpLeaf(c, a, b, path);
  if (a === undefined) c.added.insert(path);
  else if (b === undefined) c.removed.insert(path);
  if ((ka ?? kb) === 'list') {
    const la = (a as unknown[] | undefined) ?? [];
    const lb = (b as unknown[] | undefined) ?? [];
    const ea = listElements(la, n);
    const eb = listElements(lb, n);
    if (!ea || !eb) {
      if (a !== undefined && b !== undefined) cmpLeaf(c, a, b, path);
      return;
    }
    const ia = new Map<string, unknown>();
    for (let i = 0; i < la.length; i++) ia.set(ea[i], la[i]);
    const ib = new Map<string, unknown>();
    for (let i = 0; i < lb.length; i++) ib.set(eb[i], lb[i]);
    const set = n!.list === 'set';
    for (const [k, v] of ia) {
      path.push(k);
      if (set) cmpLeaf(c, v, ib.has(k) ? v : undefined, path);
      else cmpItem(c, v, ib.get(k), n, path);
      path.pop();
    }
    for (const [k, v] of ib) {
      if (ia.has(k)) continue;
      path.push(k);
      if (set) cmpLeaf(c, undefined, v, path);
      else cmpItem(c, undefined, v, n, path);
      path.pop();
    }
    return;
  }
  cmpObject(c, a as Obj | undefined, b as Obj | undefined, n, path);
}

/** An associative-list item: the item path itself is added/removed, then its fields are compared. */
function cmpItem(c: Comparison, a: unknown, b: unknown, n: TypeNode | undefined, path: Path): void {
  if (n?.atomic || !isObj(a ?? b) || (a !== undefined && !isObj(a)) || (b !== undefined && !isObj(b))) return cmpLeaf(c, a, b, path);
  if (a === undefined) c.added.insert(path);
  else if (b === undefined) c.removed.insert(path);
  cmpObject(c, a as Obj | undefined, b as Obj | undefined, n, path);
}

/** Deep equality of JSON values (undefined object members ignored). */
export function jsonEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEq(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Obj;
  const bo = b as Obj;
  let na = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    na++;
    if (!jsonEq(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k in bo) if (bo[k] !== undefined) nb++;
  return na === nb;
}

/**
 * The apply merge (typed.Merge): `config` over `live`. Granular objects merge key by key (a
 * `null` in the configuration removes the field), associative lists merge by key (live order
 * kept, new items appended), set lists are unioned, everything else is replaced. Returns a new
 * value; inputs are not modified. Throws TypedConversionError for associative items without keys.
 */
export function merge(live: unknown, config: unknown, n: TypeNode | undefined, path: Path = [], item = false): unknown {
  if (config === undefined) return live;
  if (isObj(config) && isObj(live) && !n?.atomic) {
    const out: Obj = { ...live };
    for (const k in config) {
      const cv = config[k];
      if (cv === undefined) continue;
      if (cv === null) {
        delete out[k];
        continue;
      }
      setOwn(out, k, merge(Object.hasOwn(live, k) ? live[k] : undefined, cv, childNode(n, k), [...path, fieldElement(k)]));
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && (n?.list ?? 'atomic') !== 'atomic') {
    const ec = elementsOrThrow(config, n, path, false)!;
    const el = listElements(live, n);
    if (!el) return structuredClone(config);
    const set = n!.list === 'set';
    const L = new Map<string, unknown>();
    for (let i = 0; i < live.length; i++) L.set(el[i], live[i]);
    const R = new Map<string, unknown>();
    for (let i = 0; i < config.length; i++) R.set(ec[i], config[i]);
    const item = (k: string): unknown => {
      if (set) return L.has(k) ? L.get(k) : R.get(k);
      return L.has(k) ? merge(L.get(k), R.get(k), n, [...path, k], true) : mergeNew(R.get(k), n, [...path, k]);
    };
    // Upstream's visitListItems order: shared items in the configuration's order, live-only items
    // kept where they are, configuration-only items at their position in the configuration.
    const shared = ec.filter((k) => L.has(k));
    let si = 0;
    let nextShared: string | undefined = shared[si];
    const out: unknown[] = [];
    for (let lI = 0, rI = 0; lI < el.length || rI < ec.length; ) {
      if (lI < el.length && rI < ec.length) {
        const k = el[lI];
        if (k === ec[rI]) {
          out.push(item(k));
          lI++;
          rI++;
          nextShared = shared[++si];
          continue;
        }
        if (R.has(k) && nextShared !== undefined && nextShared !== k) {
          lI++;
          continue;
        }
      }
      if (lI < el.length && !R.has(el[lI])) {
        out.push(L.get(el[lI]));
        lI++;
        continue;
      }
      if (rI < ec.length) {
        const k = ec[rI];
        out.push(item(k));
        rI++;
        if (nextShared === k) nextShared = shared[++si];
        continue;
      }
      lI++; // a shared live item already emitted from the configuration side
    }
    return out;
  }
  if (Array.isArray(config) && (n?.list ?? 'atomic') !== 'atomic') elementsOrThrow(config, n, path, false);
  return mergeNew(config, n, path);
}

/** A configuration value with no live counterpart: a copy without its `null` fields. */
function mergeNew(config: unknown, n: TypeNode | undefined, path: Path): unknown {
  if (isObj(config) && !n?.atomic) return merge({}, config, n, path);
  return structuredClone(config);
}

/**
 * Removes the paths of `toRemove` from `obj` in place (typed.RemoveItems). A member path is
 * removed with everything below it, except when `keep` has members at or below it (other owners):
 * then only its listed children are removed. An object emptied by the removal is dropped too
 * unless `keep` has it as a member.
 */
export function removeItems(obj: Obj, toRemove: FieldSet, keep: FieldSet | undefined, n: TypeNode | undefined): void {
  removeFromObject(obj, toRemove, keep, n);
}

function removeFromObject(o: Obj, rm: FieldSet, keep: FieldSet | undefined, n: TypeNode | undefined): void {
  if (!rm.children) return;
  for (const [el, sub] of rm.children) {
    if (!el.startsWith('f:')) continue;
    const k = el.slice(2);
    if (!Object.hasOwn(o, k)) continue;
    const keepSub = keep?.children?.get(el);
    if (sub.member && (!keepSub || keepSub.empty())) {
      delete o[k];
      continue;
    }
    const v = o[k];
    const cn = childNode(n, k);
    const wasEmpty = isEmptyContainer(v);
    if (Array.isArray(v)) o[k] = removeFromList(v, sub, keepSub, cn);
    else if (isObj(v)) removeFromObject(v, sub, keepSub, cn);
    if (!wasEmpty && isEmptyContainer(o[k]) && !keepSub?.member) delete o[k];
  }
}

function removeFromList(list: unknown[], rm: FieldSet, keep: FieldSet | undefined, n: TypeNode | undefined): unknown[] {
  const els = listElements(list, n);
  if (!els || !rm.children) return list;
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    const sub = rm.children.get(els[i]);
    if (!sub) {
      out.push(list[i]);
      continue;
    }
    const keepSub = keep?.children?.get(els[i]);
    if (sub.member && (!keepSub || keepSub.empty())) continue;
    if (isObj(list[i])) removeFromObject(list[i] as Obj, sub, keepSub, n);
    out.push(list[i]);
  }
  return out;
}

