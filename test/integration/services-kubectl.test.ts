/**
 * Services with real kubectl (/usr/bin/kubectl 1.32) against the HTTPS apiserver, with the
 * EndpointSlice and Endpoints controllers running in-process: `kubectl expose deployment`
 * allocates a ClusterIP from the service CIDR, `kubectl get svc,endpointslices` prints upstream's
 * columns (PORT(S) `80/TCP`, ADDRESSTYPE/PORTS/ENDPOINTS), a NodePort Service shows `80:3xxxx/TCP`,
 * a taken ClusterIP is refused with upstream's message, and `kubectl get endpoints` lists ready pods.
 */
import { runKubectl, webDeploymentManifest, type KubectlRun } from '../support/kubectl.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/storage/backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { GVR, type Client } from '../../src/client/interface.ts';
import { startControllers } from '../../src/controllers/manager.ts';
import { describeEachBackend } from '../support/each-backend.ts';

describeEachBackend('Services with kubectl', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let kubeconfig: string;
  let client: Client;
  const ac = new AbortController();

  type Run = KubectlRun;

  function kubectl(args: string[]): Promise<Run> {
    return runKubectl(kubeconfig, dir, args);
  }

  async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const t0 = Date.now();
    while (!(await fn())) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const DEPLOYMENT = webDeploymentManifest(8080);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-svc-kubectl-'));
    const pki = ensurePKI(dir);
    const token = ensureAdminToken(dir);
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }),
      serviceCIDR: '10.96.0.0/16',
    });
    const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
    kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
    client = api.inProcessClient();
    await client.create(GVR.namespaces, undefined, { metadata: { name: 'default' } });
    await startControllers(client, ac.signal, { workers: 2, controllers: ['endpointslice', 'endpoint', 'garbagecollector'] });
  });

  after(async () => {
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    await api?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Two pods of the Deployment's template, Running and Ready with IPs, as the kubelet would report. */
  async function readyPods(): Promise<void> {
    for (const [i, ip] of [[1, '10.88.0.21'], [2, '10.88.0.22']] as const) {
      await client.create(GVR.pods, 'default', {
        metadata: { name: `web-pod-${i}`, labels: { app: 'web' } },
        spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 8080 }] }] },
      });
      const p = await client.get<any>(GVR.pods, 'default', `web-pod-${i}`);
      p.status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] };
      await client.update(GVR.pods, 'default', p, { subresource: 'status' });
    }
  }

  test('kubectl expose deployment → ClusterIP from the range; get svc,endpointslices columns', async () => {
    const f = join(dir, 'deploy.yaml');
    writeFileSync(f, DEPLOYMENT);
    const c = await kubectl(['create', '-f', f]);
    assert.equal(c.code, 0, c.stderr);
    await readyPods();
    const e = await kubectl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.stdout.trim(), 'service/web exposed');
    const svc = await client.get<any>(GVR.services, 'default', 'web');
    assert.match(svc.spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.selector, { app: 'web' });
    await waitFor('slice with both pods', async () => {
      const s = (await client.list<any>(GVR.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items;
      return s.length === 1 && s[0].endpoints.length === 2;
    });
    const g = await kubectl(['get', 'svc,endpointslices']);
    assert.equal(g.code, 0, g.stderr);
    const lines = g.stdout.split('\n');
    const svcHeader = lines.find((l) => l.startsWith('NAME') && l.includes('CLUSTER-IP'));
    assert.ok(svcHeader, g.stdout);
    assert.match(svcHeader, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    const svcRow = lines.find((l) => l.startsWith('service/web '));
    assert.ok(svcRow, g.stdout);
    assert.match(svcRow, new RegExp(`^service/web\\s+ClusterIP\\s+${svc.spec.clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP\\s+\\S+$`));
    const epsHeader = lines.find((l) => l.startsWith('NAME') && l.includes('ADDRESSTYPE'));
    assert.ok(epsHeader, g.stdout);
    assert.match(epsHeader, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
    const epsRow = lines.find((l) => l.startsWith('endpointslice.discovery.k8s.io/web-'));
    assert.ok(epsRow, g.stdout);
    assert.match(epsRow, /^endpointslice\.discovery\.k8s\.io\/web-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.88\.0\.21,10\.88\.0\.22\s+\S+$/);
    const ep = await kubectl(['get', 'endpoints', 'web']);
    assert.equal(ep.code, 0, ep.stderr);
    assert.match(ep.stdout, /^web\s+10\.88\.0\.21:8080,10\.88\.0\.22:8080\s+\S+$/m);
  });

  test('NodePort via kubectl apply (requested ClusterIP); a taken ClusterIP is refused with upstream wording', async () => {
    const np = join(dir, 'np.yaml');
    writeFileSync(
      np,
      `apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  clusterIP: 10.96.0.50
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`,
    );
    const c = await kubectl(['apply', '-f', np]);
    assert.equal(c.code, 0, c.stderr);
    const g = await kubectl(['get', 'svc', 'web-np', '--no-headers']);
    assert.match(g.stdout, /^web-np\s+NodePort\s+10\.96\.0\.50\s+<none>\s+80:3\d{4}\/TCP\s+\S+$/m);
    const dup = join(dir, 'dup.yaml');
    writeFileSync(dup, `apiVersion: v1\nkind: Service\nmetadata: {name: dup}\nspec:\n  clusterIP: 10.96.0.50\n  ports:\n  - port: 80\n`);
    const d = await kubectl(['create', '-f', dup]);
    assert.notEqual(d.code, 0);
    assert.match(d.stderr, /The Service "dup" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"10\.96\.0\.50"\}: failed to allocate IP 10\.96\.0\.50: provided IP is already allocated/);
  });
});
