/**
 * RBAC end to end with the real kubectl (/usr/bin/kubectl 1.32) against the HTTPS apiserver in
 * `authorizationMode: 'RBAC'` (bootstrap policy reconciled at start), the admin token user in
 * system:masters, and client certificates signed by the cluster CA. Runs on SQLite and on a private
 * etcd (describeEachBackend).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl, type KubectlRun } from '../support/kubectl.ts';
import type { Backend } from '../../src/storage/backend.ts';
import { describeEachBackend } from '../support/each-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { UnionAuthenticator, X509Authenticator } from '../../src/apiserver/auth/x509.ts';
import { ensureAdminToken, ensurePKI, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { clientCertKubeconfig, issueClientCertificate } from '../../src/apiserver/auth/client-cert.ts';

const POLICY = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: dev}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-pods, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
`;

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: dev}
spec:
  containers:
  - {name: main, image: busybox}
`;

describeEachBackend('kubectl with RBAC authorization', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let url: string;
  let admin: string;
  let caPem: string;
  let caPaths: { caCertPath: string; caKeyPath: string };

  const k = (args: string[], input?: string, kubeconfig = admin): Promise<KubectlRun> => runKubectl(kubeconfig, dir, args, input);
  const ok = (r: KubectlRun): KubectlRun => {
    assert.equal(r.code, 0, `kubectl failed: ${r.stderr}`);
    return r;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-rbac-'));
    const pki = ensurePKI(dir);
    caPem = pki.caPem;
    caPaths = { caCertPath: pki.caPath, caKeyPath: join(dir, 'pki', 'ca.key') };
    const token = ensureAdminToken(dir);
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new UnionAuthenticator([new X509Authenticator(), new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] })]),
      authorizationMode: 'RBAC',
    });
    ({ url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem, clientCA: pki.caPem } }));
    admin = join(dir, 'admin.yaml');
    writeKubeconfig(admin, { server: url, caPem: pki.caPem, token });
    ok(await k(['create', 'namespace', 'dev']));
    ok(await k(['apply', '-f', '-'], POLICY));
    ok(await k(['apply', '-f', '-'], POD));
  });

  after(async () => {
    await api?.stop();
    await backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('bootstrap policy exists; printers as upstream (Role: NAME CREATED AT; RoleBinding: NAME ROLE AGE, wide subjects)', async () => {
    const crs = ok(await k(['get', 'clusterroles', 'cluster-admin', 'view', 'system:discovery']));
    assert.match(crs.stdout.split('\n')[0], /^NAME\s+CREATED AT$/);
    assert.match(crs.stdout, /\ncluster-admin\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
    const crbs = ok(await k(['get', 'clusterrolebinding', 'system:public-info-viewer', '-o', 'wide']));
    assert.match(crbs.stdout.split('\n')[0], /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$/);
    assert.match(crbs.stdout, /system:public-info-viewer\s+ClusterRole\/system:public-info-viewer\s+\S+\s+system:authenticated, system:unauthenticated/);
    const rb = ok(await k(['get', 'rolebinding', '-n', 'dev', '-o', 'wide']));
    assert.match(rb.stdout, /alice-reads-pods\s+Role\/pod-reader\s+\S+\s+alice/);
    const role = ok(await k(['get', 'role', '-n', 'dev']));
    assert.match(role.stdout, /^NAME\s+CREATED AT\npod-reader\s+\S+Z\n$/);
  });

  test('kubectl describe role / rolebinding print the rules and subjects', async () => {
    const role = ok(await k(['describe', 'role', 'pod-reader', '-n', 'dev']));
    assert.match(role.stdout, /PolicyRule:\n\s+Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n\s+-+\s+-+\s+-+\s+-+\n\s+pods\s+\[\]\s+\[\]\s+\[get list\]/);
    const rb = ok(await k(['describe', 'rolebinding', 'alice-reads-pods', '-n', 'dev']));
    assert.match(rb.stdout, /Role:\n\s+Kind:\s+Role\n\s+Name:\s+pod-reader\nSubjects:\n\s+Kind\s+Name\s+Namespace\n\s+-+\s+-+\s+-+\n\s+User\s+alice/);
  });

  test('kubectl explain and api-resources know the RBAC and review kinds', async () => {
    const ex = ok(await k(['explain', 'clusterrole.aggregationRule']));
    assert.match(ex.stdout, /GROUP:\s+rbac\.authorization\.k8s\.io\nKIND:\s+ClusterRole\nVERSION:\s+v1/);
    const ar = ok(await k(['api-resources', '--api-group', 'rbac.authorization.k8s.io', '-o', 'name']));
    assert.deepEqual(ar.stdout.trim().split('\n').sort(), ['clusterrolebindings.rbac.authorization.k8s.io', 'clusterroles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'roles.rbac.authorization.k8s.io']);
    const az = ok(await k(['api-resources', '--api-group', 'authorization.k8s.io', '-o', 'wide']));
    assert.match(az.stdout, /selfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview\s+create/);
  });

  test('alice (impersonated) reads pods in dev; Forbidden in default with upstream wording', async () => {
    const inDev = ok(await k(['get', 'pods', '-n', 'dev', '--as', 'alice']));
    assert.match(inDev.stdout, /^NAME\s+READY\s+STATUS/);
    assert.match(inDev.stdout, /\np1\s/);
    ok(await k(['get', 'pod', 'p1', '-n', 'dev', '--as', 'alice', '-o', 'name']));
    const inDefault = await k(['get', 'pods', '-n', 'default', '--as', 'alice']);
    assert.equal(inDefault.code, 1);
    assert.equal(inDefault.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    const del = await k(['delete', 'pod', 'p1', '-n', 'dev', '--as', 'alice']);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /Error from server \(Forbidden\): pods "p1" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "dev"/);
  });

  test('kubectl auth can-i answers yes/no; --list shows the rules; whoami shows the identity', async () => {
    const yes = ok(await k(['auth', 'can-i', 'list', 'pods', '-n', 'dev', '--as', 'alice']));
    assert.equal(yes.stdout.trim(), 'yes');
    const no = await k(['auth', 'can-i', 'create', 'pods', '-n', 'dev', '--as', 'alice']);
    assert.equal(no.code, 1);
    assert.equal(no.stdout.trim(), 'no');
    const noDefault = await k(['auth', 'can-i', 'list', 'pods', '-n', 'default', '--as', 'alice']);
    assert.equal(noDefault.stdout.trim(), 'no');
    assert.equal(ok(await k(['auth', 'can-i', 'delete', 'nodes'])).stdout.trim(), 'yes');
    const list = ok(await k(['auth', 'can-i', '--list', '-n', 'dev', '--as', 'alice']));
    assert.match(list.stdout, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    assert.match(list.stdout, /\npods\s+\[\]\s+\[\]\s+\[get list\]/);
    assert.match(list.stdout, /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    assert.match(list.stdout, /\s+\[\/version\]\s+\[\]\s+\[get\]/);
    const who = ok(await k(['auth', 'whoami', '--as', 'alice', '--as-group', 'dev']));
    assert.match(who.stdout, /Username\s+alice\n/);
    assert.match(who.stdout, /Groups\s+\[dev system:authenticated\]/);
  });

  test('a client-certificate kubeconfig authenticates alice (CN) in group dev (O)', async () => {
    const { certPem, keyPem } = issueClientCertificate({ ...caPaths, user: 'alice', groups: ['dev'] });
    const kc = join(dir, 'alice.yaml');
    writeFileSync(kc, clientCertKubeconfig({ server: url, caPem, user: 'alice', certPem, keyPem, namespace: 'dev' }));
    const who = ok(await k(['auth', 'whoami'], undefined, kc));
    assert.match(who.stdout, /Username\s+alice\n/);
    assert.match(who.stdout, /Groups\s+\[dev system:authenticated\]/);
    ok(await k(['get', 'pods'], undefined, kc));
    const forbidden = await k(['get', 'pods', '-n', 'default'], undefined, kc);
    assert.equal(forbidden.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    // alice may not impersonate.
    const imp = await k(['get', 'pods', '--as', 'bob'], undefined, kc);
    // (kubectl also logs its failed discovery first, as against upstream: the Forbidden is the last line.)
    assert.equal(imp.stderr.trim().split('\n').at(-1), 'Error from server (Forbidden): users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
    // A RoleBinding to a Group subject: group dev gets the ClusterRole view in dev.
    ok(await k(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-view, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: dev, apiGroup: rbac.authorization.k8s.io}
`));
    assert.equal(ok(await k(['auth', 'can-i', 'list', 'deployments.apps'], undefined, kc)).stdout.trim(), 'yes');
    assert.equal((await k(['auth', 'can-i', 'get', 'secrets'], undefined, kc)).stdout.trim(), 'no');
  });

  test('roleRef is immutable ("cannot change roleRef"); subject kinds are validated', async () => {
    const changed = await k(['apply', '-f', '-'], POLICY.replace('kind: Role, name: pod-reader', 'kind: ClusterRole, name: view'));
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /roleRef: Invalid value: rbac\.RoleRef\{APIGroup:"rbac\.authorization\.k8s\.io", Kind:"ClusterRole", Name:"view"\}: cannot change roleRef/);
    const bad = await k(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bad, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: Robot, name: r2}
`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /subjects\[0\]\.kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"/);
  });

  test('non-resource paths are authorized: anonymous may read /version but not /api', async () => {
    const { request } = await import('node:https');
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${url}${path}`, { ca: caPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await get('/version'), 200);
    assert.equal(await get('/api'), 401);
    // alice's discovery works (system:discovery), a path outside the bootstrap rules is forbidden.
    ok(await k(['api-resources', '--as', 'alice']));
    const raw = await k(['get', '--raw', '/metrics', '--as', 'alice']);
    assert.equal(raw.stderr.trim(), 'Error from server (Forbidden): forbidden: User "alice" cannot get path "/metrics"');
  });

  test('escalation prevention: a namespace admin may grant only what they hold, unless they have escalate/bind', async () => {
    ok(await k(['create', 'namespace', 'team']));
    ok(await k(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-admin, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
`));
    const role = (name: string, group: string, resource: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}, namespace: team}
rules:
- apiGroups: ["${group}"]
  resources: [${resource}]
  verbs: [get, list]
`;
    ok(await k(['apply', '-f', '-', '--as', 'alice'], role('pod-viewer', '', 'pods')));
    const esc = await k(['apply', '-f', '-', '--as', 'alice'], role('node-viewer', '', 'nodes'));
    assert.notEqual(esc.code, 0);
    assert.ok(
      esc.stderr.includes('roles.rbac.authorization.k8s.io "node-viewer" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}'),
      esc.stderr,
    );
    // Binding: alice may bind pod-viewer (she holds its rules), not cluster-admin.
    const binding = (name: string, kind: string, roleName: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ${kind}, name: ${roleName}}
subjects:
- {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
`;
    ok(await k(['apply', '-f', '-', '--as', 'alice'], binding('bob-pods', 'Role', 'pod-viewer')));
    const bind = await k(['apply', '-f', '-', '--as', 'alice'], binding('bob-root', 'ClusterRole', 'cluster-admin'));
    assert.notEqual(bind.code, 0);
    assert.match(bind.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "bob-root" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}\n\{NonResourceURLs:\["\*"\], Verbs:\["\*"\]\}/);
    // With `bind` on clusterroles/cluster-admin the same binding is allowed.
    ok(await k(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bind-cluster-admin}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [cluster-admin], verbs: [bind]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-binds-cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: bind-cluster-admin}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
`));
    ok(await k(['apply', '-f', '-', '--as', 'alice'], binding('bob-root', 'ClusterRole', 'cluster-admin')));
  });

  test('skiff kubeconfig --user carol --group dev writes a working client-certificate kubeconfig', async () => {
    // The data dir layout `skiff server` keeps: <data-dir>/kubeconfig.yaml and <data-dir>/server/pki/ca.{crt,key}.
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'server', 'pki'), { recursive: true });
    copyFileSync(caPaths.caCertPath, join(dataDir, 'server', 'pki', 'ca.crt'));
    copyFileSync(caPaths.caKeyPath, join(dataDir, 'server', 'pki', 'ca.key'));
    writeKubeconfig(join(dataDir, 'kubeconfig.yaml'), { server: url, caPem, token: 'unused' });
    const out = join(dir, 'carol.yaml');
    const cli = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'kubeconfig', '--user', 'carol', '--group', 'dev', '--data-dir', dataDir, '--output', out], { timeout: 60_000 }, (err, _o, stderr) =>
        resolve({ code: err ? 1 : 0, stderr: String(stderr) }),
      ),
    );
    assert.equal(cli.code, 0, cli.stderr);
    const who = ok(await k(['auth', 'whoami'], undefined, out));
    assert.match(who.stdout, /Username\s+carol\n/);
    assert.match(who.stdout, /Groups\s+\[dev system:authenticated\]/);
    // carol is in group dev, which has view in namespace dev (bound above).
    assert.equal(ok(await k(['auth', 'can-i', 'list', 'pods', '-n', 'dev'], undefined, out)).stdout.trim(), 'yes');
  });
});
