/**
 * managedFields through the real apiserver pipeline (resource table; SQLite in memory and a private
 * etcd, describeEachBackend): managers from fieldManager / User-Agent, status subresource entries,
 * resets, apply validation errors, dry-run. Expected wording from upstream's fieldmanager and ValidatePatchOptions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../storage/backend.ts';
import { describeEachBackend } from '../../../test/support/each-backend.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';
import { TokenAuthenticator } from '../auth/token.ts';
import { newInProcessClient } from '../../client/in-process.ts';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { StatusError } from '../../machinery/errors.ts';

type Entry = { manager: string; operation: string; apiVersion: string; subresource?: string; fieldsType: string; fieldsV1: Record<string, unknown>; time?: string };
const entries = (o: KubeObject) => (o.metadata?.managedFields ?? []) as unknown as Entry[];

describeEachBackend('managedFields through the apiserver pipeline', (store) => {
  let backend: Backend;
  let api: APIServer;
  let c: Client;
  let url: string;
  const TOKEN = 'fm-test-token';

  before(async () => {
    backend = await store.open();
    api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator().add(TOKEN, { name: 'admin', groups: ['system:masters'] }) });
    await api.waitReady();
    url = (await api.listen({ host: '127.0.0.1', port: 0 })).url;
    c = api.inProcessClient();
    await c.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  });

  after(async () => {
    await api?.stop();
    await backend?.close();
  });

  const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'x' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });

  test('in-process writes: kube-controller-manager by default, kubelet status writes with subresource status', async () => {
    const p = await c.create(GVR.pods, 'default', pod('p1'));
    assert.deepEqual(
      entries(p).map((e) => [e.manager, e.operation, e.apiVersion, e.subresource]),
      [['kube-controller-manager', 'Update', 'v1', undefined]],
    );
    const kubelet = newInProcessClient(api, { userAgent: 'kubelet/v1.32.0 (skiff)' });
    p.status = { phase: 'Running', podIP: '10.1.0.5' };
    const s = await kubelet.update(GVR.pods, 'default', p, { subresource: 'status' });
    const st = entries(s).find((e) => e.manager === 'kubelet')!;
    assert.equal(st.subresource, 'status');
    assert.equal(st.operation, 'Update');
    assert.deepEqual(st.fieldsV1, { 'f:status': { 'f:phase': {}, 'f:podIP': {} } });
    // The status write cannot replace managedFields (subresources use the live ones).
    s.metadata!.managedFields = [{ manager: 'evil', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    (s.status as Record<string, unknown>).phase = 'Succeeded';
    const s2 = await kubelet.update(GVR.pods, 'default', s, { subresource: 'status' });
    assert.ok(!entries(s2).some((e) => e.manager === 'evil'));
  });

  test('over HTTP the manager is fieldManager, else the User-Agent prefix; [] resets managedFields', async () => {
    const post = await fetch(`${url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'user-agent': 'my-tool/1.0 (linux)' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ua' }, data: { a: '1' } }),
    });
    assert.equal(post.status, 201);
    const cm = (await post.json()) as KubeObject;
    assert.deepEqual(entries(cm).map((e) => e.manager), ['my-tool']);
    const put = await fetch(`${url}/api/v1/namespaces/default/configmaps/ua?fieldManager=editor`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'user-agent': 'my-tool/1.0' },
      body: JSON.stringify({ ...cm, data: { a: '1', b: '2' }, metadata: { ...cm.metadata, managedFields: [] } }),
    });
    assert.equal(put.status, 200);
    const after = (await put.json()) as KubeObject;
    assert.deepEqual(
      entries(after).map((e) => [e.manager, e.fieldsV1]),
      [['editor', { 'f:data': { 'f:b': {} } }]],
    );
  });

  test('apply: version and managedFields checks, force only for apply, dry run', async () => {
    const apply = (body: unknown, opts: Record<string, unknown> = {}) => c.patch(GVR.configmaps, 'default', 'applied', 'application/apply-patch+yaml', body, { fieldManager: 'tool', ...opts });
    await assert.rejects(apply({ apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'applied' } }), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'Incorrect version specified in apply patch. Specified patch version: v2, expected: v1');
    await assert.rejects(
      apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', managedFields: [] } }),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'metadata.managedFields must be nil',
    );
    await assert.rejects(
      c.patch(GVR.configmaps, 'default', 'applied', 'application/merge-patch+json', { data: {} }, { force: false }),
      (e: unknown) => e instanceof StatusError && e.code === 422 && e.message === 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const dry = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'v' } }, { dryRun: true });
    assert.deepEqual(entries(dry).map((e) => [e.manager, e.operation]), [['tool', 'Apply']]);
    await assert.rejects(c.get(GVR.configmaps, 'default', 'applied'), (e: unknown) => e instanceof StatusError && e.code === 404);
    const real = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { k: 'v' } });
    assert.deepEqual(entries(real)[0].fieldsV1, { 'f:data': { 'f:k': {} } });
  });

  test('apply to the status subresource records an Apply entry for status only', async () => {
    await c.patch(GVR.deployments, 'default', 'd1', 'application/apply-patch+yaml', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd1' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    }, { fieldManager: 'owner' });
    const d = await c.patch(GVR.deployments, 'default', 'd1', 'application/apply-patch+yaml', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1' }, status: { observedGeneration: 1 } }, { fieldManager: 'status-writer', subresource: 'status' });
    const e = entries(d).find((x) => x.manager === 'status-writer')!;
    assert.equal(e.operation, 'Apply');
    assert.equal(e.subresource, 'status');
    assert.deepEqual(e.fieldsV1, { 'f:status': { 'f:observedGeneration': {} } });
    assert.equal((d.status as { observedGeneration?: number }).observedGeneration, 1);
  });
});
