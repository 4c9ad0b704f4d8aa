/**
 * A minimal OpenAPI v3 (KUBECTL.md §5): `/openapi/v3` lists one document per group/version;
 * each document has, per resource, an item path whose `patch` operation carries
 * `x-kubernetes-group-version-kind` and an inline `fieldValidation` query parameter. That is all
 * kubectl needs to use server-side field validation. Schemas are empty (no `kubectl explain`).
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../../api/resource-types.ts';
import { groupResources } from './discovery.ts';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  uniqueItems: true,
  schema: name === 'force' ? { type: 'boolean' } : { type: 'string' },
}));

/** The OpenAPI v3 document of one group/version, or undefined when not served. */
export function openAPIGroupVersion(resources: ResourceInfo[], group: string, version: string): Record<string, unknown> | undefined {
  const g = groupResources(resources).find((x) => x.group === group);
  const v = g?.versions.find((x) => x.version === version);
  if (!v) return undefined;
  const paths: Record<string, unknown> = {};
  const base = `/${gvPath(group, version)}`;
  for (const ri of v.resources) {
    const gvk = { group: ri.group, version: ri.version, kind: ri.kind };
    const item = ri.namespaced ? `${base}/namespaces/{namespace}/${ri.resource}/{name}` : `${base}/${ri.resource}/{name}`;
    const pathParams = [
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
      ...(ri.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }] : []),
    ];
    const op = (verb: string) => ({
      tags: [group ? `${group.split('.')[0]}_${version}` : `core_${version}`],
      operationId: `${verb}${ri.kind}`,
      parameters: QUERY_PARAMS,
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[item] = { parameters: pathParams, get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
    const coll = ri.namespaced ? `${base}/namespaces/{namespace}/${ri.resource}` : `${base}/${ri.resource}`;
    paths[coll] = { get: op('list'), post: op('post') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-skiff' },
    paths,
    components: { schemas: {} },
  };
}

/** `/openapi/v3` root: `{paths:{"apis/apps/v1":{serverRelativeURL:"/openapi/v3/apis/apps/v1?hash=…"}}}`. */
export function openAPIRoot(resources: ResourceInfo[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const g of groupResources(resources)) {
    for (const v of g.versions) {
      const doc = openAPIGroupVersion(resources, g.group, v.version);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
      const p = gvPath(g.group, v.version);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
  }
  return { paths };
}
