import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../storage/backend.ts';
import { describeEachBackend } from '../../test/support/each-backend.ts';
import { APIServer } from './server.ts';
import { KubeletConnections } from './kubelet-client.ts';
import { realMachinery } from './machinery-real.ts';
import { TokenAuthenticator } from './auth/token.ts';
import { standInResources } from './testing/stand-in-resources.ts';
import { newRequestInfo } from './handlers/request-info.ts';
import type { KubeObject } from '../client/interface.ts';
import { negotiate } from './handlers/negotiation.ts';
import { encodeContinue, decodeContinue, generateName } from './registry/generic-store.ts';

const TOKEN = 'test-token-123';
const T_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGG_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('request info', () => {
  test('namespaced item with subresource', () => {
    const i = newRequestInfo('GET', '/api/v1/namespaces/default/pods/web/log', new URLSearchParams());
    assert.deepEqual([i.apiGroup, i.apiVersion, i.namespace, i.resource, i.name, i.subresource, i.verb], ['', 'v1', 'default', 'pods', 'web', 'log', 'get']);
  });
  test('cluster-wide list and watch', () => {
    assert.equal(newRequestInfo('GET', '/apis/apps/v1/deployments', new URLSearchParams()).verb, 'list');
    const w = newRequestInfo('GET', '/api/v1/pods', new URLSearchParams('watch=true'));
    assert.equal(w.verb, 'watch');
    assert.equal(w.namespace, '');
  });
  test('namespace object and its status/finalize', () => {
    const n = newRequestInfo('GET', '/api/v1/namespaces/dev', new URLSearchParams());
    assert.deepEqual([n.resource, n.name, n.subresource], ['namespaces', 'dev', '']);
    const f = newRequestInfo('PUT', '/api/v1/namespaces/dev/finalize', new URLSearchParams());
    assert.deepEqual([f.resource, f.name, f.subresource, f.verb], ['namespaces', 'dev', 'finalize', 'update']);
  });
  test('delete collection', () => {
    assert.equal(newRequestInfo('DELETE', '/api/v1/namespaces/x/pods', new URLSearchParams()).verb, 'deletecollection');
  });
});

describe('negotiation', () => {
  test('kubectl get Accept picks Table v1', () => {
    assert.deepEqual(negotiate(T_ACCEPT, true), { as: 'Table', version: 'v1' });
  });
  test('protobuf,json answers JSON', () => {
    assert.deepEqual(negotiate('application/vnd.kubernetes.protobuf,application/json', false), { as: 'object' });
  });
  test('unknown media type is not acceptable', () => {
    assert.equal(negotiate('application/xml', false), undefined);
  });
});

test('continue tokens round-trip and reject garbage', () => {
  assert.deepEqual(decodeContinue(encodeContinue({ rv: 12, start: '/registry/pods/a/b' })), { rv: 12, start: '/registry/pods/a/b' });
  assert.throws(() => decodeContinue('not-base64-json'), (e: Error & { code?: number }) => e.code === 400);
});

