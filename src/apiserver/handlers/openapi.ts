/**
 * OpenAPI v3 discovery as kube-apiserver serves it (k8s.io/kube-openapi/pkg/handler3, builder3):
 *
 * - `GET /openapi/v3` → `{paths:{"api/v1":{serverRelativeURL:"/openapi/v3/api/v1?hash=<SHA-512 hex, upper case>"},…}}`,
 *   one entry per served group/version (including group/versions that only carry a subresource kind, such as
 *   autoscaling/v1 for Scale);
 * - `GET /openapi/v3/<api/v1|apis/<g>/<v>>` → `{openapi:"3.0.0", info, paths, components:{schemas, securitySchemes}}`.
 *   Paths: per resource the collection (list/create/deletecollection), the item (read/replace/patch/delete),
 *   the all-namespaces list, and the status/scale/eviction/binding subresources, each operation with
 *   `x-kubernetes-action`, `x-kubernetes-group-version-kind` and inline query parameters (kubectl looks for an inline
 *   `fieldValidation` parameter on `patch` operations to decide it may send fieldValidation=Strict).
 *   Schemas: the generated definitions (src/apiserver/openapi/definitions.json) reachable from the group/version's
 *   kinds, their lists, and the meta types the operations use. `kubectl explain` reads these.
 *
 * Documents are built once per resource table and cached (with their hashes).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../api/resource-types.ts';
import { definitionNameForGVK, loadDefinitions } from '../openapi/definitions.ts';
import { REF_PREFIX, type OpenAPISchema } from '../openapi/schema.ts';
import { groupResources } from './discovery.ts';
import { patchMetaFor } from '../../machinery/patch-meta.ts';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openAPIV2 } from '../openapi/v2.ts';

/** `api/v1` or `apis/<group>/<version>`. */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** 'rbac.authorization.k8s.io' → 'RbacAuthorization'; '' → 'Core' (upstream operationId / tag naming). */
function groupCamel(group: string): string {
  if (!group) return 'Core';
  return group.replace(/\.k8s\.io$/, '').split('.').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

function tagOf(group: string, version: string): string {
  const g = groupCamel(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): OpenAPISchema => ({ $ref: REF_PREFIX + name });

interface Param {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: { type: string; uniqueItems?: boolean };
}

const q = (name: string, description: string, type = 'string'): Param => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });

const PRETTY = q('pretty', "If 'true', then the output is pretty printed.");
const DRY_RUN = q('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = q(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: drops unknown fields silently and keeps only the last of duplicate fields. - Warn: sends a warning via the standard warning response header for each unknown field and each duplicate field. This is the default. - Strict: fails the request with a BadRequest error if any unknown or duplicate field is found.',
);
const FORCE = q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Must be unset for non-apply patch requests.', 'boolean');
const WRITE_PARAMS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const DELETE_PARAMS = [
  DRY_RUN,
  q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Zero means delete immediately.', 'integer'),
  q('orphanDependents', 'Deprecated: please use the PropagationPolicy.', 'boolean'),
  q('propagationPolicy', "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'."),
];
const LIST_PARAMS = [
  q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  q('continue', 'The continue option should be set when retrieving more results from the server.'),
  q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  q('sendInitialEvents', 'sendInitialEvents=true may be set together with watch=true.', 'boolean'),
  q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
];
const pathParam = (name: string, description: string): Param => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

const RESPONSE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
/** Patch types of kinds without strategic-merge metadata (the pipeline answers 415 to SMP for them). */
const NON_SMP_PATCH_TYPES = PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');

