/**
 * Server-side field validation (`fieldValidation=Strict|Warn|Ignore`), after upstream's strict decoding
 * (k8s.io/apimachinery/pkg/runtime/serializer/json strict mode over sigs.k8s.io/json, and for patches
 * k8s.io/apiserver/pkg/endpoints/handlers/patch.go + runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation).
 *
 * Unknown fields are found by walking the decoded body against the generated OpenAPI definitions
 * (src/apiserver/openapi/definitions.json), at any depth, with upstream's paths: `spec.replica`,
 * `spec.template.spec.containers[0].imagee`, `metadata.labels` map keys as `.key`. Duplicate keys in a JSON body
 * are found by scanning the raw text (remembered per decoded body with {@link rememberRawJSON}).
 *
 * Messages and order as upstream:
 * - create/update (typed strict decoding): in document order, `duplicate field "p"` for a known field given twice
 *   (a field both unknown and duplicated is only reported as unknown), `unknown field "p"`;
 * - patches: every `duplicate field` of the patch body first (document order), then `unknown field`s sorted.
 * Values that are not of the schema's shape (a string where an object is expected, …) are not descended into;
 * fields typed as RawExtension / JSON / FieldsV1 (no properties) accept anything.
 */
import type { ResourceInfo } from '../../api/resource-types.ts';
import { definitionNameForGVK, loadDefinitions, type GroupVersionKind } from '../openapi/definitions.ts';
import { REF_PREFIX, type OpenAPISchema } from '../openapi/schema.ts';

/** A compiled schema node: what a value at some path may contain. */
type Node = ObjectNode | { t: 'map'; values: Node } | { t: 'array'; items: Node } | { t: 'any' };

interface ObjectNode {
  t: 'object';
  def: string;
  /** Field name → node, filled lazily from the definition's properties. */
  fields: Map<string, Node>;
  props: Record<string, OpenAPISchema>;
}

const ANY: Node = { t: 'any' };
const compiled = new Map<string, Node>();

function refOf(s: OpenAPISchema): string | undefined {
  const r = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0].$ref : undefined);
  return r?.startsWith(REF_PREFIX) ? r.slice(REF_PREFIX.length) : undefined;
}

/** The node of a named definition (objects with properties are checked; anything else accepts every value). */
function definitionNode(name: string): Node {
  let n = compiled.get(name);
  if (n) return n;
  const def = loadDefinitions()[name];
  if (def?.properties && Object.keys(def.properties).length) {
    n = { t: 'object', def: name, fields: new Map(), props: def.properties };
  } else if (def?.additionalProperties) {
    n = { t: 'map', values: schemaNode(def.additionalProperties) };
  } else {
    n = ANY;
  }
  compiled.set(name, n);
  return n;
}

function schemaNode(s: OpenAPISchema): Node {
  const ref = refOf(s);
  if (ref) return definitionNode(ref);
  if (s.items) return { t: 'array', items: schemaNode(s.items) };
  if (s.additionalProperties) return { t: 'map', values: schemaNode(s.additionalProperties) };
  return ANY;
}

