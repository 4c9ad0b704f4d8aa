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
 *
 * The same walk does upstream's typed decoding ({@link strictDecode} `types`): the Go type of each schema node is
 * derived from the schema (`string`, `bool`, `int32`/`int64` from `format`, `float64`, `[]T`, `map[string]T`,
 * `v1.Name` from definition names; IntOrString, Quantity and Time by their own UnmarshalJSON), and the first wrongly
 * typed value is reported as encoding/json's UnmarshalTypeError (sigs.k8s.io/json decode.go: innermost struct name,
 * field path from the root without indices or map keys), or as runtime.DefaultUnstructuredConverter for strategic
 * merge patches. Named Go types (`v1.Protocol`, `v1.ResourceList`, `[]byte`) are not in the schemas: messages print
 * the underlying type.
 */
import type { ResourceInfo } from '../../api/resource-types.ts';
import { definitionNameForGVK, loadDefinitions, type GroupVersionKind } from '../openapi/definitions.ts';
import { REF_PREFIX, type OpenAPISchema } from '../openapi/schema.ts';
import { parseQuantity } from '../../machinery/quantity.ts';

/**
 * A compiled schema node: what a value at some path may contain, with the Go type upstream decodes it into
 * (`go`: `string`, `int32`, `[]v1.Container`, `map[string]string`, `v1.ObjectMeta`; as reflect.Type.String() prints it).
 * `intOrString`, `quantity` and `time` are the types with their own UnmarshalJSON (intstr.IntOrString,
 * resource.Quantity, metav1.Time/MicroTime); `any` accepts every value (RawExtension, JSON, FieldsV1, …).
 */
type Node =
  | ObjectNode
  | { t: 'map'; values: Node; go: string }
  | { t: 'array'; items: Node; go: string }
  | { t: 'scalar'; kind: 'string' | 'bool' | 'int' | 'float'; go: string }
  | { t: 'intOrString'; go: string }
  | { t: 'quantity'; go: string }
  | { t: 'time'; go: string }
  | { t: 'bytes'; go: string }
  | { t: 'any'; go: string };

interface ObjectNode {
  t: 'object';
  def: string;
  /** Go type (`v1.Deployment`) and struct name (`Deployment`) of the definition. */
  go: string;
  struct: string;
  /** Field name → node, filled lazily from the definition's properties. */
  fields: Map<string, Node>;
  props: Record<string, OpenAPISchema>;
}

const ANY: Node = { t: 'any', go: 'interface {}' };
const compiled = new Map<string, Node>();

/** Upstream's Quantity definition name (its own UnmarshalJSON: resource.ParseQuantity on the text). */
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function refOf(s: OpenAPISchema): string | undefined {
  const r = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0].$ref : undefined);
  return r?.startsWith(REF_PREFIX) ? r.slice(REF_PREFIX.length) : undefined;
}

/** Go type name of a definition: `io.k8s.api.apps.v1.Deployment` → `v1.Deployment` (package name + type name). */
function goTypeName(def: string): string {
  const parts = def.split('.');
  return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : def;
}

/** The node of a named definition (objects with properties are checked; anything else accepts every value). */
function definitionNode(name: string): Node {
  let n = compiled.get(name);
  if (n) return n;
  const def = loadDefinitions()[name];
  const go = goTypeName(name);
  if (def?.['x-kubernetes-int-or-string']) {
    n = { t: 'intOrString', go };
  } else if (name === QUANTITY) {
    n = { t: 'quantity', go };
  } else if (def?.type === 'string' && def.format === 'date-time') {
    n = { t: 'time', go };
  } else if (def?.properties && Object.keys(def.properties).length) {
    n = { t: 'object', def: name, go, struct: go.slice(go.indexOf('.') + 1), fields: new Map(), props: def.properties };
  } else if (def?.additionalProperties) {
    const values = schemaNode(def.additionalProperties);
    n = { t: 'map', values, go: `map[string]${values.go}` };
  } else {
    n = { t: 'any', go };
  }
  compiled.set(name, n);
  return n;
}

