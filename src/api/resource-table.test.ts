/** The resource table matches upstream discovery for the served kinds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, findByAPIVersionKind, findByKind, findResource, servedGroupVersions } from './resource-table.ts';

test('every brief resource is served with upstream scope, short names and categories', () => {
  const want: [string, string, string, boolean, string[], string[]][] = [
    ['', 'namespaces', 'Namespace', false, ['ns'], []],
    ['', 'nodes', 'Node', false, ['no'], []],
    ['', 'pods', 'Pod', true, ['po'], ['all']],
    ['', 'events', 'Event', true, ['ev'], []],
    ['', 'services', 'Service', true, ['svc'], ['all']],
    ['', 'endpoints', 'Endpoints', true, ['ep'], []],
    ['', 'configmaps', 'ConfigMap', true, ['cm'], []],
    ['', 'secrets', 'Secret', true, [], []],
    ['', 'serviceaccounts', 'ServiceAccount', true, ['sa'], []],
    ['', 'bindings', 'Binding', true, [], []],
    ['coordination.k8s.io', 'leases', 'Lease', true, [], []],
    ['apps', 'replicasets', 'ReplicaSet', true, ['rs'], ['all']],
    ['apps', 'deployments', 'Deployment', true, ['deploy'], ['all']],
    ['', 'persistentvolumes', 'PersistentVolume', false, ['pv'], []],
    ['', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc'], []],
    ['storage.k8s.io', 'storageclasses', 'StorageClass', false, ['sc'], []],
  ];
  for (const [group, resource, kind, namespaced, shortNames, categories] of want) {
    const ri = findResource(group, 'v1', resource);
    assert.ok(ri, resource);
    assert.equal(ri.kind, kind);
    assert.equal(ri.listKind, `${kind}List`);
    assert.equal(ri.namespaced, namespaced, resource);
    assert.deepEqual(ri.shortNames, shortNames, resource);
    assert.deepEqual(ri.categories, categories, resource);
    assert.equal(findByKind(group, 'v1', kind), ri);
    assert.equal(ri.table.columns[0].name === 'Name' || ri.resource === 'events', true);
  }
  // Every listed resource is served; other kinds may be added by other areas.
  assert.ok(RESOURCES.length >= want.length);
});

test('subresources as discovery shows them', () => {
  const sub = (g: string, r: string, s: string) => findResource(g, 'v1', r)!.subresources.find((x) => x.name === s);
  assert.deepEqual(sub('', 'pods', 'eviction'), { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  assert.deepEqual(sub('apps', 'deployments', 'scale'), { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
  assert.deepEqual(sub('apps', 'replicasets', 'scale')?.group, 'autoscaling');
  assert.deepEqual(sub('', 'pods', 'binding'), { name: 'binding', kind: 'Binding', group: '', version: 'v1', verbs: ['create'] });
  assert.deepEqual(sub('', 'pods', 'log')?.verbs, ['get']);
  for (const s of ['status', 'exec', 'attach', 'portforward']) assert.ok(sub('', 'pods', s), s);
  for (const r of ['services', 'nodes', 'namespaces']) assert.ok(sub('', r, 'status'), r);
  assert.ok(sub('', 'namespaces', 'finalize'));
  for (const ri of RESOURCES) {
    assert.equal(!!ri.statusStrategy, ri.subresources.some((s) => s.name === 'status'), `${ri.resource}: status strategy iff status subresource`);
  }
});

test('lookups', () => {
  assert.equal(findByAPIVersionKind('apps/v1', 'Deployment')?.resource, 'deployments');
  assert.equal(findByAPIVersionKind('v1', 'Pod')?.resource, 'pods');
  assert.equal(findByAPIVersionKind('coordination.k8s.io/v1', 'Lease')?.resource, 'leases');
  assert.equal(findResource('apps', 'v1', 'nosuchresources'), undefined);
  const gvs = servedGroupVersions();
  assert.deepEqual(gvs.slice(0, 3), [
    { group: '', version: 'v1' },
    { group: 'apps', version: 'v1' },
    { group: 'coordination.k8s.io', version: 'v1' },
  ]);
  assert.ok(gvs.some((g) => g.group === 'storage.k8s.io' && g.version === 'v1'));
});

test('field selector keys', () => {
  assert.deepEqual(findResource('', 'v1', 'pods')!.selectableFields.includes('spec.nodeName'), true);
  assert.deepEqual(findResource('', 'v1', 'events')!.selectableFields.includes('involvedObject.uid'), true);
  assert.deepEqual(findResource('', 'v1', 'nodes')!.selectableFields, ['spec.unschedulable']);
  assert.deepEqual(findResource('', 'v1', 'secrets')!.selectableFields, ['type']);
});