function fieldNode(o: ObjectNode, key: string): Node | undefined {
  let n = o.fields.get(key);
  if (n) return n;
  if (!Object.hasOwn(o.props, key)) return undefined;
  n = schemaNode(o.props[key]);
  o.fields.set(key, n);
  return n;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

interface WalkState {
  patch: boolean;
  unknown: string[];
  /** typed mode: messages in document order (unknown and duplicate interleaved) */
  messages: string[];
  /** path of an object → its keys given more than once */
  dups: Map<string, Set<string>> | undefined;
  /** when set, unknown fields found are collected here for removal (object, key) */
  prune?: [Record<string, unknown>, string][];
}

function walk(v: unknown, node: Node, path: string, st: WalkState): void {
  switch (node.t) {
    case 'any':
      return;
    case 'array':
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(v[i], node.items, `${path}[${i}]`, st);
      return;
    case 'map':
      if (isPlainObject(v)) {
        const d = st.dups?.get(path);
        for (const k of Object.keys(v)) {
          if (d?.has(k) && !st.patch) st.messages.push(`duplicate field "${join(path, k)}"`);
          walk(v[k], node.values, join(path, k), st);
        }
      }
      return;
    case 'object': {
      if (!isPlainObject(v)) return;
      const d = st.dups?.get(path);
      for (const k of Object.keys(v)) {
        if (st.patch && k.charCodeAt(0) === 36 /* '$': strategic-merge directive */) continue;
        const child = fieldNode(node, k);
        const p = join(path, k);
        if (!child) {
          st.unknown.push(p);
          st.messages.push(`unknown field "${p}"`);
          st.prune?.push([v, k]);
          continue;
        }
        if (d?.has(k) && !st.patch) st.messages.push(`duplicate field "${p}"`);
        walk(v[k], child, p, st);
      }
    }
  }
}

const rawBodies = new WeakMap<object, string>();

/**
 * Remembers the JSON text a body was decoded from, so duplicate keys (which JSON.parse drops) can be reported.
 * Costs nothing until validation asks for it. `obj` must be the decoded root object.
 */
export function rememberRawJSON(obj: unknown, text: string): void {
  if (typeof obj === 'object' && obj !== null) rawBodies.set(obj, text);
}

/** A key given more than once in one JSON object: `path` of the object ('' = root) and the key. */
export interface DuplicateField {
  path: string;
  key: string;
}

/**
 * Scans JSON text for keys repeated within one object, in the order of their repeated occurrence, with paths
 * as upstream prints them (`spec.template.spec.containers[0]`). Returns [] for text that is not valid JSON
 * (the caller's JSON.parse reports that). O(length of text).
 */
export function findDuplicateFields(text: string): DuplicateField[] {
  const out: DuplicateField[] = [];
  // Stack of containers: for objects the key set and the path; for arrays the next index.
  const stack: { obj: boolean; path: string; keys?: Set<string>; index: number; key?: string }[] = [];
  let i = 0;
  const n = text.length;
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.obj ? join(top.path, top.key ?? '') : `${top.path}[${top.index}]`;
  };
  const readString = (): string | undefined => {
    // text[i] === '"'
    let j = text.indexOf('"', i + 1);
    for (;;) {
      if (j < 0) return undefined;
      let b = 0;
      while (text.charCodeAt(j - 1 - b) === 92) b++;
      if (b % 2 === 0) break; // not escaped
      j = text.indexOf('"', j + 1);
    }
    const raw = text.slice(i, j + 1);
    i = j + 1;
    if (raw.indexOf('\\') < 0) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return undefined;
    }
  };
  let expectKey = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) {
      stack.push({ obj: true, path: childPath(), keys: new Set(), index: 0 });
      expectKey = true;
      i++;
    } else if (c === 91 /* [ */) {
      stack.push({ obj: false, path: childPath(), index: 0 });
      expectKey = false;
      i++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      i++;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (!top) return out;
      if (top.obj) expectKey = true;
      else top.index++;
      i++;
    } else if (c === 34 /* " */) {
      const s = readString();
      if (s === undefined) return out;
      const top = stack[stack.length - 1];
      if (expectKey && top?.obj) {
        if (top.keys!.has(s)) out.push({ path: top.path, key: s });
        else top.keys!.add(s);
        top.key = s;
        expectKey = false;
      }
    } else {
      i++;
    }
  }
  return out;
}

/** Group/version of `kind` as written through `ri` (the resource itself or one of its subresources' kinds). */
export function groupVersionKindFor(ri: ResourceInfo, kind: string): GroupVersionKind {
  if (kind === ri.kind) return { group: ri.group, version: ri.version, kind };
  const sub = ri.subresources.find((s) => s.kind === kind);
  return sub ? { group: sub.group, version: sub.version, kind } : { group: ri.group, version: ri.version, kind };
}

/**
 * Strict-decoding problems of a decoded body of `gvk`, as upstream's messages (`unknown field "spec.replica"`,
 * `duplicate field "metadata.name"`), in upstream's order (see the file comment). `opts.patch` selects the
 * patch rules (SMP `$` directives skipped; duplicates first, then sorted unknown fields). Kinds without a
 * generated schema are only checked for duplicates. `opts.prune` also deletes the unknown fields from `obj` (in place),
 * as upstream's decoding into typed objects drops them (used for fieldValidation=Warn). Never throws.
 */
export function fieldValidationErrors(gvk: GroupVersionKind, obj: unknown, opts: { patch?: boolean; prune?: boolean } = {}): string[] {
  const name = definitionNameForGVK(gvk.group, gvk.version, gvk.kind);
  const raw = typeof obj === 'object' && obj !== null ? rawBodies.get(obj) : undefined;
  const dupList = raw !== undefined ? findDuplicateFields(raw) : [];
  let dups: Map<string, Set<string>> | undefined;
  if (dupList.length) {
    dups = new Map();
    for (const d of dupList) {
      let s = dups.get(d.path);
      if (!s) dups.set(d.path, (s = new Set()));
      s.add(d.key);
    }
  }
  const st: WalkState = { patch: !!opts.patch, unknown: [], messages: [], dups, prune: opts.prune ? [] : undefined };
  if (name) walk(obj, definitionNode(name), '', st);
  for (const [o, k] of st.prune ?? []) delete o[k];
  if (opts.patch) {
    const unknown = [...st.unknown].sort();
    return [...dupList.map((d) => `duplicate field "${join(d.path, d.key)}"`), ...unknown.map((p) => `unknown field "${p}"`)];
  }
  if (!name) return dupList.map((d) => `duplicate field "${join(d.path, d.key)}"`);
  return st.messages;
}

/**
 * Unknown field paths (`spec.template.spec.containers[0].imagee`) of a decoded body of `gvk`, in document order;
 * [] when the kind has no generated schema. Does not modify `obj`.
 */
export function strictUnknownFields(gvk: GroupVersionKind, obj: unknown): string[] {
  const name = definitionNameForGVK(gvk.group, gvk.version, gvk.kind);
  if (!name) return [];
  const st: WalkState = { patch: false, unknown: [], messages: [], dups: undefined };
  walk(obj, definitionNode(name), '', st);
  return st.unknown;
}
