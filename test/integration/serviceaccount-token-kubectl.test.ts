/**
 * ServiceAccount tokens end to end with the real kubectl (/usr/bin/kubectl 1.32, protobuf
 * TokenRequest body) against the HTTPS apiserver in RBAC mode: `kubectl create token`, the token
 * used with `kubectl --token` (Forbidden until a RoleBinding names the ServiceAccount, then
 * allowed in that namespace only), `kubectl auth whoami`, TokenReview, and the token dying with
 * its ServiceAccount or its bound pod.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { runKubectl, type KubectlRun } from '../support/kubectl.ts';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { UnionAuthenticator, X509Authenticator } from '../../src/apiserver/auth/x509.ts';
import { ensureAdminToken, ensurePKI, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { ServiceAccountTokens, ensureServiceAccountKey } from '../../src/apiserver/auth/serviceaccount/tokens.ts';

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let url: string;
let admin: string;

const k = (args: string[], input?: string): Promise<KubectlRun> => runKubectl(admin, dir, args, input);
const ok = (r: KubectlRun): KubectlRun => {
  assert.equal(r.code, 0, `kubectl failed: ${r.stderr}`);
  return r;
};
/** kubectl with only a bearer token (the admin kubeconfig's cluster, `--token` overrides the user). */
const asToken = (token: string, args: string[]): Promise<KubectlRun> => runKubectl(admin, dir, ['--token', token, ...args]);

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-satoken-'));
  const pki = ensurePKI(dir);
  const token = ensureAdminToken(dir);
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({
    backend,
    kubelets: new KubeletConnections(),
    authenticator: new UnionAuthenticator([new X509Authenticator(), new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] })]),
    authorizationMode: 'RBAC',
    serviceAccountTokens: new ServiceAccountTokens({ keyPair: ensureServiceAccountKey(join(dir, 'pki')) }),
  });
  ({ url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem, clientCA: pki.caPem } }));
  admin = join(dir, 'admin.yaml');
  writeKubeconfig(admin, { server: url, caPem: pki.caPem, token });
  ok(await k(['create', 'namespace', 'dev']));
  ok(await k(['create', 'serviceaccount', 'default', '-n', 'dev']));
  ok(await k(['create', 'serviceaccount', 'builder', '-n', 'dev']));
});

