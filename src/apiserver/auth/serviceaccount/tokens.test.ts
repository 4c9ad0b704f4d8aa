import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../../client/interface.ts';
import { StatusError } from '../../../machinery/errors.ts';
import { TokenAuthenticator } from '../token.ts';
import { signJWT, verifyJWT, JWTError } from './jwt.ts';
import { ServiceAccountTokens, createTokenRequest, type ObjectGetter } from './tokens.ts';
import { ServiceAccountTokenAuthenticator } from './authenticator.ts';
import { evaluateTokenReview } from './token-review.ts';

const AUD = 'https://kubernetes.default.svc.cluster.local';

/** A tiny object store keyed `resource/ns/name`, and a clock the tests move. */
function world() {
  const objs = new Map<string, KubeObject>();
  let now = Date.parse('2026-03-01T10:00:00Z');
  const put = (resource: string, o: KubeObject) => objs.set(`${resource}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o);
  const get: ObjectGetter = async (r, ns, n) => objs.get(`${r}/${ns ?? ''}/${n}`);
  const tokens = new ServiceAccountTokens({ now: () => now });
  put('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'dev', uid: 'sa-uid' } });
  put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'dev', uid: 'pod-uid' }, spec: { serviceAccountName: 'builder', nodeName: 'n1' } } as KubeObject);
  put('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'node-uid' } });
  put('secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'dev', uid: 'secret-uid' } });
  return { objs, put, get, tokens, auth: new ServiceAccountTokenAuthenticator(tokens, get), advance: (s: number) => (now += s * 1000), now: () => now };
}

const claims = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString('utf8'));
const request = (w: ReturnType<typeof world>, spec: Record<string, unknown>, sa = 'builder') => createTokenRequest(w.tokens, w.get, 'dev', sa, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec } as KubeObject);
const tokenOf = (tr: KubeObject) => (tr as unknown as { status: { token: string; expirationTimestamp: string } }).status;

test('JWT: ES256 and RS256 round trip; a changed payload or foreign key fails', () => {
  for (const kp of [generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), generateKeyPairSync('rsa', { modulusLength: 2048 })]) {
    const t = signJWT({ sub: 'x', n: 1 }, kp.privateKey);
    assert.deepEqual(verifyJWT(t, [kp.publicKey]), { sub: 'x', n: 1 });
    const [h, , s] = t.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'y', n: 1 })).toString('base64url')}.${s}`;
    assert.throws(() => verifyJWT(forged, [kp.publicKey]), JWTError);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.throws(() => verifyJWT(t, [other.publicKey]), JWTError);
  }
  assert.throws(() => verifyJWT('a.b', []), JWTError);
});

test('TokenRequest: upstream claims (iss, sub, aud, iat/nbf/exp, jti, kubernetes.io with pod and node), defaults 3600 s and the API audience', async () => {
  const w = world();
  const tr = await request(w, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: 'pod-uid' } });
  const c = claims(tokenOf(tr).token);
  const iat = Math.floor(w.now() / 1000);
  assert.equal(c.iss, AUD);
  assert.equal(c.sub, 'system:serviceaccount:dev:builder');
  assert.deepEqual(c.aud, [AUD]);
  assert.equal(c.iat, iat);
  assert.equal(c.nbf, iat);
  assert.equal(c.exp, iat + 3600);
  assert.match(c.jti, /^[0-9a-f-]{36}$/);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'dev', serviceaccount: { name: 'builder', uid: 'sa-uid' }, pod: { name: 'p1', uid: 'pod-uid' }, node: { name: 'n1', uid: 'node-uid' } });
  assert.equal(tokenOf(tr).expirationTimestamp, '2026-03-01T11:00:00Z');
  assert.deepEqual((tr.spec as Record<string, unknown>).audiences, [AUD]);
});