function content(types: string[], schema: OpenAPISchema): Record<string, { schema: OpenAPISchema }> {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

interface Op {
  verb: string; // operationId verb: read/list/create/replace/patch/delete/deleteCollection
  action: string; // x-kubernetes-action
  description: string;
  params: Param[];
  body?: OpenAPISchema;
  bodyTypes?: string[];
  response: OpenAPISchema;
  codes: string[];
}

function operation(o: Op, idSuffix: string, group: string, version: string, gvk: { group: string; version: string; kind: string }): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const c of o.codes) responses[c] = { description: c === '200' ? 'OK' : c === '201' ? 'Created' : 'Accepted', content: content(RESPONSE_TYPES, o.response) };
  responses['401'] = { description: 'Unauthorized' };
  const op: Record<string, unknown> = {
    tags: [tagOf(group, version)],
    description: o.description,
    operationId: `${o.verb}${groupCamel(group)}${version.charAt(0).toUpperCase()}${version.slice(1)}${idSuffix}`,
    parameters: o.params,
  };
  if (o.body) op.requestBody = { content: content(o.bodyTypes ?? ['*/*'], o.body), required: true };
  op.responses = responses;
  op['x-kubernetes-action'] = o.action;
  op['x-kubernetes-group-version-kind'] = gvk;
  return op;
}

/** Adds the referenced definitions of `name` (transitively) to `out`. */
function collect(name: string, defs: Record<string, OpenAPISchema>, out: Record<string, OpenAPISchema>): void {
  if (out[name] || !defs[name]) return;
  out[name] = defs[name];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith(REF_PREFIX)) collect(x.slice(REF_PREFIX.length), defs, out);
        else if (typeof x === 'object') visit(x);
      }
    }
  };
  visit(defs[name]);
}

