/**
 * Discovery documents derived from the resource table: aggregated discovery v2
 * (`apidiscovery.k8s.io/v2` APIGroupDiscoveryList for /api and /apis) and the plain forms
 * (APIVersions, APIGroupList, APIGroup, APIResourceList). After
 * k8s.io/apiserver/pkg/endpoints/discovery (legacy and aggregated handlers).
 */
import type { ResourceInfo } from '../../api/resource-types.ts';

/** Media type of aggregated discovery responses. */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Group → versions (in table order) → resources. */
export interface GroupVersions {
  group: string;
  versions: Array<{ version: string; resources: ResourceInfo[] }>;
}

/** Groups the table by group then version, keeping first-seen order. Adds groups only referenced by subresources (policy/v1, autoscaling/v1). */
export function groupResources(resources: ResourceInfo[]): GroupVersions[] {
  const groups: GroupVersions[] = [];
  const add = (group: string, version: string, ri?: ResourceInfo) => {
    let g = groups.find((x) => x.group === group);
    if (!g) groups.push((g = { group, versions: [] }));
    let v = g.versions.find((x) => x.version === version);
    if (!v) g.versions.push((v = { version, resources: [] }));
    if (ri) v.resources.push(ri);
  };
  for (const ri of resources) add(ri.group, ri.version, ri);
  for (const ri of resources) for (const s of ri.subresources) if (s.group !== ri.group || s.version !== ri.version) add(s.group, s.version);
  return groups;
}

function gv(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function aggregatedResource(ri: ResourceInfo): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: ri.resource,
    responseKind: { group: ri.group, version: ri.version, kind: ri.kind },
    scope: ri.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: ri.singular,
    verbs: ri.verbs,
  };
  if (ri.shortNames.length) r.shortNames = ri.shortNames;
  if (ri.categories.length) r.categories = ri.categories;
  if (ri.subresources.length) {
    r.subresources = ri.subresources.map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs }));
  }
  return r;
}

/** Aggregated discovery for `/api` (core only) or `/apis` (named groups). */
export function aggregatedDiscovery(resources: ResourceInfo[], legacy: boolean): Record<string, unknown> {
  const groups = groupResources(resources).filter((g) => (legacy ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({ version: v.version, resources: v.resources.map(aggregatedResource), freshness: 'Current' })),
    })),
  };
}

/** `GET /api` plain form. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(g: GroupVersions): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: gv(g.group, v.version), version: v.version }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

/** `GET /apis` plain form. */
export function apiGroupList(resources: ResourceInfo[]): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupResources(resources).filter((g) => g.group !== '').map(apiGroup) };
}

/** `GET /apis/<group>`, or undefined when the group is not served. */
export function apiGroupDoc(resources: ResourceInfo[], group: string): Record<string, unknown> | undefined {
  const g = groupResources(resources).find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) } : undefined;
}

/** `GET /api/v1` or `/apis/<g>/<v>`, or undefined when that group/version is not served. */
export function apiResourceList(resources: ResourceInfo[], group: string, version: string): Record<string, unknown> | undefined {
  const g = groupResources(resources).find((x) => x.group === group);
  const v = g?.versions.find((x) => x.version === version);
  if (!v) return undefined;
  const list: Record<string, unknown>[] = [];
  for (const ri of v.resources) {
    const r: Record<string, unknown> = { name: ri.resource, singularName: ri.singular, namespaced: ri.namespaced, kind: ri.kind, verbs: ri.verbs };
    if (ri.shortNames.length) r.shortNames = ri.shortNames;
    if (ri.categories.length) r.categories = ri.categories;
    list.push(r);
    for (const s of ri.subresources) {
      const sr: Record<string, unknown> = { name: `${ri.resource}/${s.name}`, singularName: '', namespaced: ri.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group !== ri.group || s.version !== ri.version) {
        sr.group = s.group;
        sr.version = s.version;
      }
      list.push(sr);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv(group, version), resources: list };
}
