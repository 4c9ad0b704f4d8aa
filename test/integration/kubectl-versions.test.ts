/**
 * kubectl version skew: besides the dispatcher's built-in 1.32.4 (every other kubectl test), the
 * versioned kubectl builds installed beside it — 1.31 (sends JSON bodies everywhere) and 1.33
 * (sends protobuf from its typed generators, as 1.32 does) — drive the same HTTPS apiserver:
 * `version` accepts the server's gitVersion (v1.32.0+skiff) without a skew warning (1.32 too), and
 * the generators, apply, get and delete work. Upstream supports kubectl within one minor of the
 * apiserver.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { GVR } from '../../src/client/interface.ts';
import type { KubectlRun } from '../support/kubectl.ts';

/** The gcloud SDK's versioned kubectl builds (the /usr/bin/kubectl dispatcher picks among them). */
const VERSIONED = (minor: number) => `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let kubeconfig: string;

function run(bin: string, args: string[]): Promise<KubectlRun> {
  return new Promise((resolve) => {
    execFile(bin, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, `cache-${bin.slice(-4)}`), ...args], { timeout: 90_000, env: { ...process.env, HOME: dir, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-versions-'));
  const pki = ensurePKI(dir);
  const token = ensureAdminToken(dir);
  backend = SqliteBackend.open(':memory:');
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }) });
  const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
  kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
  await api.inProcessClient().create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
});

after(async () => {
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const minor of [31, 33]) {
  test(`kubectl 1.${minor}: version, create generators, apply, get, delete`, async () => {
    const k = (args: string[]) => run(VERSIONED(minor), args);
    const v = await k(['version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`Client Version: v1\\.${minor}\\.`));
    assert.match(v.stdout, /Server Version: v1\.32\.0\+skiff\n/);
    assert.doesNotMatch(v.stderr, /WARNING: version difference/);
    const ns = `v${minor}`;
    const steps: [string[], string][] = [
      [['create', 'namespace', ns], `namespace/${ns} created`],
      [['create', 'configmap', 'c', '-n', ns, '--from-literal=a=b'], 'configmap/c created'],
      [['create', 'secret', 'generic', 's', '-n', ns, '--from-literal=k=v'], 'secret/s created'],
      [['create', 'deployment', 'web', '-n', ns, '--image=nginx', '--replicas=2'], 'deployment.apps/web created'],
      [['create', 'job', 'j', '-n', ns, '--image=busybox', '--', 'true'], 'job.batch/j created'],
      [['create', 'service', 'clusterip', 'web', '-n', ns, '--tcp=80:8080'], 'service/web created'],
    ];
    for (const [args, out] of steps) {
      const r = await k(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), out);
    }
    const f = join(dir, `cm-${minor}.yaml`);
    writeFileSync(f, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ${ns}\ndata:\n  k: v\n`);
    const a = await k(['apply', '-f', f]);
    assert.equal(a.stdout.trim(), 'configmap/applied created', a.stderr);
    const g = await k(['get', 'cm', 'c', '-n', ns, '-o', 'jsonpath={.data.a}']);
    assert.equal(g.stdout, 'b', g.stderr);
    const d = await k(['delete', 'cm', 'c', '-n', ns]);
    assert.equal(d.stdout.trim(), 'configmap "c" deleted', d.stderr);
    const nf = await k(['get', 'cm', 'c', '-n', ns]);
    assert.equal(nf.stderr.trim(), 'Error from server (NotFound): configmaps "c" not found');
  });
}

test('kubectl 1.32 (versioned build and the dispatcher): version without a skew warning', async () => {
  // v1.32.0+skiff is v1.32.0 with build metadata (as k3s's v1.32.0+k3s1), not a pre-release.
  for (const bin of [VERSIONED(32), '/usr/bin/kubectl']) {
    const v = await run(bin, ['version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /Client Version: v1\.32\./);
    assert.match(v.stdout, /Server Version: v1\.32\.0\+skiff\n/);
    assert.doesNotMatch(v.stderr, /WARNING: version difference/);
  }
});
