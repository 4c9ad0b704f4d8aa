/**
 * Real kubectl (/usr/bin/kubectl) against the real HTTPS apiserver with the real resource table,
 * stored in a private etcd (EtcdBackend): apply/get/watch/patch/delete, a 409 on a stale replace,
 * chunked lists, resourceVersion = etcd mod_revision under `/registry/...` keys, and 410 Expired
 * for a list at a compacted revision.
 */
import { runKubectl, webDeploymentManifest, type KubectlRun } from '../support/kubectl.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdBackend } from '../../src/storage/etcd/etcd-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { GVR, type Client, type KubeObject } from '../../src/client/interface.ts';
import { startEtcd, type TestEtcd } from '../support/etcd.ts';

let dir: string;
let etcd: TestEtcd;
let backend: EtcdBackend;
let api: APIServer;
let kubeconfig: string;
let client: Client;

type Run = KubectlRun;

function kubectl(args: string[], opts: { input?: string } = {}): Promise<Run> {
  return runKubectl(kubeconfig, dir, args, opts.input);
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const DEPLOYMENT = webDeploymentManifest(80);

const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: "${v}"\n`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-etcd-'));
  etcd = await startEtcd();
  backend = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
  const pki = ensurePKI(dir);
  const token = ensureAdminToken(dir);
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }) });
  const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
  kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
  client = api.inProcessClient();
  await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
});

after(async () => {
  await api?.stop();
  await backend?.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('apply: created, unchanged, configured; resourceVersion is the etcd mod_revision of /registry/configmaps/default/settings', async () => {
  const f = file('cm.yaml', cm('1'));
  const a = await kubectl(['apply', '-f', f]);
  assert.equal(a.stdout.trim(), 'configmap/settings created', a.stderr);
  const b = await kubectl(['apply', '-f', f]);
  assert.equal(b.stdout.trim(), 'configmap/settings unchanged', b.stderr);
  file('cm.yaml', cm('2'));
  const c = await kubectl(['apply', '-f', f]);
  assert.equal(c.stdout.trim(), 'configmap/settings configured', c.stderr);
  const j = await kubectl(['get', 'cm', 'settings', '-o', 'json']);
  assert.equal(j.code, 0, j.stderr);
  const obj = JSON.parse(j.stdout);
  assert.equal(obj.data.level, '2');
  // Read the key straight from etcd with a second client.
  const raw = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
  try {
    const kv = await raw.get('/registry/configmaps/default/settings');
    assert.ok(kv);
    assert.equal(String(kv.modRevision), obj.metadata.resourceVersion);
    assert.equal(JSON.parse(kv.value).data.level, '2');
  } finally {
    await raw.close();
  }
});

test('apply a Deployment; get shows it; patch (merge and strategic)', async () => {
  const d = await kubectl(['apply', '-f', file('deploy.yaml', DEPLOYMENT)]);
  assert.equal(d.stdout.trim(), 'deployment.apps/web created', d.stderr);
  const g = await kubectl(['get', 'deploy', 'web', '--no-headers']);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^web\s+0\/2\s+/);
  const mp = await kubectl(['patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"annotations":{"note":"x"}}}']);
  assert.equal(mp.stdout.trim(), 'deployment.apps/web patched', mp.stderr);
  const sp = await kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}']);
  assert.equal(sp.stdout.trim(), 'deployment.apps/web patched', sp.stderr);
  const got = await client.get<KubeObject & { spec: { template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } } }>(GVR.deployments, 'default', 'web');
  assert.equal(got.metadata?.annotations?.note, 'x');
  assert.equal(got.spec.template.spec.containers[0]!.image, 'nginx:2');
  assert.equal(got.spec.template.spec.containers[0]!.ports[0]!.containerPort, 80);
  // Upstream's deployment strategy bumps generation on spec and on annotation changes: 1 → 2 → 3.
  assert.equal(got.metadata?.generation, 3);
});

test('get -w prints changes as they happen', async () => {
  const child = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'cm', '-w'], { env: { ...process.env, HOME: dir, KUBECONFIG: '' } });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('settings') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await client.create(GVR.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { a: '1', b: '2' } });
    while (!out.includes('watched') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /^NAME\s+DATA\s+AGE\n/);
    assert.match(out, /\nwatched\s+2\s+\S+\n/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('replace with a stale resourceVersion is a 409 Conflict', async () => {
  const cur = await client.get(GVR.configmaps, 'default', 'settings');
  await client.patch(GVR.configmaps, 'default', 'settings', 'application/merge-patch+json', { data: { level: '3' } });
  const f = file('stale.yaml', JSON.stringify({ ...cur, data: { level: '4' } }));
  const r = await kubectl(['replace', '-f', f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error from server \(Conflict\): error when replacing ".*stale\.yaml": Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again/);
  assert.equal((await client.get<KubeObject & { data: Record<string, string> }>(GVR.configmaps, 'default', 'settings')).data.level, '3');
});

test('get --chunk-size pages through the list (etcd range with limit)', async () => {
  for (const n of ['c1', 'c2', 'c3']) await client.create(GVR.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } });
  const r = await kubectl(['get', 'cm', '--chunk-size=1', '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, ['c1', 'c2', 'c3', 'settings', 'watched'].map((n) => `configmap/${n}\n`).join(''));
});

test('a list at a compacted resourceVersion is 410 Expired', async () => {
  const before = await client.get(GVR.configmaps, 'default', 'settings');
  const oldRV = before.metadata!.resourceVersion!;
  await client.patch(GVR.configmaps, 'default', 'settings', 'application/merge-patch+json', { data: { level: '5' } });
  const exact = `/api/v1/namespaces/default/configmaps?resourceVersion=${oldRV}&resourceVersionMatch=Exact`;
  const ok = await kubectl(['get', '--raw', exact]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).metadata.resourceVersion, oldRV);
  await backend.compact(await backend.currentRevision());
  const gone = await kubectl(['get', '--raw', exact]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /Error from server \(Expired\): too old resource version: /);
});

test('delete removes the objects; NotFound wording afterwards', async () => {
  const d = await kubectl(['delete', '-f', join(dir, 'deploy.yaml')]);
  assert.equal(d.stdout.trim(), 'deployment.apps "web" deleted', d.stderr);
  const c = await kubectl(['delete', 'cm', 'settings']);
  assert.equal(c.stdout.trim(), 'configmap "settings" deleted', c.stderr);
  const nf = await kubectl(['get', 'cm', 'settings']);
  assert.equal(nf.code, 1);
  assert.equal(nf.stderr.trim(), 'Error from server (NotFound): configmaps "settings" not found');
  assert.equal(await backend.get('/registry/configmaps/default/settings'), undefined);
  assert.equal(await backend.get('/registry/deployments/default/web'), undefined);
});