/** Builds the document of one group/version (see the file comment); undefined when it is not served. */
function buildGroupVersion(resources: ResourceInfo[], group: string, version: string): Record<string, unknown> | undefined {
  const g = groupResources(resources).find((x) => x.group === group);
  const v = g?.versions.find((x) => x.version === version);
  if (!v) return undefined;
  const defs = loadDefinitions();
  const schemas: Record<string, OpenAPISchema> = {};
  for (const n of ['DeleteOptions', 'Status', 'Patch', 'WatchEvent', 'APIResourceList']) collect(`${META}.${n}`, defs, schemas);
  const paths: Record<string, unknown> = {};
  const base = `/${gvPath(group, version)}`;
  const V = `${version.charAt(0).toUpperCase()}${version.slice(1)}`;
  // Kinds of this group/version reachable only as subresources (autoscaling/v1 Scale, policy/v1 Eviction).
  for (const ri of resources) {
    for (const s of ri.subresources) {
      if (s.group === group && s.version === version) {
        const n = definitionNameForGVK(s.group, s.version, s.kind);
        if (n) collect(n, defs, schemas);
      }
    }
  }
  for (const ri of v.resources) {
    const gvk = { group: ri.group, kind: ri.kind, version: ri.version };
    const kindDef = definitionNameForGVK(ri.group, ri.version, ri.kind);
    const listDef = definitionNameForGVK(ri.group, ri.version, ri.listKind);
    if (kindDef) collect(kindDef, defs, schemas);
    if (listDef) collect(listDef, defs, schemas);
    const obj = kindDef ? ref(kindDef) : { type: 'object' };
    const list = listDef ? ref(listDef) : { type: 'object' };
    const status = ref(`${META}.Status`);
    const ns = ri.namespaced ? 'Namespaced' : '';
    const coll = ri.namespaced ? `${base}/namespaces/{namespace}/${ri.resource}` : `${base}/${ri.resource}`;
    const item = `${coll}/{name}`;
    const has = (verb: string) => ri.verbs.includes(verb);
    // kubectl apply computes a strategic merge patch from these schemas only when the patch operation lists SMP.
    const patchTypes = patchMetaFor(ri.group ? `${ri.group}/${ri.version}` : ri.version, ri.kind) ? PATCH_TYPES : NON_SMP_PATCH_TYPES;
    const nameParam = pathParam('name', `name of the ${ri.kind}`);
    const scope = ri.namespaced ? [nameParam, NAMESPACE, PRETTY] : [nameParam, PRETTY];

    const collOps: Record<string, unknown> = {};
    if (has('list')) collOps.get = operation({ verb: 'list', action: 'list', description: `list or watch objects of kind ${ri.kind}`, params: LIST_PARAMS, response: list, codes: ['200'] }, `${ns}${ri.kind}`, group, version, gvk);
    if (has('create')) collOps.post = operation({ verb: 'create', action: 'post', description: `create a ${ri.kind}`, params: WRITE_PARAMS, body: obj, response: obj, codes: ['200', '201', '202'] }, `${ns}${ri.kind}`, group, version, gvk);
    if (has('deletecollection')) {
      collOps.delete = operation(
        { verb: 'deleteCollection', action: 'deletecollection', description: `delete collection of ${ri.kind}`, params: [...LIST_PARAMS, ...DELETE_PARAMS], body: ref(`${META}.DeleteOptions`), response: status, codes: ['200'] },
        `${ns}${ri.kind}`, group, version, gvk,
      );
    }
    if (Object.keys(collOps).length) paths[coll] = { ...collOps, parameters: ri.namespaced ? [NAMESPACE, PRETTY] : [PRETTY] };

    const itemOps: Record<string, unknown> = {};
    if (has('get')) itemOps.get = operation({ verb: 'read', action: 'get', description: `read the specified ${ri.kind}`, params: [], response: obj, codes: ['200'] }, `${ns}${ri.kind}`, group, version, gvk);
    if (has('update')) itemOps.put = operation({ verb: 'replace', action: 'put', description: `replace the specified ${ri.kind}`, params: WRITE_PARAMS, body: obj, response: obj, codes: ['200', '201'] }, `${ns}${ri.kind}`, group, version, gvk);
    if (has('patch')) {
      itemOps.patch = operation(
        { verb: 'patch', action: 'patch', description: `partially update the specified ${ri.kind}`, params: [...WRITE_PARAMS, FORCE], body: ref(`${META}.Patch`), bodyTypes: patchTypes, response: obj, codes: ['200', '201'] },
        `${ns}${ri.kind}`, group, version, gvk,
      );
    }
    if (has('delete')) {
      itemOps.delete = operation({ verb: 'delete', action: 'delete', description: `delete a ${ri.kind}`, params: DELETE_PARAMS, body: ref(`${META}.DeleteOptions`), response: status, codes: ['200', '202'] }, `${ns}${ri.kind}`, group, version, gvk);
    }
    if (Object.keys(itemOps).length) paths[item] = { ...itemOps, parameters: scope };

    if (ri.namespaced && has('list')) {
      paths[`${base}/${ri.resource}`] = {
        get: operation({ verb: 'list', action: 'list', description: `list or watch objects of kind ${ri.kind}`, params: LIST_PARAMS, response: list, codes: ['200'] }, `${ri.kind}ForAllNamespaces`, group, version, gvk),
        parameters: [PRETTY],
      };
    }

    for (const s of ri.subresources) {
      const sgvk = { group: s.group, kind: s.kind, version: s.version };
      const sDef = definitionNameForGVK(s.group, s.version, s.kind);
      const sObj = sDef ? ref(sDef) : { type: 'object' };
      if (sDef && s.name !== 'log') collect(sDef, defs, schemas);
      const suffix = `${ns}${ri.kind}${s.name.charAt(0).toUpperCase()}${s.name.slice(1)}`;
      const ops: Record<string, unknown> = {};
      if (s.name === 'status' || s.name === 'scale') {
        const what = `${s.name} of the specified ${ri.kind}`;
        if (s.verbs.includes('get')) ops.get = operation({ verb: 'read', action: 'get', description: `read ${what}`, params: [], response: sObj, codes: ['200'] }, suffix, group, version, sgvk);
        if (s.verbs.includes('update')) ops.put = operation({ verb: 'replace', action: 'put', description: `replace ${what}`, params: WRITE_PARAMS, body: sObj, response: sObj, codes: ['200', '201'] }, suffix, group, version, sgvk);
        if (s.verbs.includes('patch')) {
          ops.patch = operation(
            { verb: 'patch', action: 'patch', description: `partially update ${what}`, params: [...WRITE_PARAMS, FORCE], body: ref(`${META}.Patch`), bodyTypes: patchTypes, response: sObj, codes: ['200', '201'] },
            suffix, group, version, sgvk,
          );
        }
      } else if (s.name === 'eviction' || s.name === 'binding') {
        ops.post = operation({ verb: 'create', action: 'post', description: `create ${s.name} of a ${ri.kind}`, params: WRITE_PARAMS, body: sObj, response: sObj, codes: ['200', '201', '202'] }, suffix, group, version, sgvk);
      }
      if (Object.keys(ops).length) {
        paths[`${item}/${s.name}`] = { ...ops, parameters: [pathParam('name', `name of the ${s.kind}`), ...(ri.namespaced ? [NAMESPACE] : []), PRETTY] };
      }
    }
  }
  const sortedSchemas: Record<string, OpenAPISchema> = {};
  for (const k of Object.keys(schemas).sort()) sortedSchemas[k] = schemas[k];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas: sortedSchemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

interface CachedDoc {
  doc: Record<string, unknown>;
  /** JSON text as served. */
  json: string;
  /** Upper-case hex SHA-512 of `json` (upstream handler3's ETag and `hash` query value). */
  hash: string;
}

const cache = new WeakMap<ResourceInfo[], Map<string, CachedDoc | null>>();

/**
 * The cached document of one group/version (built on first use), or undefined when it is not served.
 * `json` is the exact body to send; `hash` goes into `serverRelativeURL` and the ETag.
 */
export function openAPIGroupVersionDocument(resources: ResourceInfo[], group: string, version: string): CachedDoc | undefined {
  let m = cache.get(resources);
  if (!m) cache.set(resources, (m = new Map()));
  const key = gvPath(group, version);
  let c = m.get(key);
  if (c === undefined) {
    const doc = buildGroupVersion(resources, group, version);
    if (doc) {
      const json = JSON.stringify(doc);
      c = { doc, json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
    } else {
      c = null;
    }
    m.set(key, c);
  }
  return c ?? undefined;
}

/** The OpenAPI v3 document of one group/version (see the file comment), or undefined when not served. */
export function openAPIGroupVersion(resources: ResourceInfo[], group: string, version: string): Record<string, unknown> | undefined {
  return openAPIGroupVersionDocument(resources, group, version)?.doc;
}

/** `/openapi/v3` root: `{paths:{"apis/apps/v1":{serverRelativeURL:"/openapi/v3/apis/apps/v1?hash=…"}}}`. */
export function openAPIRoot(resources: ResourceInfo[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const g of groupResources(resources)) {
    for (const v of g.versions) {
      const d = openAPIGroupVersionDocument(resources, g.group, v.version);
      if (!d) continue;
      const p = gvPath(g.group, v.version);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
    }
  }
  return { paths };
}

/**
 * Writes `/openapi/v2`: the gnostic protobuf form when `accept` names
 * `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (what kubectl sends), else Swagger 2.0 JSON.
 * See src/apiserver/openapi/v2.ts.
 */
export function serveOpenAPIV2(res: ServerResponse, accept: string | undefined, resources: ResourceInfo[]): void {
  const v2 = openAPIV2(resources);
  const proto = (accept ?? '').split(',').some((a) => [OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_CONTENT_TYPE].includes(a.trim().split(';')[0]));
  const body = proto ? v2.proto : Buffer.from(v2.json, 'utf8');
  res.writeHead(200, { 'Content-Type': proto ? OPENAPI_V2_PROTOBUF_CONTENT_TYPE : 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-cache, private' });
  res.end(body);
}
