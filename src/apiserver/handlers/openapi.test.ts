import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RESOURCES } from '../../api/resource-table.ts';
import { openAPIGroupVersion, openAPIGroupVersionDocument, openAPIRoot } from './openapi.ts';

type Doc = { paths: Record<string, any>; components: { schemas: Record<string, any> } };

test('root lists every served group/version with a SHA-512 (upper-case hex) hash of its document', () => {
  const root = openAPIRoot(RESOURCES) as { paths: Record<string, { serverRelativeURL: string }> };
  assert.ok(root.paths['api/v1']);
  assert.ok(root.paths['apis/apps/v1']);
  assert.ok(root.paths['apis/autoscaling/v1'], 'the group/version of deployments/scale is listed');
  const url = root.paths['apis/apps/v1'].serverRelativeURL;
  const m = /^\/openapi\/v3\/apis\/apps\/v1\?hash=([0-9A-F]{128})$/.exec(url);
  assert.ok(m, url);
  const d = openAPIGroupVersionDocument(RESOURCES, 'apps', 'v1')!;
  assert.equal(m[1], createHash('sha512').update(d.json).digest('hex').toUpperCase());
});

test('apps/v1: item path operations with actions, GVK and an inline fieldValidation parameter on patch', () => {
  const doc = openAPIGroupVersion(RESOURCES, 'apps', 'v1') as unknown as Doc;
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.deepEqual(Object.keys(item).filter((k) => k !== 'parameters').sort(), ['delete', 'get', 'patch', 'put']);
  assert.equal(item.patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.equal(item.patch['x-kubernetes-action'], 'patch');
  assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.ok(item.patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.deepEqual(Object.keys(item.patch.requestBody.content).sort(), [
    'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  ]);
  const coll = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.equal(coll.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.equal(coll.post['x-kubernetes-action'], 'post');
  assert.equal(coll.delete['x-kubernetes-action'], 'deletecollection');
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.equal(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'].get.operationId, 'readAppsV1NamespacedDeploymentStatus');
});

test('components.schemas hold the kinds of the group/version and everything they reference', () => {
  const doc = openAPIGroupVersion(RESOURCES, 'apps', 'v1') as unknown as Doc;
  const s = doc.components.schemas;
  for (const n of [
    'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.DeploymentList', 'io.k8s.api.apps.v1.DeploymentStrategy', 'io.k8s.api.core.v1.PodSpec',
    'io.k8s.api.core.v1.Container', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    'io.k8s.apimachinery.pkg.api.resource.Quantity', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'io.k8s.api.autoscaling.v1.Scale',
  ]) assert.ok(s[n], n);
  assert.equal(s['io.k8s.api.core.v1.Pod'], undefined, 'Pod is not referenced from apps/v1');
  for (const def of Object.values(s)) {
    for (const m of JSON.stringify(def).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(s[m[1]], `dangling $ref ${m[1]}`);
  }
  const core = openAPIGroupVersion(RESOURCES, '', 'v1') as unknown as Doc;
  assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post);
  assert.ok(core.paths['/api/v1/nodes/{name}'].patch, 'cluster-scoped item path');
  assert.equal(openAPIGroupVersion(RESOURCES, 'nope.example.com', 'v1'), undefined);
});