after(async () => {
  await api?.stop();
  await backend?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('kubectl create token: a JWT with upstream claims (iss, sub, aud, exp-iat = 3600 s by default)', async () => {
  const r = ok(await k(['create', 'token', 'default', '-n', 'dev']));
  const token = r.stdout.trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
  assert.equal(header.alg, 'ES256');
  assert.ok(header.kid);
  const c = claimsOf(token);
  const sa = JSON.parse(ok(await k(['get', 'sa', 'default', '-n', 'dev', '-o', 'json'])).stdout);
  assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(c.sub, 'system:serviceaccount:dev:default');
  assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(c.exp - c.iat, 3600);
  assert.equal(c.nbf, c.iat);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'dev', serviceaccount: { name: 'default', uid: sa.metadata.uid } });

  const d = ok(await k(['create', 'token', 'builder', '-n', 'dev', '--duration', '20m', '--audience', 'vault']));
  const c2 = claimsOf(d.stdout.trim());
  assert.equal(c2.exp - c2.iat, 1200);
  assert.deepEqual(c2.aud, ['vault']);

  const short = await k(['create', 'token', 'default', '-n', 'dev', '--duration', '5m']);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
  const missing = await k(['create', 'token', 'nobody', '-n', 'dev']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
});

test('the token authenticates as the ServiceAccount: Forbidden until a RoleBinding, then allowed in that namespace only', async () => {
  const token = ok(await k(['create', 'token', 'builder', '-n', 'dev'])).stdout.trim();
  const who = ok(await asToken(token, ['auth', 'whoami', '-o', 'json']));
  const ui = JSON.parse(who.stdout).status.userInfo;
  assert.equal(ui.username, 'system:serviceaccount:dev:builder');
  assert.deepEqual(ui.groups, ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated']);

  const denied = await asToken(token, ['get', 'pods', '-n', 'dev']);
  assert.equal(denied.code, 1);
  assert.equal(denied.stderr.trim(), 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:dev:builder" cannot list resource "pods" in API group "" in the namespace "dev"');

  ok(await k(['create', 'role', 'pod-reader', '-n', 'dev', '--verb', 'get,list', '--resource', 'pods']));
  ok(await k(['create', 'rolebinding', 'builder-reads', '-n', 'dev', '--role', 'pod-reader', '--serviceaccount', 'dev:builder']));
  const allowed = ok(await asToken(token, ['get', 'pods', '-n', 'dev']));
  assert.match(allowed.stderr + allowed.stdout, /No resources found in dev namespace/);
  const other = await asToken(token, ['get', 'pods', '-n', 'default']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /User "system:serviceaccount:dev:builder" cannot list resource "pods" in API group "" in the namespace "default"/);

  const bad = await asToken(`${token.slice(0, -4)}AAAA`, ['get', 'pods', '-n', 'dev']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Unauthorized/);
  const vault = ok(await k(['create', 'token', 'builder', '-n', 'dev', '--audience', 'vault'])).stdout.trim();
  const wrongAud = await asToken(vault, ['get', 'pods', '-n', 'dev']);
  assert.equal(wrongAud.code, 1);
  assert.match(wrongAud.stderr, /Unauthorized/);
});

test('TokenReview answers for ServiceAccount tokens (and their audiences)', async () => {
  const token = ok(await k(['create', 'token', 'builder', '-n', 'dev', '--audience', 'vault'])).stdout.trim();
  const review = (spec: Record<string, unknown>) => k(['create', '-f', '-', '-o', 'json'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec }));
  const r = JSON.parse(ok(await review({ token, audiences: ['vault'] })).stdout);
  assert.equal(r.status.authenticated, true);
  assert.equal(r.status.user.username, 'system:serviceaccount:dev:builder');
  assert.deepEqual(r.status.audiences, ['vault']);
  const wrong = JSON.parse(ok(await review({ token })).stdout);
  assert.equal(wrong.status.authenticated, undefined);
  assert.match(wrong.status.error, /token audiences \["vault"\] is invalid for the target audiences \["https:\/\/kubernetes.default.svc.cluster.local"\]/);
});

test('a token bound to a pod dies with the pod; every token dies with its ServiceAccount', async () => {
  ok(await k(['create', 'serviceaccount', 'tmp', '-n', 'dev']));
  ok(await k(['create', 'rolebinding', 'tmp-reads', '-n', 'dev', '--role', 'pod-reader', '--serviceaccount', 'dev:tmp']));
  ok(await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: holder, namespace: dev}\nspec:\n  serviceAccountName: tmp\n  containers: [{name: c, image: busybox}]\n'));
  const uid = ok(await k(['get', 'pod', 'holder', '-n', 'dev', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
  const bound = ok(await k(['create', 'token', 'tmp', '-n', 'dev', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder', '--bound-object-uid', uid])).stdout.trim();
  assert.deepEqual(claimsOf(bound)['kubernetes.io'].pod, { name: 'holder', uid });
  const plain = ok(await k(['create', 'token', 'tmp', '-n', 'dev'])).stdout.trim();
  ok(await asToken(bound, ['get', 'pods', '-n', 'dev']));
  const wrongUID = await k(['create', 'token', 'tmp', '-n', 'dev', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder', '--bound-object-uid', 'nope']);
  assert.equal(wrongUID.code, 1);
  assert.match(wrongUID.stderr, /the UID in the bound object reference \(nope\) does not match the UID in record/);
  const otherSA = await k(['create', 'token', 'builder', '-n', 'dev', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder']);
  assert.equal(otherSA.code, 1);
  assert.match(otherSA.stderr, /cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name/);

  ok(await k(['delete', 'pod', 'holder', '-n', 'dev', '--grace-period=0', '--force']));
  const afterPod = await asToken(bound, ['get', 'pods', '-n', 'dev']);
  assert.equal(afterPod.code, 1);
  assert.match(afterPod.stderr, /Unauthorized/);
  ok(await asToken(plain, ['get', 'pods', '-n', 'dev']));
  ok(await k(['delete', 'serviceaccount', 'tmp', '-n', 'dev']));
  const afterSA = await asToken(plain, ['get', 'pods', '-n', 'dev']);
  assert.equal(afterSA.code, 1);
  assert.match(afterSA.stderr, /Unauthorized/);
});

test('issuer discovery: /.well-known/openid-configuration and /openid/v1/jwks verify a token offline', async () => {
  const cfg = JSON.parse(ok(await k(['get', '--raw', '/.well-known/openid-configuration'])).stdout);
  assert.equal(cfg.issuer, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(cfg.jwks_uri, `${url}/openid/v1/jwks`);
  assert.deepEqual(cfg.response_types_supported, ['id_token']);
  assert.deepEqual(cfg.subject_types_supported, ['public']);
  assert.deepEqual(cfg.id_token_signing_alg_values_supported, ['ES256']);
  const jwks = JSON.parse(ok(await k(['get', '--raw', '/openid/v1/jwks'])).stdout);
  assert.equal(jwks.keys.length, 1);
  const jwk = jwks.keys[0];
  assert.equal(jwk.use, 'sig');
  assert.equal(jwk.kty, 'EC');
  assert.equal(jwk.crv, 'P-256');
  assert.equal(jwk.alg, 'ES256');
  const token = ok(await k(['create', 'token', 'builder', '-n', 'dev'])).stdout.trim();
  const [h, p, s] = token.split('.');
  assert.equal(JSON.parse(Buffer.from(h, 'base64url').toString('utf8')).kid, jwk.kid);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')));
});
