/**
 * The official TypeScript client (@kubernetes/client-node 1.x) as a second real client against
 * the real HTTPS apiserver (real resource table; SQLite in a temp dir and a private etcd, via describeEachBackend), loaded from the kubeconfig
 * Skiff writes: namespace and ConfigMap CRUD, a Deployment through AppsV1Api, a merge patch
 * (Content-Type set with setHeaderOptions + PatchStrategy, as 1.x requires), a 409 Conflict on a
 * stale replace, an informer (makeInformer) seeing add/update/delete, and a raw Watch seeing
 * ADDED/MODIFIED/DELETED.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Backend } from '../../src/storage/backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { describeEachBackend } from '../support/each-backend.ts';

describeEachBackend('@kubernetes/client-node against Skiff', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const NS = 'client-node';

  /** Polls until `cond` holds (generous timeout; not a timing assertion). */
  async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The HTTP status of a client-node ApiException (1.x: `.code`). */
  function statusOf(e: unknown): number | undefined {
    return (e as { code?: number }).code;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-client-node-'));
    const pki = ensurePKI(dir);
    const token = ensureAdminToken(dir);
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }) });
    const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
    const path = join(dir, 'kubeconfig');
    writeKubeconfig(path, { server: url, caPem: pki.caPem, token });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(path);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });

  after(async () => {
    await api?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ConfigMap CRUD, merge patch and a 409 on a stale replace', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cfg', labels: { app: 'x' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'cfg');
    assert.ok(created.metadata?.uid);
    assert.ok(created.metadata?.resourceVersion);

    const read = await core.readNamespacedConfigMap({ name: 'cfg', namespace: NS });
    assert.deepEqual(read.data, { a: '1' });

    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app=x' });
    assert.deepEqual(list.items.map((c) => c.metadata?.name), ['cfg']);

    // replace with the current resourceVersion
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: { ...read, data: { a: '2' } } });
    assert.deepEqual(replaced.data, { a: '2' });
    assert.notEqual(replaced.metadata?.resourceVersion, read.metadata?.resourceVersion);

    // merge patch (1.x: the Content-Type is chosen through setHeaderOptions)
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: NS, body: { data: { b: '3' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.data, { a: '2', b: '3' });

    // a replace carrying the stale resourceVersion of `read` is a 409 Conflict
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: { ...read, data: { a: 'stale' } } }),
      (e: unknown) => {
        assert.equal(statusOf(e), 409);
        const body = JSON.parse(String((e as { body?: unknown }).body));
        assert.equal(body.kind, 'Status');
        assert.equal(body.reason, 'Conflict');
        assert.match(body.message, /the object has been modified; please apply your changes to the latest version and try again/);
        return true;
      },
    );

    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: NS });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'cfg', namespace: NS }), (e: unknown) => statusOf(e) === 404);
  });

  test('Deployment CRUD through AppsV1Api (defaults applied by the server)', async () => {
    const body: k8s.V1Deployment = {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: NS, body });
    assert.equal(created.spec?.strategy?.type, 'RollingUpdate');
    assert.equal(created.spec?.revisionHistoryLimit, 10);
    assert.equal(created.spec?.progressDeadlineSeconds, 600);

    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    read.spec!.replicas = 3;
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: read });
    assert.equal(replaced.spec?.replicas, 3);
    assert.equal(replaced.metadata?.generation, 2);

    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: 1 }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    assert.equal(patched.spec?.replicas, 1);

    const list = await apps.listNamespacedDeployment({ namespace: NS });
    assert.deepEqual(list.items.map((d) => d.metadata?.name), ['web']);

    await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
    await assert.rejects(apps.readNamespacedDeployment({ name: 'web', namespace: NS }), (e: unknown) => statusOf(e) === 404);
  });

  test('an informer (makeInformer) sees add, update and delete', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: NS }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${JSON.stringify(o.data)}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      await waitFor(() => seen.includes('add inf'), 'informer add');
      assert.ok(informer.get('inf', NS));
      await core.patchNamespacedConfigMap({ name: 'inf', namespace: NS, body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await waitFor(() => seen.includes('update inf {"v":"2"}'), 'informer update');
      await core.deleteNamespacedConfigMap({ name: 'inf', namespace: NS });
      await waitFor(() => seen.includes('delete inf'), 'informer delete');
      assert.equal(informer.get('inf', NS), undefined);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  test('a raw Watch sees ADDED, MODIFIED and DELETED', async () => {
    const start = await core.listNamespacedConfigMap({ namespace: NS });
    const events: string[] = [];
    let doneErr: unknown = 'not done';
    const watch = new k8s.Watch(kc);
    const ac = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: start.metadata?.resourceVersion, allowWatchBookmarks: true },
      (phase, obj: k8s.V1ConfigMap) => {
        if (phase !== 'BOOKMARK') events.push(`${phase} ${obj.metadata?.name}`);
      },
      (err) => {
        doneErr = err;
      },
    );
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'w', namespace: NS, body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'w', namespace: NS });
      await waitFor(() => events.length >= 3, 'three watch events');
      assert.deepEqual(events, ['ADDED w', 'MODIFIED w', 'DELETED w']);
    } finally {
      ac.abort();
    }
    await waitFor(() => doneErr !== 'not done', 'watch done callback');
  });
});
