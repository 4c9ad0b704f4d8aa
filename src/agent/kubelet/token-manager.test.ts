import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client, KubeObject } from '../../client/interface.ts';
import { TokenManager, requiresRefresh, type TokenRequest } from './token-manager.ts';

const tr = (expirationSeconds: number, exp: string): TokenRequest => ({ spec: { audiences: [], expirationSeconds }, status: { token: 't', expirationTimestamp: exp } });

test('requiresRefresh: after 80 % of the lifetime (minus jitter) or 24 h, as upstream', () => {
  const t = tr(3600, '2026-03-01T11:00:00Z');
  const at = (iso: string, jitter = 0) => requiresRefresh(t, Date.parse(iso), jitter);
  assert.equal(at('2026-03-01T10:47:59Z'), false);
  assert.equal(at('2026-03-01T10:48:01Z'), true);
  assert.equal(at('2026-03-01T10:47:55Z', 10_000), true);
  const day = tr(7 * 24 * 3600, '2026-03-08T10:00:00Z');
  assert.equal(requiresRefresh(day, Date.parse('2026-03-02T09:59:00Z'), 0), false);
  assert.equal(requiresRefresh(day, Date.parse('2026-03-02T10:00:01Z'), 0), true);
});

test('TokenManager: caches per ServiceAccount/audience/bound pod, re-requests when due, keeps a live token when the request fails', async () => {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const calls: Array<{ ns?: string; name: string; body: KubeObject }> = [];
  let fail = false;
  const client = {
    async createSubresource(_gvr: unknown, ns: string | undefined, name: string, sub: string, body: KubeObject) {
      assert.equal(sub, 'token');
      if (fail) throw new Error('boom');
      calls.push({ ns, name, body });
      const spec = (body as unknown as TokenRequest).spec;
      return { ...body, status: { token: `tok${calls.length}`, expirationTimestamp: new Date(now + spec.expirationSeconds! * 1000).toISOString() } };
    },
  } as unknown as Client;
  const m = new TokenManager(client, () => now);
  const req = (uid: string): TokenRequest => ({ spec: { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid } } });
  assert.equal((await m.getServiceAccountToken('dev', 'default', req('u1'))).status?.token, 'tok1');
  assert.equal((await m.getServiceAccountToken('dev', 'default', req('u1'))).status?.token, 'tok1');
  assert.equal((await m.getServiceAccountToken('dev', 'default', req('u2'))).status?.token, 'tok2');
  assert.equal(calls[0].ns, 'dev');
  assert.equal(calls[0].name, 'default');
  assert.deepEqual((calls[0].body as unknown as TokenRequest).spec.boundObjectRef, { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' });
  now += 3000 * 1000; // past 80 % of 3607 s
  fail = true;
  assert.equal((await m.getServiceAccountToken('dev', 'default', req('u1'))).status?.token, 'tok1', 'not expired yet: the cached token is used');
  fail = false;
  assert.equal((await m.getServiceAccountToken('dev', 'default', req('u1'))).status?.token, 'tok3');
  m.deleteServiceAccountToken('u1');
  assert.equal((await m.getServiceAccountToken('dev', 'default', req('u1'))).status?.token, 'tok4');
});