/** Go type of a scalar schema: `type` + `format` (int32/int64 from the format; `number` is float64). */
function schemaNode(s: OpenAPISchema): Node {
  const ref = refOf(s);
  if (ref) return definitionNode(ref);
  if (s.items) {
    const items = schemaNode(s.items);
    return { t: 'array', items, go: `[]${items.go}` };
  }
  if (s.additionalProperties) {
    const values = schemaNode(s.additionalProperties);
    return { t: 'map', values, go: `map[string]${values.go}` };
  }
  switch (s.type) {
    case 'string':
      return { t: 'scalar', kind: 'string', go: 'string' };
    case 'boolean':
      return { t: 'scalar', kind: 'bool', go: 'bool' };
    case 'integer':
      return { t: 'scalar', kind: 'int', go: s.format === 'int32' || s.format === 'int64' ? s.format : 'int' };
    case 'number':
      return { t: 'scalar', kind: 'float', go: 'float64' };
  }
  return ANY;
}

/**
 * Fields that are `[]byte` upstream (`format: byte` in upstream's OpenAPI; kubernetes-types types them as plain
 * strings, so this is the one type fact the generated schemas lack): definition name suffix `#` field.
 */
const BYTE_FIELDS = new Set([
  'core.v1.Secret#data',
  'core.v1.ConfigMap#binaryData',
  'certificates.v1.CertificateSigningRequestSpec#request',
  'certificates.v1.CertificateSigningRequestStatus#certificate',
  'admissionregistration.v1.WebhookClientConfig#caBundle',
  'apiextensions.v1.WebhookClientConfig#caBundle',
]);
const BYTES: Node = { t: 'bytes', go: '[]uint8' };

