import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import type { Backend } from '../storage/backend.ts';
import { APIServer } from '../apiserver/server.ts';
import { KubeletConnections } from '../apiserver/kubelet-client.ts';
import { realMachinery } from '../apiserver/machinery-real.ts';
import { TokenAuthenticator } from '../apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../apiserver/pki.ts';
import { standInResources } from '../apiserver/testing/stand-in-resources.ts';
import { newRestClient } from './rest-client.ts';
import type { KubeObject, WatchEventObject } from './interface.ts';
import { describeEachBackend } from '../../test/support/each-backend.ts';

describeEachBackend('REST client over HTTPS', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let url: string;
  let caPem: string;
  let token: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-rest-'));
    const pki = ensurePKI(dir);
    caPem = pki.caPem;
    token = ensureAdminToken(dir);
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }),
      resources: standInResources(),
      machinery: realMachinery(),
    });
    ({ url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } }));
    await newRestClient({ server: url, token, caPem }).create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  });

  after(async () => {
    await api.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('pki is reused and the kubeconfig names cluster/context skiff and user admin', () => {
    const again = ensurePKI(dir);
    assert.equal(again.caPem, caPem);
    assert.equal(ensureAdminToken(dir), token);
    const p = join(dir, 'kubeconfig');
    writeKubeconfig(p, { server: url, caPem, token });
    const cfg = YAML.parse(readFileSync(p, 'utf8'));
    assert.equal(cfg['current-context'], 'skiff');
    assert.equal(cfg.contexts[0].context.user, 'admin');
    assert.equal(Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), caPem);
    assert.equal(cfg.users[0].user.token, token);
  });

  test('CRUD, errors and watch over HTTPS', async () => {
    const c = newRestClient({ server: url, token, caPem });
    const gvr = { group: '', version: 'v1', resource: 'configmaps' };
    const created = await c.create<KubeObject>(gvr, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r1' }, data: { a: '1' } });
    assert.ok(created.metadata?.resourceVersion);
    await assert.rejects(c.get(gvr, 'default', 'missing'), (e: any) => e.code === 404 && e.message === 'configmaps "missing" not found');
    const list = await c.list(gvr, 'default');
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['r1']);
    const events: WatchEventObject[] = [];
    const ac = new AbortController();
    const done = c.watch(gvr, 'default', { resourceVersion: list.metadata.resourceVersion }, (e) => {
      events.push(e);
      if (e.type === 'DELETED') ac.abort();
    }, ac.signal);
    const patched = await c.patch<KubeObject>(gvr, 'default', 'r1', 'application/merge-patch+json', { data: { a: '2' } });
    assert.equal((patched as { data?: Record<string, string> }).data?.a, '2');
    await c.delete(gvr, 'default', 'r1');
    await done;
    assert.deepEqual(events.map((e) => e.type), ['MODIFIED', 'DELETED']);
  });

  test('a wrong token is 401', async () => {
    const c = newRestClient({ server: url, token: 'nope', caPem });
    await assert.rejects(c.list({ group: '', version: 'v1', resource: 'configmaps' }, 'default'), (e: any) => e.code === 401);
  });
});
