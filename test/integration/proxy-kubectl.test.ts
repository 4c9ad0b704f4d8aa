/**
 * pods/proxy and services/proxy with real kubectl (/usr/bin/kubectl 1.32) against the HTTPS
 * apiserver: `kubectl get --raw …/services/web:80/proxy/`, other methods with query and body
 * passed through, the 301 to `…/proxy/`, redirects rewritten under the proxy path, upstream's 503
 * Statuses (`no endpoints available for service "x"`, `error trying to reach service: dial tcp …:
 * connect: connection refused`), a WebSocket through the proxy, and `kubectl proxy`.
 *
 * The backend is a real HTTP server on 127.0.0.1. Upstream refuses loopback addresses twice
 * (Endpoints validation, and pods/proxy's IsProxyableIP), so the Pod's status.podIP is 127.0.0.1
 * with the server's test-only `proxyAllowLoopback`, and the Service's Endpoints object (selector-less
 * Service) is written to the store directly, standing in for a pod IP the host reaches.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { runKubectl, type KubectlRun } from '../support/kubectl.ts';
import type { Backend } from '../../src/storage/backend.ts';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { GVR, type Client, type KubeObject } from '../../src/client/interface.ts';

let dir: string;
let backend: Backend;
let api: APIServer;
let apiURL: string;
let token: string;
let caPem: string;
let kubeconfig: string;
let client: Client;
let web: Server;
let wss: WebSocketServer;
let webPort: number;
let closedPort: number;
let kproxy: ChildProcess | undefined;

function kubectl(args: string[], input?: string): Promise<KubectlRun> {
  return runKubectl(kubeconfig, dir, args, input);
}

/** Writes an Endpoints object straight into the store (validation forbids loopback addresses). */
async function putEndpoints(name: string, ip: string, port: number, podName: string): Promise<void> {
  const ri = api.pipeline.find('', 'v1', 'endpoints')!;
  const key = api.pipeline.store(ri).key('default', name);
  const obj = {
    kind: 'Endpoints',
    apiVersion: 'v1',
    metadata: { name, namespace: 'default', uid: `uid-ep-${name}`, creationTimestamp: new Date().toISOString() },
    subsets: [{ addresses: [{ ip, targetRef: { kind: 'Pod', namespace: 'default', name: podName } }], ports: [{ name: 'http', port, protocol: 'TCP' }] }],
  };
  await backend.create(key, JSON.stringify(obj));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-proxy-kubectl-'));
  // The backend: echoes what reached it; /moved redirects; WebSocket echo on /ws.
  web = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/moved')) {
        res.writeHead(302, { Location: '/target?x=1' });
        return void res.end();
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'X-Backend': 'web' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), authorization: req.headers.authorization ?? null, forwardedUri: req.headers['x-forwarded-uri'] ?? null }));
    });
  });
  wss = new WebSocketServer({ server: web, path: '/ws' });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  webPort = (web.address() as AddressInfo).port;
  // A port nothing listens on: bind, read the port, close.
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', () => r()));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));

  const pki = ensurePKI(dir);
  caPem = pki.caPem;
  token = ensureAdminToken(dir);
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({
    backend,
    kubelets: new KubeletConnections(),
    authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }),
    serviceCIDR: '10.96.0.0/16',
    authorizationMode: 'RBAC',
    proxyAllowLoopback: true,
  });
  const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
  apiURL = url;
  kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
  client = api.inProcessClient();
  await client.create(GVR.namespaces, undefined, { metadata: { name: 'default' } });
  for (const [name, port] of [['web-0', webPort], ['dead-0', closedPort]] as const) {
    await client.create(GVR.pods, 'default', { metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: port }] }] } } as KubeObject);
    await client.patch(GVR.pods, 'default', name, 'application/merge-patch+json', { status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } }, { subresource: 'status' });
  }
  for (const [name, port] of [['web', webPort], ['dead', closedPort], ['lonely', webPort]] as const) {
    await client.create(GVR.services, 'default', { metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: port }] } } as KubeObject);
  }
  await putEndpoints('web', '127.0.0.1', webPort, 'web-0');
  await putEndpoints('dead', '127.0.0.1', closedPort, 'dead-0');
  await client.create(GVR.endpoints, 'default', { metadata: { name: 'lonely' }, subsets: [] } as KubeObject);
});

after(async () => {
  if (kproxy?.pid) kproxy.kill('SIGTERM');
  await api?.stop();
  await backend?.close();
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
  web?.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl get --raw services/web:80/proxy/ reaches the endpoint; port name and pod forms too', async () => {
  for (const path of ['/api/v1/namespaces/default/services/web:80/proxy/hello?a=1&b=2', '/api/v1/namespaces/default/services/web:http/proxy/hello?a=1&b=2', `/api/v1/namespaces/default/pods/web-0/proxy/hello?a=1&b=2`, `/api/v1/namespaces/default/pods/http:web-0:${webPort}/proxy/hello?a=1&b=2`]) {
    const r = await kubectl(['get', '--raw', path]);
    assert.equal(r.code, 0, `${path}: ${r.stderr}`);
    const got = JSON.parse(r.stdout);
    assert.equal(got.method, 'GET');
    assert.equal(got.url, '/hello?a=1&b=2');
    assert.equal(got.authorization, null, 'the bearer token is not passed on');
    assert.equal(got.forwardedUri, path.split('?')[0]);
  }
  const root = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/']);
  assert.equal(JSON.parse(root.stdout).url, '/');
});