function fieldNode(o: ObjectNode, key: string): Node | undefined {
  let n = o.fields.get(key);
  if (n) return n;
  if (!Object.hasOwn(o.props, key)) return undefined;
  n = schemaNode(o.props[key]);
  const pkgType = o.def.split('.').slice(-3).join('.');
  if (BYTE_FIELDS.has(`${pkgType}#${key}`)) {
    if (n.t === 'map') n = { t: 'map', values: BYTES, go: 'map[string][]uint8' };
    else if (n.t === 'scalar') n = BYTES;
  }
  o.fields.set(key, n);
  return n;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALID = new Uint8Array(256);
for (const c of B64_ALPHABET) B64_VALID[c.charCodeAt(0)] = 1;

/**
 * encoding/base64 StdEncoding.Decode's CorruptInputError offset for `s` (byte offset in its UTF-8 form), or undefined
 * when it decodes (decodeQuantum: padding rules, CR/LF skipped, trailing garbage after padding).
 */
export function base64CorruptOffset(s: string): number | undefined {
  const b = Buffer.from(s, 'utf8');
  const n = b.length;
  const isNL = (c: number): boolean => c === 10 || c === 13;
  let si = 0;
  while (si < n) {
    for (let j = 0; j < 4; j++) {
      if (si === n) return j === 0 ? undefined : si - j;
      const c = b[si++];
      if (B64_VALID[c]) continue;
      if (isNL(c)) {
        j--;
        continue;
      }
      if (c !== 61 /* '=' */ || j < 2) return si - 1;
      if (j === 2) {
        while (si < n && isNL(b[si])) si++;
        if (si === n) return n;
        if (b[si] !== 61) return si - 1;
        si++;
      }
      while (si < n && isNL(b[si])) si++;
      return si < n ? si : undefined;
    }
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/**
 * How wrongly typed values are reported: `json` as sigs.k8s.io/json (encoding/json) decoding of a request body
 * (create/update, json and merge patches); `unstructured` as runtime.DefaultUnstructuredConverter.FromUnstructured
 * (strategic merge patches); `off` skips type checks.
 */
export type TypeCheckMode = 'json' | 'unstructured' | 'off';

interface WalkState {
  patch: boolean;
  unknown: string[];
  /** typed mode: messages in document order (unknown and duplicate interleaved) */
  messages: string[];
  /** path of an object → its keys given more than once */
  dups: Map<string, Set<string>> | undefined;
  /** when set, unknown fields found are collected here for removal (object, key) */
  prune?: [Record<string, unknown>, string][];
  /** false: collect no unknown/duplicate fields (fieldValidation=Ignore) */
  strict: boolean;
  types: TypeCheckMode;
  /** encoding/json errorContext: innermost struct name and the field names from the root */
  ctxStruct: string;
  ctxFields: string[];
  /** first saved UnmarshalTypeError (decoding goes on), and an error returned by an UnmarshalJSON (decoding stops) */
  saved?: string;
  fatal?: string;
}

/** encoding/json's description of a JSON value in UnmarshalTypeError.Value. */
function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  return Array.isArray(v) ? 'array' : 'object';
}

/** reflect Kind of a value decoded by kjson.UnmarshalCaseSensitivePreserveInts (int64 for integers). */
function unstructuredKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return Array.isArray(v) ? 'slice' : 'map';
}

/** UnmarshalTypeError.Error() (Go ≥ 1.20): the innermost struct name plus the full field path from the root. */
function unmarshalTypeError(st: WalkState, value: string, goType: string): string {
  if (st.ctxFields.length) return `json: cannot unmarshal ${value} into Go struct field ${st.ctxStruct}.${st.ctxFields.join('.')} of type ${goType}`;
  return `json: cannot unmarshal ${value} into Go value of type ${goType}`;
}

const INT_RANGE: Record<string, [number, number]> = { int32: [-2147483648, 2147483647], int64: [-9223372036854775808, 9223372036854775807], int: [-9223372036854775808, 9223372036854775807] };

/** Go integer kinds accept a JSON number only when strconv.ParseInt succeeds and it does not overflow. */
function fitsInt(n: number, goType: string): boolean {
  const r = INT_RANGE[goType] ?? INT_RANGE.int64;
  return Number.isInteger(n) && n >= r[0] && n <= r[1];
}

/** Quantity.UnmarshalJSON: quotes stripped, ParseQuantity on the trimmed text; its error is returned as is. */
function quantityError(v: unknown): string | undefined {
  const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  try {
    parseQuantity(text.trim());
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Type check of `v` against `node` (null always decodes: it means unset; so does undefined from in-process writers). Returns true when the walk may descend
 * into `v` (a well-typed object/map/array). Records errors in `st` as upstream's decoders report them.
 */
function typeCheck(v: unknown, node: Node, st: WalkState): boolean {
  // undefined: a property an in-process writer left unset (JSON drops it).
  if (v === null || v === undefined || node.t === 'any') return false;
  if (st.types === 'json') {
    switch (node.t) {
      case 'object':
      case 'map':
        if (isPlainObject(v)) return true;
        st.saved ??= unmarshalTypeError(st, jsonKind(v), node.go);
        return false;
      case 'array':
        if (Array.isArray(v)) return true;
        st.saved ??= unmarshalTypeError(st, jsonKind(v), node.go);
        return false;
      case 'scalar': {
        const k = node.kind;
        if ((k === 'string' && typeof v === 'string') || (k === 'bool' && typeof v === 'boolean') || (k === 'float' && typeof v === 'number')) return false;
        if (k === 'int' && typeof v === 'number') {
          if (!fitsInt(v, node.go)) st.saved ??= unmarshalTypeError(st, `number ${String(v)}`, node.go);
          return false;
        }
        st.saved ??= unmarshalTypeError(st, jsonKind(v), node.go);
        return false;
      }
      case 'intOrString':
        // IntOrString.UnmarshalJSON: a string, else json.Unmarshal into its int32 (error returned with context).
        if (typeof v === 'string' || (typeof v === 'number' && fitsInt(v, 'int32'))) return false;
        st.fatal = unmarshalTypeError(st, typeof v === 'number' ? `number ${String(v)}` : jsonKind(v), 'int32');
        return false;
      case 'quantity':
        st.fatal = quantityError(v);
        return false;
      case 'time':
        // metav1.Time.UnmarshalJSON: json.Unmarshal into a string first.
        if (typeof v !== 'string') st.fatal = unmarshalTypeError(st, jsonKind(v), 'string');
        return false;
      case 'bytes':
        // literalStore: a string is base64-decoded (its error saved as is); an array decodes element-wise into uint8.
        if (typeof v === 'string') {
          const off = base64CorruptOffset(v);
          if (off !== undefined) st.saved ??= `illegal base64 data at input byte ${off}`;
        } else if (Array.isArray(v)) {
          for (const e of v) {
            if (e === null || (typeof e === 'number' && Number.isInteger(e) && e >= 0 && e <= 255)) continue;
            st.saved ??= unmarshalTypeError(st, typeof e === 'number' ? `number ${String(e)}` : jsonKind(e), 'uint8');
          }
        } else st.saved ??= unmarshalTypeError(st, jsonKind(v), node.go);
        return false;
    }
  }
  // runtime.DefaultUnstructuredConverter (fromUnstructured): the first error is returned.
  const kind = unstructuredKind(v);
  switch (node.t) {
    case 'object':
      if (kind === 'map') return true;
      st.fatal = `cannot restore struct from: ${kind}`;
      return false;
    case 'map':
      if (kind === 'map') return true;
      st.fatal = `cannot restore map from ${kind}`;
      return false;
    case 'array':
      if (kind === 'slice') return true;
      st.fatal = `cannot restore slice from ${kind}`;
      return false;
    case 'scalar': {
      const dk = node.go; // reflect Kind name of the target (string, bool, int32, int64, int, float64)
      if (node.kind === 'string') {
        if (kind === 'string') return false;
        st.fatal = kind === 'int64' ? 'cannot convert int64 to string' : 'unrecognized type: string';
      } else if (node.kind === 'bool') {
        if (kind !== 'bool') st.fatal = 'unrecognized type: bool';
      } else if (node.kind === 'int') {
        if (kind === 'float64') st.fatal = `cannot convert float64 to ${dk}`;
        else if (kind !== 'int64') st.fatal = `unrecognized type: ${dk}`;
      } else if (kind !== 'int64' && kind !== 'float64') st.fatal = `unrecognized type: ${dk}`;
      return false;
    }
    case 'intOrString':
      // The type's UnmarshalJSON over the re-marshalled value: plain json.Unmarshal errors, no field context.
      if (typeof v === 'string' || (typeof v === 'number' && fitsInt(v, 'int32'))) return false;
      st.fatal = `json: cannot unmarshal ${typeof v === 'number' ? `number ${String(v)}` : jsonKind(v)} into Go value of type int32`;
      return false;
    case 'quantity':
      st.fatal = quantityError(v);
      return false;
    case 'time':
      if (typeof v !== 'string') st.fatal = `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
      return false;
    case 'bytes':
      // sliceFromUnstructured: a string is re-marshalled and json.Unmarshal'ed into []byte (base64).
      if (kind === 'string') {
        const off = base64CorruptOffset(v as string);
        if (off !== undefined) st.fatal = `illegal base64 data at input byte ${off}`;
      } else if (kind !== 'slice') st.fatal = `cannot restore slice from ${kind}`;
      return false;
  }
  return false;
}

function walk(v: unknown, node: Node, path: string, st: WalkState): void {
  if (st.fatal !== undefined) return;
  if (st.types !== 'off') {
    if (!typeCheck(v, node, st)) return;
  }
  switch (node.t) {
    case 'array':
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(v[i], node.items, `${path}[${i}]`, st);
      return;
    case 'map':
      if (isPlainObject(v)) {
        const d = st.dups?.get(path);
        for (const k of Object.keys(v)) {
          if (d?.has(k) && !st.patch && st.strict) st.messages.push(`duplicate field "${join(path, k)}"`);
          walk(v[k], node.values, join(path, k), st);
        }
      }
      return;
    case 'object': {
      if (!isPlainObject(v)) return;
      const d = st.dups?.get(path);
      const outerStruct = st.ctxStruct;
      for (const k of Object.keys(v)) {
        if (st.patch && k.charCodeAt(0) === 36 /* '$': strategic-merge directive */) continue;
        const child = fieldNode(node, k);
        const p = join(path, k);
        if (!child) {
          if (!st.strict) continue;
          st.unknown.push(p);
          st.messages.push(`unknown field "${p}"`);
          st.prune?.push([v, k]);
          continue;
        }
        if (d?.has(k) && !st.patch && st.strict) st.messages.push(`duplicate field "${p}"`);
        st.ctxFields.push(k);
        st.ctxStruct = node.struct;
        walk(v[k], child, p, st);
        st.ctxFields.pop();
        st.ctxStruct = outerStruct;
        if (st.fatal !== undefined) return;
      }
      return;
    }
    default:
      return;
  }
}

function newWalkState(patch: boolean, strict: boolean, types: TypeCheckMode): WalkState {
  return { patch, unknown: [], messages: [], dups: undefined, strict, types, ctxStruct: '', ctxFields: [] };
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

/** What {@link strictDecode} found: the decoder's type error (if any) and the strict-decoding messages. */
export interface StrictDecodeResult {
  /** Upstream's decoding error text (`json: cannot unmarshal number into Go struct field ConfigMap.data of type string`). */
  typeError?: string;
  /** `unknown field "…"` / `duplicate field "…"` messages (see {@link fieldValidationErrors}). */
  errors: string[];
}

/**
 * One walk of a decoded body of `gvk` over the generated schemas: strict-decoding problems (unknown/duplicate fields,
 * unless `opts.strict === false`) and, with `opts.types` 'json' | 'unstructured', the first wrongly typed value as
 * upstream's typed decoding reports it (sigs.k8s.io/json → encoding/json UnmarshalTypeError, first in document order,
 * innermost struct name + full field path; IntOrString/Quantity/Time UnmarshalJSON errors stop decoding and win;
 * 'unstructured' = runtime.DefaultUnstructuredConverter wording, used for strategic merge patches).
 * null is accepted everywhere. `opts.prune` deletes unknown fields from `obj` in place. Never throws.
 */
export function strictDecode(gvk: GroupVersionKind, obj: unknown, opts: { patch?: boolean; prune?: boolean; strict?: boolean; types?: TypeCheckMode } = {}): StrictDecodeResult {
  const name = definitionNameForGVK(gvk.group, gvk.version, gvk.kind);
  const strict = opts.strict !== false;
  const types = opts.types ?? 'off';
  const raw = strict && typeof obj === 'object' && obj !== null ? rawBodies.get(obj) : undefined;
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
  const st = newWalkState(!!opts.patch, strict, types);
  st.dups = dups;
  st.prune = opts.prune && strict ? [] : undefined;
  if (name) walk(obj, definitionNode(name), '', st);
  const typeError = st.fatal ?? st.saved;
  if (typeError !== undefined) return { typeError, errors: [] };
  for (const [o, k] of st.prune ?? []) delete o[k];
  if (!strict) return { errors: [] };
  if (opts.patch) {
    const unknown = [...st.unknown].sort();
    return { errors: [...dupList.map((d) => `duplicate field "${join(d.path, d.key)}"`), ...unknown.map((p) => `unknown field "${p}"`)] };
  }
  if (!name) return { errors: dupList.map((d) => `duplicate field "${join(d.path, d.key)}"`) };
  return { errors: st.messages };
}

/**
 * The first wrongly typed value of a decoded `obj` of `gvk` as upstream's decoder words it (see {@link strictDecode}),
 * or undefined when it decodes. `mode` 'json' (default) or 'unstructured'. Never throws; does not modify `obj`.
 */
export function decodeTypeError(gvk: GroupVersionKind, obj: unknown, mode: Exclude<TypeCheckMode, 'off'> = 'json'): string | undefined {
  return strictDecode(gvk, obj, { strict: false, types: mode }).typeError;
}

/**
 * Strict-decoding problems of a decoded body of `gvk`, as upstream's messages (`unknown field "spec.replica"`,
 * `duplicate field "metadata.name"`), in upstream's order (see the file comment). `opts.patch` selects the
 * patch rules (SMP `$` directives skipped; duplicates first, then sorted unknown fields). Kinds without a
 * generated schema are only checked for duplicates. `opts.prune` also deletes the unknown fields from `obj` (in place),
 * as upstream's decoding into typed objects drops them (used for fieldValidation=Warn). Never throws.
 */
export function fieldValidationErrors(gvk: GroupVersionKind, obj: unknown, opts: { patch?: boolean; prune?: boolean } = {}): string[] {
  return strictDecode(gvk, obj, opts).errors;
}

/**
 * Unknown field paths (`spec.template.spec.containers[0].imagee`) of a decoded body of `gvk`, in document order;
 * [] when the kind has no generated schema. Does not modify `obj`.
 */
export function strictUnknownFields(gvk: GroupVersionKind, obj: unknown): string[] {
  const name = definitionNameForGVK(gvk.group, gvk.version, gvk.kind);
  if (!name) return [];
  const st = newWalkState(false, true, 'off');
  walk(obj, definitionNode(name), '', st);
  return st.unknown;
}

/**
 * Go's `fmt.Sprintf("%+v", v)` of a value decoded into `map[string]interface{}` (PreserveInts: integers are int64):
 * `map[data:map[x:1]]` (keys sorted), `[a b]`, `<nil>`, floats as %g (shortest; exponent form below 1e-4 or from 1e6).
 * Upstream prints the patch this way in strategic-merge-patch decode errors (patch.go applyPatchToObject).
 */
export function goSprintValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFormatFloat(v);
  if (Array.isArray(v)) return `[${v.map(goSprintValue).join(' ')}]`;
  const o = v as Record<string, unknown>;
  return `map[${Object.keys(o).sort().map((k) => `${k}:${goSprintValue(o[k])}`).join(' ')}]`;
}

/** strconv.FormatFloat(f, 'g', -1, 64), as fmt's %v prints a float64: %e form when the exponent is < -4 or >= 6. */
function goFormatFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  const [mant, expStr] = f.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}