test('generateName appends 5 characters from the upstream alphabet', () => {
  const n = generateName('web-');
  assert.match(n, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});

describeEachBackend('APIServer over HTTP', (store) => {
  let backend: Backend;
  let api: APIServer;
  let base: string;
  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const r = await fetch(base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: r.status, ct: r.headers.get('content-type') ?? '', json };
  };

  before(async () => {
    backend = await store.open();
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new TokenAuthenticator().add(TOKEN, { name: 'admin', groups: ['system:masters'] }),
      resources: standInResources(),
      machinery: realMachinery(),
      bookmarkIntervalMs: 200,
    });
    const { url } = await api.listen({ host: '127.0.0.1', port: 0 });
    base = url;
    for (const ns of ['default', 'other']) {
      const r = await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      assert.equal(r.status, 201);
    }
  });
  after(async () => {
    await api.stop();
    await backend.close();
  });

  test('version and health need no credentials; resources do', async () => {
    const v = await fetch(`${base}/version`);
    assert.equal(v.status, 200);
    assert.equal((await v.json()).minor, '32');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const r = await fetch(`${base}/api/v1/namespaces/default/pods`);
    assert.equal(r.status, 401);
    const st = await r.json();
    assert.equal(st.kind, 'Status');
    assert.equal(st.reason, 'Unauthorized');
  });

  test('aggregated and plain discovery', async () => {
    const agg = await req('GET', '/api', undefined, { accept: AGG_ACCEPT });
    assert.equal(agg.ct, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const pods = agg.json.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
    assert.equal(pods.scope, 'Namespaced');
    assert.ok(pods.subresources.some((s: any) => s.subresource === 'eviction' && s.responseKind.group === 'policy'));
    const apis = await req('GET', '/apis', undefined, { accept: AGG_ACCEPT });
    assert.ok(apis.json.items.some((g: any) => g.metadata.name === 'policy'));
    const v1 = await req('GET', '/api/v1');
    const ev = v1.json.resources.find((r: any) => r.name === 'pods/eviction');
    assert.deepEqual([ev.group, ev.version, ev.kind], ['policy', 'v1', 'Eviction']);
    const groups = await req('GET', '/apis');
    assert.ok(groups.json.groups.some((g: any) => g.name === 'apps'));
    const scale = (await req('GET', '/apis/apps/v1')).json.resources.find((r: any) => r.name === 'deployments/scale');
    assert.deepEqual([scale.group, scale.kind], ['autoscaling', 'Scale']);
  });

  test('openapi v3 lists group versions with fieldValidation on patch', async () => {
    const root = await req('GET', '/openapi/v3');
    const url = root.json.paths['apis/apps/v1'].serverRelativeURL;
    const doc = await req('GET', url);
    const p = doc.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(p['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(p.parameters.some((x: any) => x.name === 'fieldValidation' && x.in === 'query'));
    const v2 = await req('GET', '/openapi/v2');
    assert.equal(v2.status, 200);
    assert.equal(v2.json.swagger, '2.0');
  });

  test('create, get, AlreadyExists, NotFound wording', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { a: 'b' } };
    const c = await req('POST', '/api/v1/namespaces/default/configmaps', cm);
    assert.equal(c.status, 201);
    assert.equal(c.json.metadata.namespace, 'default');
    assert.match(c.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(c.json.metadata.resourceVersion, /^[0-9]+$/);
    assert.match(c.json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const dup = await req('POST', '/api/v1/namespaces/default/configmaps', cm);
    assert.equal(dup.status, 409);
    assert.equal(dup.json.reason, 'AlreadyExists');
    assert.equal(dup.json.message, 'configmaps "one" already exists');
    const nf = await req('GET', '/api/v1/namespaces/default/configmaps/nope');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.message, 'configmaps "nope" not found');
    assert.deepEqual(nf.json.details, { name: 'nope', kind: 'configmaps' });
    const dep404 = await req('GET', '/apis/apps/v1/namespaces/default/deployments/x');
    assert.equal(dep404.json.message, 'deployments.apps "x" not found');
  });

  test('generateName', async () => {
    const c = await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(c.status, 201);
    assert.match(c.json.metadata.name, /^gen-[a-z0-9]{5}$/);
  });

  test('create in a missing namespace is 404 namespaces "x" not found', async () => {
    const r = await req('POST', '/api/v1/namespaces/missing/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } });
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'namespaces "missing" not found');
  });

  test('invalid name is 422 with causes', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } });
    assert.equal(r.status, 422);
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(r.json.details.kind, 'ConfigMap');
    assert.equal(r.json.details.name, 'Bad_Name');
    assert.equal(r.json.details.causes[0].field, 'metadata.name');
    assert.equal(r.json.details.causes[0].reason, 'FieldValueInvalid');
  });

  test('bad input: malformed JSON 400, protobuf 415, 4 MiB 413, unknown resource 404, bad patch type 415', async () => {
    const bad = await req('POST', '/api/v1/namespaces/default/configmaps', '{"kind": ', {});
    assert.equal(bad.status, 400);
    assert.equal(bad.json.kind, 'Status');
    const pb = await req('POST', '/api/v1/namespaces', 'k8s\0xx', { 'content-type': 'application/vnd.kubernetes.protobuf' });
    assert.equal(pb.status, 415);
    assert.equal(pb.json.reason, 'UnsupportedMediaType');
    const big = await req('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ data: { a: 'x'.repeat(4 * 1024 * 1024) } }));
    assert.equal(big.status, 413);
    assert.equal(big.json.reason, 'RequestEntityTooLarge');
    const unk = await req('GET', '/api/v1/namespaces/default/foos');
    assert.equal(unk.status, 404);
    const pt = await req('PATCH', '/api/v1/namespaces/default/configmaps/one', '{}', { 'content-type': 'text/csv' });
    assert.equal(pt.status, 415);
  });

  test('Table responses carry PartialObjectMetadata rows', async () => {
    const r = await req('GET', '/api/v1/namespaces/default/configmaps?limit=500', undefined, { accept: T_ACCEPT });
    assert.equal(r.status, 200);
    assert.equal(r.ct, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    assert.equal(r.json.kind, 'Table');
    assert.equal(r.json.columnDefinitions[0].name, 'Name');
    const row = r.json.rows.find((x: any) => x.cells[0] === 'one');
    assert.equal(row.object.kind, 'PartialObjectMetadata');
    assert.equal(row.object.metadata.namespace, 'default');
    assert.ok(r.json.metadata.resourceVersion);
  });

  test('limit/continue pages through a consistent snapshot; expired token is 410', async () => {
    for (let i = 0; i < 5; i++) {
      await req('POST', '/api/v1/namespaces/other/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `page-${i}`, labels: { page: 'yes' } } });
    }
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = await req('GET', `/api/v1/namespaces/other/configmaps?limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      assert.equal(r.status, 200);
      names.push(...r.json.items.map((i: any) => i.metadata.name));
      cont = r.json.metadata.continue ?? '';
      pages++;
    } while (cont && pages < 10);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    assert.equal(pages, 3);
    const first = await req('GET', '/api/v1/namespaces/other/configmaps?limit=2');
    await req('POST', '/api/v1/namespaces/other/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } });
    await backend.compact(await backend.currentRevision());
    const exp = await req('GET', `/api/v1/namespaces/other/configmaps?limit=2&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    assert.equal(exp.status, 410);
    assert.equal(exp.json.reason, 'Expired');
    assert.match(exp.json.message, /^The provided continue parameter is too old/);
  });

  test('label and field selectors; unsupported field is 400', async () => {
    const r = await req('GET', '/api/v1/configmaps?labelSelector=page%3Dyes,page+in+(yes)');
    assert.equal(r.json.items.length, 5);
    const f = await req('GET', '/api/v1/namespaces/other/configmaps?fieldSelector=metadata.name%3Dpage-3');
    assert.deepEqual(f.json.items.map((i: any) => i.metadata.name), ['page-3']);
    const bad = await req('GET', '/api/v1/namespaces/other/configmaps?fieldSelector=spec.foo%3Dx');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'field label not supported: spec.foo');
  });

  test('PUT with a stale resourceVersion is 409 Conflict', async () => {
    const cur = (await req('GET', '/api/v1/namespaces/default/configmaps/one')).json;
    const upd = await req('PUT', '/api/v1/namespaces/default/configmaps/one', { ...cur, data: { a: 'c' } });
    assert.equal(upd.status, 200);
    assert.notEqual(upd.json.metadata.resourceVersion, cur.metadata.resourceVersion);
    const stale = await req('PUT', '/api/v1/namespaces/default/configmaps/one', { ...cur, data: { a: 'd' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.match(stale.json.message, /^Operation cannot be fulfilled on configmaps "one": the object has been modified/);
  });

  test('patches: merge, json, strategic', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] } } },
    };
    assert.equal((await req('POST', '/apis/apps/v1/namespaces/default/deployments', dep)).status, 201);
    const m = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { a: 'b' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(m.status, 200);
    assert.deepEqual(m.json.metadata.labels, { a: 'b' });
    const j = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'replace', path: '/spec/replicas', value: 2 }], { 'content-type': 'application/json-patch+json' });
    assert.equal(j.json.spec.replicas, 2);
    assert.equal(j.json.metadata.generation, 2);
    const s = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { template: { spec: { containers: [{ name: 'b', image: 'y:2' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(s.status, 200);
    assert.deepEqual(s.json.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`), ['a=x:1', 'b=y:2']);
    const bad = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'test', path: '/spec/replicas', value: 99 }], { 'content-type': 'application/json-patch+json' });
    assert.equal(bad.status, 422);
  });

  test('strict field validation reports unknown fields', async () => {
    const r = await req(
      'POST',
      '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'strict' }, spec: { replica: 1 } },
    );
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"');
  });

  test('json-patch: unknown fields of the patched object, strict error and warn warnings', async () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'jp' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    assert.equal((await req('POST', '/apis/apps/v1/namespaces/default/deployments', d)).status, 201);
    const ops = [{ op: 'add', path: '/spec/unknown1', value: 'v' }, { op: 'add', path: '/spec/template/spec/containers/0/unknownNested', value: 'v' }];
    const ct = { 'content-type': 'application/json-patch+json' };
    const s = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/jp?fieldValidation=Strict', ops, ct);
    assert.equal(s.status, 400);
    assert.equal(s.json.message, 'strict decoding error: unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1"');
    const w = await fetch(`${base}/apis/apps/v1/namespaces/default/deployments/jp?fieldValidation=Warn`, { method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, ...ct }, body: JSON.stringify(ops) });
    assert.equal(w.status, 200);
    assert.equal(w.headers.get('warning'), '299 - "unknown field \\"spec.template.spec.containers[0].unknownNested\\"", 299 - "unknown field \\"spec.unknown1\\""');
    assert.equal(((await w.json()) as any).spec.unknown1, undefined);
  });

  test('apply-patch creates (201) then updates (200)', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'v1' } });
    const c = await req('PATCH', '/api/v1/namespaces/default/configmaps/applied?fieldManager=kubectl&force=false', body, { 'content-type': 'application/apply-patch+yaml' });
    assert.equal(c.status, 201);
    const u = await req('PATCH', '/api/v1/namespaces/default/configmaps/applied?fieldManager=kubectl', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v2\n', { 'content-type': 'application/apply-patch+yaml' });
    assert.equal(u.status, 200);
    assert.equal(u.json.data.k, 'v2');
  });

  test('fieldManager too long or not printable → 422 on the verb\'s options kind (upstream ValidateFieldManager)', async () => {
    const long = await req('POST', `/api/v1/namespaces/default/configmaps?fieldManager=${'m'.repeat(129)}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fm-long' } });
    assert.equal(long.status, 422);
    assert.equal(long.json.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
    const tab = await req('PATCH', '/api/v1/namespaces/default/configmaps/applied?fieldManager=a%09b', { data: { k: 'x' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(tab.status, 422);
    assert.equal(tab.json.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\tb": must only contain printable characters');
  });

  test('scale subresource', async () => {
    const g = await req('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.equal(g.json.kind, 'Scale');
    assert.equal(g.json.apiVersion, 'autoscaling/v1');
    assert.equal(g.json.spec.replicas, 2);
    assert.equal(g.json.status.selector, 'app=web');
    const p = await req('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(p.status, 200);
    assert.equal(p.json.spec.replicas, 5);
    assert.equal((await req('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json.spec.replicas, 5);
    const neg = await req('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web' }, spec: { replicas: -1 } });
    assert.equal(neg.status, 422);
  });

  test('status subresource cannot change spec; main endpoint cannot change status', async () => {
    const cur = (await req('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json;
    const st = await req('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { ...cur, spec: { ...cur.spec, replicas: 9 }, status: { replicas: 3 } });
    assert.equal(st.status, 200);
    assert.equal(st.json.status.replicas, 3);
    assert.equal(st.json.spec.replicas, 5);
    const main = await req('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { ...st.json, status: { replicas: 7 } });
    assert.equal(main.json.status.replicas, 3);
  });

  test('finalizers keep the object until the last one is removed', async () => {
    await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fin', finalizers: ['example.com/x'] } });
    const d = await req('DELETE', '/api/v1/namespaces/default/configmaps/fin', { propagationPolicy: 'Background' });
    assert.equal(d.status, 200);
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 0);
    const cur = (await req('GET', '/api/v1/namespaces/default/configmaps/fin')).json;
    const u = await req('PUT', '/api/v1/namespaces/default/configmaps/fin', { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    assert.equal(u.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
  });

  test('propagationPolicy Orphan and Foreground add their finalizers', async () => {
    for (const [policy, fin] of [['Orphan', 'orphan'], ['Foreground', 'foregroundDeletion']]) {
      const name = `prop-${fin.toLowerCase()}`;
      await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
      const d = await req('DELETE', `/api/v1/namespaces/default/configmaps/${name}`, { propagationPolicy: policy });
      assert.deepEqual(d.json.metadata.finalizers, [fin]);
      assert.ok(d.json.metadata.deletionTimestamp);
    }
  });

  test('pods: binding, graceful deletion, grace 0 removes', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'x' }] } };
    assert.equal((await req('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    const b = await req('POST', '/api/v1/namespaces/default/pods/p1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(b.status, 201);
    assert.equal(b.json.status, 'Success');
    const got = (await req('GET', '/api/v1/namespaces/default/pods/p1')).json;
    assert.equal(got.spec.nodeName, 'n1');
    assert.equal(got.status.conditions[0].type, 'PodScheduled');
    const b2 = await req('POST', '/api/v1/namespaces/default/pods/p1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n2' } });
    assert.equal(b2.status, 409);
    assert.equal(b2.json.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "n1"');
    const byNode = await req('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
    assert.deepEqual(byNode.json.items.map((p: any) => p.metadata.name), ['p1']);
    const d = await req('DELETE', '/api/v1/namespaces/default/pods/p1', { propagationPolicy: 'Background' });
    assert.equal(d.status, 200);
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p1')).status, 200);
    const d0 = await req('DELETE', '/api/v1/namespaces/default/pods/p1?gracePeriodSeconds=0');
    assert.equal(d0.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p1')).status, 404);
  });

  test('unscheduled pod is deleted at once; eviction returns 201 Success', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    await req('POST', '/api/v1/namespaces/default/pods', pod);
    const d = await req('DELETE', '/api/v1/namespaces/default/pods/p2');
    assert.equal(d.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p2')).status, 404);
    await req('POST', '/api/v1/namespaces/default/pods', pod);
    const e = await req('POST', '/api/v1/namespaces/default/pods/p2/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p2', namespace: 'default' }, deleteOptions: {} });
    assert.equal(e.status, 201);
    assert.equal(e.json.status, 'Success');
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/p2')).status, 404);
  });

  test('pods/log without a node is a 400 Status; several containers need a name', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p3' }, spec: { nodeName: 'n9', containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] } };
    await req('POST', '/api/v1/namespaces/default/pods', pod);
    const r = await req('GET', '/api/v1/namespaces/default/pods/p3/log');
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'a container name must be specified for pod p3, choose one of: [a b]');
  });

  test('namespace deletion sets Terminating; creates there are Forbidden; finalize removes it', async () => {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    const d = await req('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(d.status, 200);
    assert.equal(d.json.status.phase, 'Terminating');
    const c = await req('POST', '/api/v1/namespaces/doomed/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.equal(c.status, 403);
    assert.equal(c.json.reason, 'Forbidden');
    assert.equal(c.json.message, 'configmaps "x" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    const cur = (await req('GET', '/api/v1/namespaces/doomed')).json;
    const f = await req('PUT', '/api/v1/namespaces/doomed/finalize', { ...cur, spec: { finalizers: [] } });
    assert.equal(f.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/doomed')).status, 404);
    const imm = await req('DELETE', '/api/v1/namespaces/default');
    assert.equal(imm.status, 403);
  });

  test('watch streams events from a resourceVersion, with Table events and filter transitions', async () => {
    const list = await req('GET', '/api/v1/namespaces/default/configmaps?labelSelector=w%3D1');
    const rv = list.json.metadata.resourceVersion;
    const ac = new AbortController();
    const r = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=w%3D1&resourceVersion=${rv}&allowWatchBookmarks=true`, {
      headers: { authorization: `Bearer ${TOKEN}`, accept: T_ACCEPT },
      signal: ac.signal,
    });
    assert.equal(r.status, 200);
    const events: any[] = [];
    const reader = r.body!.getReader();
    let buf = '';
    const pump = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += new TextDecoder().decode(value);
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        }
      } catch {
        /* aborted */
      }
    })();
    const c = await req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', labels: { w: '1' } } });
    await req('PATCH', '/api/v1/namespaces/default/configmaps/w', { metadata: { labels: { w: '2' } } }, { 'content-type': 'application/merge-patch+json' });
    await req('PATCH', '/api/v1/namespaces/default/configmaps/w', { metadata: { labels: { w: '1' } } }, { 'content-type': 'application/merge-patch+json' });
    const deadline = Date.now() + 20000;
    while (events.filter((e) => e.type !== 'BOOKMARK').length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    ac.abort();
    await pump;
    const real = events.filter((e) => e.type !== 'BOOKMARK');
    assert.deepEqual(real.map((e) => e.type), ['ADDED', 'DELETED', 'ADDED']);
    assert.equal(real[0].object.kind, 'Table');
    assert.ok(Array.isArray(real[0].object.columnDefinitions));
    assert.equal(real[1].object.columnDefinitions, null);
    assert.equal(real[0].object.rows[0].object.metadata.uid, c.json.metadata.uid);
  });

  test('watch from a compacted revision yields an ERROR event with 410', async () => {
    const api2 = new APIServer({ backend, kubelets: new KubeletConnections(), resources: standInResources(), machinery: realMachinery() });
    const { url } = await api2.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await fetch(`${url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1`);
      assert.equal(r.status, 200);
      const text = await r.text();
      const ev = JSON.parse(text.trim().split('\n')[0]);
      assert.equal(ev.type, 'ERROR');
      assert.equal(ev.object.code, 410);
      assert.equal(ev.object.reason, 'Expired');
    } finally {
      await api2.stop();
    }
  });

  test('dryRun=All runs the pipeline without persisting', async () => {
    const r = await req('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } });
    assert.equal(r.status, 201);
    assert.ok(r.json.metadata.uid);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
    const bad = await req('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Dry!' } });
    assert.equal(bad.status, 422);
    const del = await req('DELETE', '/api/v1/namespaces/default/configmaps/one?dryRun=All');
    assert.equal(del.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/one')).status, 200);
  });

  test('delete collection with a label selector', async () => {
    for (const n of ['dc-1', 'dc-2', 'dc-keep']) {
      await req('POST', '/api/v1/namespaces/other/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, labels: { dc: n === 'dc-keep' ? 'no' : 'yes' } } });
    }
    const r = await req('DELETE', '/api/v1/namespaces/other/configmaps?labelSelector=dc%3Dyes');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.items.map((i: any) => i.metadata.name), ['dc-1', 'dc-2']);
    const left = await req('GET', '/api/v1/namespaces/other/configmaps?labelSelector=dc');
    assert.deepEqual(left.json.items.map((i: any) => i.metadata.name), ['dc-keep']);
  });

  test('watch ends at timeoutSeconds', async () => {
    const r = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '');
  });

  test('in-process client runs the same pipeline', async () => {
    const c = api.inProcessClient();
    const gvr = { group: '', version: 'v1', resource: 'configmaps' };
    const created = await c.create<KubeObject>(gvr, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inproc' } });
    assert.ok(created.metadata?.uid);
    await assert.rejects(c.create(gvr, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inproc' } }), (e: any) => e.code === 409);
    const got = await c.get(gvr, 'default', 'inproc');
    assert.equal(got.metadata?.name, 'inproc');
    const seen: string[] = [];
    const ac = new AbortController();
    const done = c.watch(gvr, 'default', { resourceVersion: got.metadata?.resourceVersion, fieldSelector: 'metadata.name=inproc' }, (e) => {
      seen.push(e.type);
      if (e.type === 'DELETED') ac.abort();
    }, ac.signal);
    await c.patch(gvr, 'default', 'inproc', 'application/merge-patch+json', { data: { x: 'y' } });
    await c.delete(gvr, 'default', 'inproc');
    await done;
    assert.deepEqual(seen, ['MODIFIED', 'DELETED']);
  });
});
