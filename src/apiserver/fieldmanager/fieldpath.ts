/**
 * Field sets and their FieldsV1 encoding, after sigs.k8s.io/structured-merge-diff/v4/fieldpath
 * (Set, PathElement, SetFromValue/ToJSON in serialize.go and serialize-pe.go).
 *
 * A set is a tree keyed by serialized path elements, exactly the keys of upstream's FieldsV1 JSON:
 *   `f:<name>`              a struct field or map key
 *   `k:{"name":"nginx"}`    an associative-list item, by its key fields (compact JSON, keys sorted)
 *   `v:"value"`             a set-list item, by its value (JSON)
 *   `i:3`                   a list item by index
 * A node is a *member* when the path itself is in the set (a leaf `{}` in FieldsV1, or `".": {}`
 * when the node also has children). Sets are immutable once built by the operations below.
 */

/** One path as its serialized elements, e.g. `['f:spec', 'f:replicas']`. */
export type Path = string[];

/** A set of field paths (structured-merge-diff `fieldpath.Set`). */
export class FieldSet {
  /** The path ending at this node is in the set. */
  member = false;
  /** Child nodes by serialized path element. */
  children: Map<string, FieldSet> | undefined;

  /** The child node for `key`, created when `create` is set. */
  child(key: string, create: true): FieldSet;
  child(key: string, create?: boolean): FieldSet | undefined;
  child(key: string, create = false): FieldSet | undefined {
    let c = this.children?.get(key);
    if (!c && create) {
      c = new FieldSet();
      (this.children ??= new Map()).set(key, c);
    }
    return c;
  }

  /** Adds `path` as a member (mutates). */
  insert(path: Path): this {
    let n: FieldSet = this;
    for (const k of path) n = n.child(k, true);
    n.member = true;
    return this;
  }

  /** True when `path` is a member. */
  has(path: Path): boolean {
    let n: FieldSet | undefined = this;
    for (const k of path) {
      n = n.children?.get(k);
      if (!n) return false;
    }
    return n.member;
  }

  /** The node at `path` (members and children below it), or undefined. */
  at(path: Path): FieldSet | undefined {
    let n: FieldSet | undefined = this;
    for (const k of path) {
      n = n?.children?.get(k);
      if (!n) return undefined;
    }
    return n;
  }

  /** True when the set has no member. */
  empty(): boolean {
    if (this.member) return false;
    if (this.children) for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** Set union (new set). */
  union(o: FieldSet | undefined): FieldSet {
    if (!o) return this.clone();
    const out = new FieldSet();
    out.member = this.member || o.member;
    const keys = new Set<string>([...(this.children?.keys() ?? []), ...(o.children?.keys() ?? [])]);
    for (const k of keys) {
      const a = this.children?.get(k);
      const b = o.children?.get(k);
      const c = a ? a.union(b) : b!.clone();
      if (!c.empty()) (out.children ??= new Map()).set(k, c);
    }
    return out;
  }

  /** Members of this set that are not members of `o` (new set; as upstream, member-wise). */
  difference(o: FieldSet | undefined): FieldSet {
    if (!o) return this.clone();
    const out = new FieldSet();
    out.member = this.member && !o.member;
    if (this.children) {
      for (const [k, a] of this.children) {
        const b = o.children?.get(k);
        const c = b ? a.difference(b) : a.clone();
        if (!c.empty()) (out.children ??= new Map()).set(k, c);
      }
    }
    return out;
  }

  /** Members in both sets (new set). */
  intersection(o: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    if (!o) return out;
    out.member = this.member && o.member;
    if (this.children && o.children) {
      for (const [k, a] of this.children) {
        const b = o.children.get(k);
        if (!b) continue;
        const c = a.intersection(b);
        if (!c.empty()) (out.children ??= new Map()).set(k, c);
      }
    }
    return out;
  }

  /** Deep copy. */
  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.children) {
      for (const [k, c] of this.children) if (!c.empty()) (out.children ??= new Map()).set(k, c.clone());
    }
    return out;
  }

  /** Calls `fn` with every member path, members of a node before its children, children in element order. */
  iterate(fn: (p: Path) => void, prefix: Path = []): void {
    if (this.member && prefix.length) fn(prefix.slice());
    if (!this.children) return;
    for (const k of sortedKeys(this.children)) this.children.get(k)!.iterate(fn, [...prefix, k]);
  }

  /** Number of member paths. */
  size(): number {
    let n = this.member ? 1 : 0;
    if (this.children) for (const c of this.children.values()) n += c.size();
    return n;
  }

  /** Same members. */
  equals(o: FieldSet): boolean {
    return this.difference(o).empty() && o.difference(this).empty();
  }
}

const ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Orders serialized path elements as upstream's PathElement.Less: field names, then keys, values, indexes. */
export function compareElements(a: string, b: string): number {
  const ta = ORDER[a[0]] ?? 9;
  const tb = ORDER[b[0]] ?? 9;
  if (ta !== tb) return ta - tb;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedKeys(m: Map<string, FieldSet>): string[] {
  const keys = [...m.keys()];
  if (keys.length < 2) return keys;
  // Without index elements, code-unit order of `f:` < `k:` < `v:` is upstream's order (and cheaper).
  for (const k of keys) if (k.charCodeAt(0) === 105 /* i */) return keys.sort(compareElements);
  return keys.sort();
}

/** `f:<name>` */
export function fieldElement(name: string): string {
  return `f:${name}`;
}

/** Compact JSON with object keys sorted (the form of `k:` and `v:` elements). */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJSON(o[k])}`)
    .join(',')}}`;
}

/** `k:{...}` for an associative-list item given its key field values. */
export function keyElement(keys: Record<string, unknown>): string {
  return `k:${canonicalJSON(keys)}`;
}

/** `v:<json>` for a set-list item. */
export function valueElement(v: unknown): string {
  return `v:${canonicalJSON(v)}`;
}

/**
 * Decodes metadata.managedFields[].fieldsV1 into a set. `trusted`: the keys are already canonical
 * (FieldsV1 Skiff encoded itself), so `k:`/`v:` elements are not re-parsed.
 * @throws Error when a key is not `.`, `f:`, `k:`, `v:` or `i:` or a value is not an object (upstream: "parsing JSON").
 */
export function fieldSetFromFieldsV1(v: unknown, trusted = false): FieldSet {
  const out = new FieldSet();
  decodeInto(out, v, true, trusted);
  return out;
}

function decodeInto(node: FieldSet, v: unknown, root: boolean, trusted: boolean): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected an object in fieldsV1');
  const entries = Object.entries(v as Record<string, unknown>);
  if (!root && entries.length === 0) {
    node.member = true;
    return;
  }
  for (const [k, c] of entries) {
    if (k === '.') {
      if (root) throw new Error('unexpected "." at the root of fieldsV1');
      node.member = true;
      continue;
    }
    decodeInto(node.child(trusted ? k : canonicalElement(k), true), c, false, trusted);
  }
}

/** Validates one serialized path element and returns its canonical form. */
function canonicalElement(k: string): string {
  const t = k.slice(0, 2);
  const rest = k.slice(2);
  switch (t) {
    case 'f:':
      return k;
    case 'k:': {
      let o: unknown;
      try {
        o = JSON.parse(rest);
      } catch {
        throw new Error(`invalid key element ${JSON.stringify(k)}`);
      }
      if (o === null || typeof o !== 'object' || Array.isArray(o) || Object.keys(o).length === 0) throw new Error(`invalid key element ${JSON.stringify(k)}`);
      return keyElement(o as Record<string, unknown>);
    }
    case 'v:':
      try {
        return valueElement(JSON.parse(rest));
      } catch {
        throw new Error(`invalid value element ${JSON.stringify(k)}`);
      }
    case 'i:':
      if (!/^(0|[1-9][0-9]*)$/.test(rest)) throw new Error(`invalid index element ${JSON.stringify(k)}`);
      return k;
    default:
      throw new Error(`unknown path element type in ${JSON.stringify(k)}`);
  }
}

/** Encodes a set as FieldsV1 JSON (`.` first, then elements in upstream order). */
export function fieldSetToFieldsV1(s: FieldSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!s.children) return out;
  for (const k of sortedKeys(s.children)) {
    const c = s.children.get(k)!;
    if (c.empty()) continue;
    out[k] = encodeNode(c);
  }
  return out;
}

function encodeNode(n: FieldSet): Record<string, unknown> {
  const hasChildren = !!n.children && [...n.children.values()].some((c) => !c.empty());
  if (!hasChildren) return {};
  const out: Record<string, unknown> = {};
  if (n.member) out['.'] = {};
  for (const k of sortedKeys(n.children!)) {
    const c = n.children!.get(k)!;
    if (!c.empty()) out[k] = encodeNode(c);
  }
  return out;
}

/**
 * Prints a path as upstream's fieldpath.Path.String(): `.spec.replicas`,
 * `.spec.containers[name="nginx"].image`, `.metadata.finalizers[="a"]`, `.x[0]`.
 */
export function pathString(p: Path): string {
  let s = '';
  for (const e of p) {
    const t = e.slice(0, 2);
    const rest = e.slice(2);
    if (t === 'f:') s += `.${rest}`;
    else if (t === 'k:') {
      const o = JSON.parse(rest) as Record<string, unknown>;
      s += `[${Object.keys(o)
        .sort()
        .map((k) => `${k}=${canonicalJSON(o[k])}`)
        .join(',')}]`;
    } else if (t === 'v:') s += `[=${rest}]`;
    else s += `[${rest}]`;
  }
  return s;
}
