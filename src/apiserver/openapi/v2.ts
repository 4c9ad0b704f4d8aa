/**
 * `/openapi/v2` (Swagger 2.0) from the same generated definitions as v3, in JSON and in the protobuf form kubectl
 * asks for (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the gnostic `openapi.v2.Document`
 * message (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto), as kube-openapi's handler serves it.
 *
 * kubectl uses v2 for `kubectl explain --output plaintext-openapiv2` and, when v3 offers no strategic-merge
 * schema for a kind, for apply's patch computation; a 404 there makes `kubectl apply` of such kinds print
 * "failed to download openapi". The document has every definition reachable from the served kinds and no paths
 * (kubectl's v2 readers only use definitions and their x-kubernetes-group-version-kind).
 *
 * v3 → v2 conversion: `#/components/schemas/` → `#/definitions/`; `{allOf:[{$ref}], description}` → `{$ref, description}`;
 * IntOrString → `{type:string, format:int-or-string}`; Quantity → `{type:string}` (as upstream's v2).
 * Vendor extensions are carried as gnostic `NamedAny{name, Any{yaml}}` with the value's JSON text (valid YAML).
 */
import type { ResourceInfo } from '../../api/resource-types.ts';
import { definitionNameForGVK, loadDefinitions } from './definitions.ts';
import { INT_OR_STRING, REF_PREFIX, type OpenAPISchema } from './schema.ts';

/** Accept value kubectl sends for the protobuf form. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** Content-Type of the protobuf response: kube-openapi answers with '.' for '@' (Go's mime parser rejects '@'). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const V2_REF_PREFIX = '#/definitions/';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** A Swagger 2.0 schema (the subset emitted). */
export interface SwaggerSchema {
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  required?: string[];
  items?: SwaggerSchema;
  additionalProperties?: SwaggerSchema;
  properties?: Record<string, SwaggerSchema>;
  [extension: `x-${string}`]: unknown;
}

/** Converts one v3 schema to v2 (see the file comment). */
export function toSwaggerSchema(s: OpenAPISchema): SwaggerSchema {
  const out: SwaggerSchema = {};
  const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0].$ref : undefined);
  if (ref) out.$ref = ref.startsWith(REF_PREFIX) ? V2_REF_PREFIX + ref.slice(REF_PREFIX.length) : ref;
  if (s.description !== undefined) out.description = s.description;
  if (s.type !== undefined) out.type = s.type;
  if (s.format !== undefined) out.format = s.format;
  if (s.required) out.required = s.required;
  if (s.items) out.items = toSwaggerSchema(s.items);
  if (s.additionalProperties) out.additionalProperties = toSwaggerSchema(s.additionalProperties);
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toSwaggerSchema(v)]));
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-') && k !== 'x-kubernetes-int-or-string') out[k as `x-${string}`] = v;
  return out;
}

function definitionsFor(resources: ResourceInfo[]): Record<string, SwaggerSchema> {
  const defs = loadDefinitions();
  const names = new Set<string>();
  const visit = (name: string): void => {
    if (names.has(name) || !defs[name]) return;
    names.add(name);
    JSON.stringify(defs[name], (k, v) => {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) visit(v.slice(REF_PREFIX.length));
      return v;
    });
  };
  for (const n of ['DeleteOptions', 'Status', 'Patch', 'WatchEvent', 'APIResourceList']) visit(`io.k8s.apimachinery.pkg.apis.meta.v1.${n}`);
  for (const ri of resources) {
    for (const [g, v, k] of [[ri.group, ri.version, ri.kind], [ri.group, ri.version, ri.listKind], ...ri.subresources.map((s) => [s.group, s.version, s.kind])]) {
      const n = definitionNameForGVK(g, v, k);
      if (n) visit(n);
    }
  }
  const out: Record<string, SwaggerSchema> = {};
  for (const n of [...names].sort()) {
    if (n === INT_OR_STRING) out[n] = { description: defs[n].description, format: 'int-or-string', type: 'string' };
    else if (n === QUANTITY) out[n] = { description: defs[n].description, type: 'string' };
    else out[n] = toSwaggerSchema(defs[n]);
  }
  return out;
}

// ------------------------------------------------------------------ protobuf (proto3 wire format)

function varint(n: number): Buffer {
  const b: number[] = [];
  while (n > 0x7f) {
    b.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  b.push(n);
  return Buffer.from(b);
}

/** Length-delimited field (wire type 2): strings, bytes, embedded messages. */
function ld(field: number, payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([varint((field << 3) | 2), varint(p.length), p]);
}

/** gnostic `NamedAny{name=1, value=2 Any{yaml=2}}`. */
function namedAny(name: string, value: unknown): Buffer {
  return Buffer.concat([ld(1, name), ld(2, ld(2, JSON.stringify(value)))]);
}

/** gnostic `Schema` message. */
function encodeSchema(s: SwaggerSchema): Buffer {
  const parts: Buffer[] = [];
  if (s.$ref !== undefined) parts.push(ld(1, s.$ref));
  if (s.format !== undefined) parts.push(ld(2, s.format));
  if (s.description !== undefined) parts.push(ld(4, s.description));
  for (const r of s.required ?? []) parts.push(ld(19, r));
  if (s.additionalProperties) parts.push(ld(21, ld(1, encodeSchema(s.additionalProperties)))); // AdditionalPropertiesItem.schema
  if (s.type !== undefined) parts.push(ld(22, ld(1, s.type))); // TypeItem.value
  if (s.items) parts.push(ld(23, ld(1, encodeSchema(s.items)))); // ItemsItem.schema
  if (s.properties) {
    const named = Object.entries(s.properties).map(([k, v]) => ld(1, Buffer.concat([ld(1, k), ld(2, encodeSchema(v))])));
    parts.push(ld(25, Buffer.concat(named))); // Properties.additional_properties (NamedSchema)
  }
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) parts.push(ld(31, namedAny(k, v)));
  return Buffer.concat(parts);
}

/** Encodes a Swagger document's info and definitions as gnostic `openapi.v2.Document` bytes. */
export function encodeOpenAPIV2Protobuf(doc: { swagger: string; info: { title: string; version: string }; definitions: Record<string, SwaggerSchema> }): Buffer {
  const defs = Object.entries(doc.definitions).map(([k, v]) => ld(1, Buffer.concat([ld(1, k), ld(2, encodeSchema(v))])));
  return Buffer.concat([
    ld(1, doc.swagger),
    ld(2, Buffer.concat([ld(1, doc.info.title), ld(2, doc.info.version)])),
    ld(8, Buffer.alloc(0)), // Paths (empty)
    ld(9, Buffer.concat(defs)), // Definitions
  ]);
}

const cache = new WeakMap<ResourceInfo[], { json: string; proto: Buffer }>();

/**
 * The v2 document for the served resources, as JSON text and as protobuf bytes (built once per resource table).
 */
export function openAPIV2(resources: ResourceInfo[]): { json: string; proto: Buffer } {
  let c = cache.get(resources);
  if (!c) {
    const doc = { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: definitionsFor(resources) };
    c = { json: JSON.stringify(doc), proto: encodeOpenAPIV2Protobuf(doc) };
    cache.set(resources, c);
  }
  return c;
}