test('POST body, PUT, DELETE pass through; headers stream back; CORS headers dropped', async () => {
  const r = await kubectl(['create', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/items?x=y', '-f', '-'], '{"hello":"world"}');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { method: 'POST', url: '/items?x=y', body: '{"hello":"world"}', authorization: null, forwardedUri: '/api/v1/namespaces/default/services/web:80/proxy/items' });
  const auth = { Authorization: `Bearer ${token}` };
  const base = `${apiURL}/api/v1/namespaces/default/services/web:80/proxy`;
  const { Agent, fetch: ufetch } = await import('undici');
  const dispatcher = new Agent({ connect: { ca: caPem } });
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const res = await ufetch(`${base}/thing`, { method, headers: auth, body: method === 'DELETE' ? undefined : 'data', dispatcher });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-backend'), 'web');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const got = (await res.json()) as { method: string; body: string };
    assert.equal(got.method, method);
    assert.equal(got.body, method === 'DELETE' ? '' : 'data');
  }
  // `/proxy` without the slash: 301 to `/proxy/` (query kept); a backend redirect stays under the proxy path.
  const bare = await ufetch(`${base}?q=1`, { headers: auth, dispatcher, redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/api/v1/namespaces/default/services/web:80/proxy/?q=1');
  const moved = await ufetch(`${base}/moved`, { headers: auth, dispatcher, redirect: 'manual' });
  assert.equal(moved.status, 302);
  assert.equal(moved.headers.get('location'), '/api/v1/namespaces/default/services/web:80/proxy/target?x=1');
  await dispatcher.close();
});

test("upstream's errors: no endpoints, refused connection, unknown port, bad id, unknown service", async () => {
  const lonely = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/lonely:80/proxy/']);
  assert.notEqual(lonely.code, 0);
  assert.match(lonely.stderr, /Error from server \(ServiceUnavailable\): no endpoints available for service "lonely"/);
  const dead = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/dead:80/proxy/']);
  assert.match(dead.stderr, new RegExp(`Error from server \\(ServiceUnavailable\\): error trying to reach service: dial tcp 127\\.0\\.0\\.1:${closedPort}: connect: connection refused`));
  const port = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:81/proxy/']);
  assert.match(port.stderr, /no service port 81 found for service "web"/);
  const bad = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/ftp:web:80/proxy/']);
  assert.match(bad.stderr, /invalid service request "ftp:web:80"/);
  const missing = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/nope:80/proxy/']);
  assert.match(missing.stderr, /services "nope" not found/);
  const nopod = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/nope/proxy/']);
  assert.match(nopod.stderr, /pods "nope" not found/);
});

test('RBAC: a Role granting get on services/proxy lets jane GET through the proxy, not POST', async () => {
  const rbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: svc-proxy-reader, namespace: default}
rules:
- apiGroups: [""]
  resources: ["services/proxy"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-svc-proxy, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: svc-proxy-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}
`;
  const applied = await kubectl(['apply', '-f', '-'], rbac);
  assert.equal(applied.code, 0, applied.stderr);
  // (kubectl auth can-i reads `services/x` as a name; the subresource is a flag.)
  let last: KubectlRun | undefined;
  for (let i = 0; i < 100 && last?.stdout.trim() !== 'yes'; i++) {
    if (i) await new Promise((r) => setTimeout(r, 100)); // the authorizer reads RBAC objects from the watch cache
    last = await kubectl(['auth', 'can-i', 'get', 'services', '--subresource=proxy', '--as=jane']);
  }
  assert.equal(last?.stdout.trim(), 'yes', `${last?.stdout} ${last?.stderr}`);
  assert.equal((await kubectl(['auth', 'can-i', 'create', 'services', '--subresource=proxy', '--as=jane'])).stdout.trim(), 'no');
  const ok = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/rbac', '--as=jane']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).url, '/rbac');
  const denied = await kubectl(['create', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/rbac', '-f', '-', '--as=jane'], '{}');
  assert.match(denied.stderr, /Error from server \(Forbidden\): services "web:80" is forbidden: User "jane" cannot create resource "services\/proxy" in API group "" in the namespace "default"/);
  const pods = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web-0/proxy/', '--as=jane']);
  assert.match(pods.stderr, /cannot get resource "pods\/proxy"/);
});

test('a WebSocket through services/proxy', async () => {
  const ws = new WebSocket(`${apiURL.replace('https', 'wss')}/api/v1/namespaces/default/services/web:80/proxy/ws`, { headers: { Authorization: `Bearer ${token}` }, ca: caPem });
  const reply = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => ws.send('ping'));
    ws.on('message', (m) => resolve(m.toString()));
    ws.on('error', reject);
  });
  assert.equal(reply, 'echo:ping');
  ws.close();
});

test('kubectl proxy, then plain HTTP to 127.0.0.1:<port>/api/v1/namespaces/default/services/web:80/proxy/', async () => {
  kproxy = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'proxy', '--port=0'], { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`kubectl proxy did not start: ${out}`)), 60_000);
    kproxy!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    kproxy!.on('exit', () => reject(new Error(`kubectl proxy exited: ${out}`)));
  });
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/services/web:80/proxy/via-kubectl-proxy?z=9`);
  assert.equal(res.status, 200);
  const got = (await res.json()) as { url: string; method: string };
  assert.equal(got.url, '/via-kubectl-proxy?z=9');
  kproxy.kill('SIGTERM');
  kproxy = undefined;
});