test('TokenRequest: the kubelet token (3607 s, pod-bound, API audience) lives a year with warnafter; others are not extended', async () => {
  const w = world();
  const iat = Math.floor(w.now() / 1000);
  const tr = await request(w, { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1' } });
  const c = claims(tokenOf(tr).token);
  assert.equal(c.exp, iat + 365 * 24 * 3600);
  assert.equal(c['kubernetes.io'].warnafter, iat + 3607);
  assert.equal(tokenOf(tr).expirationTimestamp, new Date((iat + 3607) * 1000).toISOString().replace('.000Z', 'Z'));
  const other = claims(tokenOf(await request(w, { expirationSeconds: 3607, audiences: ['vault'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1' } })).token);
  assert.equal(other.exp, iat + 3607);
  const unbound = claims(tokenOf(await request(w, { expirationSeconds: 3607 })).token);
  assert.equal(unbound.exp, iat + 3607);
});

test('TokenRequest validation and binding errors, as upstream', async () => {
  const w = world();
  await assert.rejects(request(w, { expirationSeconds: 599 }), (e: StatusError) => e.code === 422 && e.message === 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
  await assert.rejects(request(w, { expirationSeconds: 2 ** 32 + 1 }), (e: StatusError) => e.code === 422 && /may not specify a duration larger than 2\^32 seconds/.test(e.message));
  await assert.rejects(request(w, {}, 'nobody'), (e: StatusError) => e.code === 404 && e.message === 'serviceaccounts "nobody" not found');
  await assert.rejects(request(w, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: 'other' } }), (e: StatusError) => e.code === 409 && /the UID in the bound object reference \(other\) does not match the UID in record/.test(e.message));
  await assert.rejects(request(w, { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } }), (e: StatusError) => e.code === 400 && e.message === 'cannot bind token to object of type /v1, Kind=ConfigMap');
  await assert.rejects(request(w, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'gone' } }), (e: StatusError) => e.code === 404 && e.message === 'pods "gone" not found');
  w.put('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'other', namespace: 'dev', uid: 'o' } });
  await assert.rejects(request(w, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1' } }, 'other'), (e: StatusError) => e.code === 400 && e.message === 'cannot bind token for serviceaccount "other" to pod running with different serviceaccount name.');
});

test('authenticator: the user, groups and extra of a valid token', async () => {
  const w = world();
  const tok = tokenOf(await request(w, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1' } })).token;
  const r = await w.auth.authenticateToken(tok);
  assert.ok(r.ok);
  assert.deepEqual(r.user, {
    name: 'system:serviceaccount:dev:builder',
    uid: 'sa-uid',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
    extra: {
      'authentication.kubernetes.io/pod-name': ['p1'],
      'authentication.kubernetes.io/pod-uid': ['pod-uid'],
      'authentication.kubernetes.io/node-name': ['n1'],
      'authentication.kubernetes.io/node-uid': ['node-uid'],
      'authentication.kubernetes.io/credential-id': [`JTI=${claims(tok).jti}`],
    },
  });
  assert.deepEqual(r.audiences, [AUD]);
  const req = { headers: { authorization: `Bearer ${tok}` } } as unknown as IncomingMessage;
  assert.equal((await w.auth.authenticate(req))?.name, 'system:serviceaccount:dev:builder');
});

test('authenticator rejects: expired, wrong audience, other issuer key, deleted or re-created ServiceAccount, deleted bound pod/secret', async () => {
  const w = world();
  const plain = tokenOf(await request(w, { expirationSeconds: 600 })).token;
  const vault = tokenOf(await request(w, { audiences: ['vault'] })).token;
  const podBound = tokenOf(await request(w, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1' } })).token;
  const secretBound = tokenOf(await request(w, { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's1' } })).token;

  const wrongAud = await w.auth.authenticateToken(vault);
  assert.equal(wrongAud.ok, false);
  assert.equal((wrongAud as { error?: string }).error, `token audiences ["vault"] is invalid for the target audiences ["${AUD}"]`);
  assert.equal((await w.auth.authenticateToken(vault, ['vault'])).ok, true);

  const foreign = new ServiceAccountTokens();
  const t2 = foreign.generateToken(foreign.claims(w.objs.get('serviceaccounts/dev/builder')!, [AUD], 3600));
  assert.deepEqual(await w.auth.authenticateToken(t2), { ok: false, error: 'invalid signature' });
  assert.deepEqual(await w.auth.authenticateToken('not-a-jwt'), { ok: false });

  w.objs.delete('pods/dev/p1');
  assert.deepEqual(await w.auth.authenticateToken(podBound), { ok: false, error: 'service account token has been invalidated' });
  w.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'dev', uid: 'pod-uid-2' } });
  assert.deepEqual(await w.auth.authenticateToken(podBound), { ok: false, error: 'pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid)' });
  w.objs.delete('secrets/dev/s1');
  assert.deepEqual(await w.auth.authenticateToken(secretBound), { ok: false, error: 'service account token has been invalidated' });

  assert.equal((await w.auth.authenticateToken(plain)).ok, true);
  w.advance(600);
  assert.deepEqual(await w.auth.authenticateToken(plain), { ok: false, error: 'service account token has expired' });

  const fresh = tokenOf(await request(w, {})).token;
  w.put('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'dev', uid: 'sa-uid-2' } });
  assert.deepEqual(await w.auth.authenticateToken(fresh), { ok: false, error: 'service account UID (sa-uid-2) does not match claim (sa-uid)' });
  // Deleted more than 60 s ago (still present, e.g. held by a finalizer): rejected.
  const fresh2 = tokenOf(await request(w, {})).token;
  w.put('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'dev', uid: 'sa-uid-2', deletionTimestamp: new Date(w.now() - 61_000).toISOString() } });
  assert.deepEqual(await w.auth.authenticateToken(fresh2), { ok: false, error: 'service account dev/builder has been deleted' });
  w.objs.delete('serviceaccounts/dev/builder');
  assert.deepEqual(await w.auth.authenticateToken(fresh), { ok: false, error: 'serviceaccount "builder" not found' });
});

test('TokenReview: ServiceAccount tokens for the requested audiences; static tokens only for the API audiences; empty token is a 400', async () => {
  const w = world();
  const tok = tokenOf(await request(w, {})).token;
  const ctx = { serviceAccounts: w.auth, tokenAuthenticators: [new TokenAuthenticator().add('static', { name: 'admin', groups: ['system:masters'] })] };
  const r = await evaluateTokenReview({ spec: { token: tok } }, ctx);
  assert.deepEqual(r.status, {
    authenticated: true,
    user: { username: 'system:serviceaccount:dev:builder', uid: 'sa-uid', groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims(tok).jti}`] } },
    audiences: [AUD],
  });
  const s = await evaluateTokenReview({ spec: { token: 'static' } }, ctx);
  assert.deepEqual(s.status, { authenticated: true, user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] }, audiences: [AUD] });
  const sv = await evaluateTokenReview({ spec: { token: 'static', audiences: ['vault'] } }, ctx);
  assert.equal((sv.status as { authenticated?: boolean }).authenticated, undefined);
  const none = await evaluateTokenReview({ spec: { token: 'nope' } }, ctx);
  assert.deepEqual(none.status, { user: {} });
  await assert.rejects(evaluateTokenReview({ spec: {} }, ctx), (e: StatusError) => e.code === 400 && e.message === 'token is required for TokenReview in authentication');
});
