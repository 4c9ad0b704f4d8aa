/**
 * Bad input against the real HTTPS apiserver (real resource table; SQLite and etcd via describeEachBackend): malformed
 * JSON/YAML → 400, invalid names → 422 with causes, unknown resources → 404, a 4 MiB body → 413,
 * and a seeded random-body fuzz over every route and verb asserting that no request produces a
 * 5xx and the server still answers /healthz.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as ufetch } from 'undici';
import type { Backend } from '../../src/storage/backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI } from '../../src/apiserver/pki.ts';
import { RESOURCES } from '../../src/api/resource-table.ts';
import type { ResourceInfo } from '../../src/api/resource-types.ts';
import { describeEachBackend } from '../support/each-backend.ts';

describeEachBackend('bad input against the HTTPS apiserver', (store) => {
  const TOKEN = 'fuzz-token';
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let base: string;
  let dispatcher: Agent;

  async function call(method: string, path: string, body?: string | Buffer, contentType?: string, accept?: string): Promise<{ status: number; json: any; text: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (contentType) headers['content-type'] = contentType;
    if (accept) headers.accept = accept;
    const ac = new AbortController();
    const r = await ufetch(base + path, { method, headers, body, dispatcher, signal: ac.signal });
    if (path.includes('watch=') || path.includes('/watch/') || path.includes('follow=')) {
      // Streams: the status line is what matters; drop the body.
      const status = r.status;
      let text = '';
      if (status >= 400) text = await r.text();
      else ac.abort();
      return { status, json: undefined, text };
    }
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, json, text };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-badinput-'));
    const pki = ensurePKI(dir);
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new TokenAuthenticator().add(TOKEN, { name: 'admin', groups: ['system:masters'] }),
    });
    const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
    base = url;
    dispatcher = new Agent({ connect: { ca: pki.caPem }, connections: 16 });
    const c = api.inProcessClient();
    for (const name of ['default', 'fz']) {
      await c.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch(() => undefined);
    }
  });

  after(async () => {
    await dispatcher?.close();
    await api?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('malformed JSON and YAML are 400 Status', async () => {
    const j = await call('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":', 'application/json');
    assert.equal(j.status, 400);
    assert.equal(j.json.kind, 'Status');
    assert.equal(j.json.reason, 'BadRequest');
    const y = await call('POST', '/api/v1/namespaces/default/configmaps', 'kind: ConfigMap\n  bad: [indent\n', 'application/yaml');
    assert.equal(y.status, 400);
    assert.equal(y.json.reason, 'BadRequest');
    const ap = await call('PATCH', '/api/v1/namespaces/default/configmaps/x?fieldManager=t', 'a: [b\n', 'application/apply-patch+yaml');
    assert.equal(ap.status, 400);
  });

  test('an invalid name is 422 Invalid with causes', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid' } }), 'application/json');
    assert.equal(r.status, 422);
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(r.json.details.kind, 'ConfigMap');
    assert.ok(r.json.details.causes.some((c: any) => c.field === 'metadata.name' && c.reason === 'FieldValueInvalid'));
  });

  test('unknown resource and unknown group are 404', async () => {
    assert.equal((await call('GET', '/api/v1/namespaces/default/foos')).status, 404);
    assert.equal((await call('GET', '/apis/nope.example.com/v1/things')).status, 404);
  });

  test('a 4 MiB body is 413 RequestEntityTooLarge', async () => {
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(4 * 1024 * 1024) } });
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', big, 'application/json');
    assert.equal(r.status, 413);
    assert.equal(r.json.reason, 'RequestEntityTooLarge');
  });

  // ------------------------------------------------------------------ fuzz

  /** mulberry32: small seeded PRNG so failures reproduce. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const KEYS = [
    'apiVersion', 'kind', 'metadata', 'spec', 'status', 'name', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences',
    'containers', 'image', 'replicas', 'selector', 'matchLabels', 'matchExpressions', 'template', 'data', 'ports', 'nodeName', 'target',
    'deleteOptions', 'generateName', 'resourceVersion', 'uid', 'type', 'conditions', 'taints', 'op', 'path', 'value', '$patch',
    '$setElementOrder/containers', '$retainKeys', 'involvedObject', 'subsets', 'endpoints', 'spec.replicas', '', 'x',
  ];
  const STRINGS = ['', 'a', 'web', 'default', 'fz', 'Bad Name', '-', 'x'.repeat(300), 'v1', 'apps/v1', 'Pod', 'ConfigMap', 'Deployment', '1', '\u0000', '%', '../..', 'true', 'null', '{}', '[]', 'replace', 'add', '/spec', '/metadata/labels/a'];

  function randValue(r: () => number, depth: number): unknown {
    const k = r();
    if (depth > 4 || k < 0.25) {
      const p = r();
      if (p < 0.4) return STRINGS[Math.floor(r() * STRINGS.length)];
      if (p < 0.6) return Math.floor((r() - 0.3) * 1000);
      if (p < 0.7) return r() < 0.5;
      if (p < 0.8) return null;
      return r() * 1e9;
    }
    if (k < 0.45) return Array.from({ length: Math.floor(r() * 4) }, () => randValue(r, depth + 1));
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 5);
    for (let i = 0; i < n; i++) o[KEYS[Math.floor(r() * KEYS.length)]] = randValue(r, depth + 1);
    return o;
  }

  function skeleton(r: () => number, ri: ResourceInfo): Record<string, unknown> {
    const o = randValue(r, 1);
    const obj: Record<string, unknown> = o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
    if (r() < 0.7) obj.apiVersion = ri.group ? `${ri.group}/${ri.version}` : ri.version;
    if (r() < 0.7) obj.kind = ri.kind;
    if (r() < 0.8) obj.metadata = { name: r() < 0.8 ? `f${Math.floor(r() * 5)}` : STRINGS[Math.floor(r() * STRINGS.length)], ...(r() < 0.3 ? { labels: randValue(r, 3) } : {}), ...(r() < 0.2 ? { finalizers: ['example.com/f'] } : {}) };
    return obj;
  }

  const CONTENT_TYPES = [
    'application/json', 'application/json', 'application/yaml', 'application/merge-patch+json', 'application/json-patch+json',
    'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf', 'text/plain', '', 'application/x-foo',
  ];
  const ACCEPTS = [
    undefined, undefined, undefined, undefined, 'application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'application/vnd.kubernetes.protobuf,application/json',
    'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'application/xml', 'application/json;as=Table;v=v9;g=x',
  ];
  const QUERIES = [
    '', '?limit=2', '?limit=-1', '?limit=abc', '?continue=garbage', '?labelSelector=a%3Db', '?labelSelector=%3D%3D%3D', '?fieldSelector=metadata.name%3Df1',
    '?fieldSelector=spec.bogus%3D1', '?fieldSelector=%21%21', '?resourceVersion=abc', '?resourceVersion=0', '?resourceVersionMatch=Exact&resourceVersion=1',
    '?dryRun=All', '?dryRun=Bogus', '?fieldValidation=Strict', '?fieldValidation=Nope', '?gracePeriodSeconds=0', '?gracePeriodSeconds=-5', '?propagationPolicy=Orphan',
    '?propagationPolicy=Sideways', '?watch=true&timeoutSeconds=1', '?watch=true&resourceVersion=1&timeoutSeconds=1', '?fieldManager=fz', '?force=maybe', '?container=zz',
    '?tailLines=-3', '?follow=true',
  ];

  test('seeded fuzz over every route and verb: no 5xx, server stays healthy', { timeout: 300_000 }, async () => {
    const r = rng(20261130);
    const routes: Array<{ path: string; ri?: ResourceInfo }> = [
      { path: '/api' }, { path: '/apis' }, { path: '/api/v1' }, { path: '/apis/apps/v1' }, { path: '/openapi/v3' }, { path: '/openapi/v3/api/v1' },
      { path: '/version' }, { path: '/x/y' }, { path: '/api/v1/namespaces/fz/../../..' }, { path: '/apis/apps' }, { path: '/api/v9/pods' },
    ];
    for (const ri of RESOURCES) {
      const gv = ri.group ? `/apis/${ri.group}/${ri.version}` : `/api/${ri.version}`;
      const coll = ri.namespaced ? `${gv}/namespaces/fz/${ri.resource}` : `${gv}/${ri.resource}`;
      routes.push({ path: coll, ri }, { path: `${coll}/f1`, ri }, { path: `${coll}/f2`, ri });
      if (ri.namespaced) routes.push({ path: `${gv}/${ri.resource}`, ri });
      for (const s of ri.subresources) routes.push({ path: `${coll}/f1/${s.name}`, ri });
    }
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    const N = 2000;
    const failures: string[] = [];
    const histogram = new Map<number, number>();
    let i = 0;
    const worker = async () => {
      while (i < N) {
        const n = i++;
        const route = routes[Math.floor(r() * routes.length)];
        const isCollection = !!route.ri && route.path.endsWith(`/${route.ri.resource}`);
        const method = isCollection && r() < 0.5 ? 'POST' : methods[Math.floor(r() * methods.length)];
        const q = QUERIES[Math.floor(r() * QUERIES.length)];
        let ct = CONTENT_TYPES[Math.floor(r() * CONTENT_TYPES.length)];
        const accept = ACCEPTS[Math.floor(r() * ACCEPTS.length)];
        let body: string | undefined;
        if (method !== 'GET' && r() < 0.9) {
          const kind = r();
          if (kind < 0.2 && route.ri) body = JSON.stringify({ apiVersion: route.ri.group ? `${route.ri.group}/${route.ri.version}` : route.ri.version, kind: route.ri.kind, metadata: { name: `f${1 + Math.floor(r() * 2)}`, labels: { a: 'b' } } });
          if (kind < 0.2 && method !== 'PATCH') ct = 'application/json';
          else if (kind < 0.55 && route.ri) body = JSON.stringify(skeleton(r, route.ri));
          else if (kind < 0.75) body = JSON.stringify(randValue(r, 0));
          else if (kind < 0.85) body = JSON.stringify(skeleton(r, route.ri ?? RESOURCES[0])).slice(0, Math.floor(r() * 40));
          else if (kind < 0.95) body = `kind: ${STRINGS[Math.floor(r() * STRINGS.length)]}\nmetadata:\n  name: f1\nspec: [1, {a: b}]\n`;
          else body = Buffer.from(Array.from({ length: 64 }, () => Math.floor(r() * 256))).toString('latin1');
        }
        try {
          const res = await call(method, route.path + q, body, body !== undefined ? ct || undefined : undefined, accept);
          histogram.set(res.status, (histogram.get(res.status) ?? 0) + 1);
          if (process.env.FUZZ_DEBUG && res.status === 400) console.log(method, route.path + q, ct, res.json?.message?.slice(0, 150));
          // services/proxy and pods/proxy answer 503 when there is no backend, as upstream (ServiceUnavailable): not a server fault.
          const proxyUnavailable = res.status === 503 && /\/proxy$/.test(route.path) && /no endpoints available for service|error trying to reach service|does not have a host assigned|no service port/.test(res.text);
          // A server-side apply body that cannot be converted to its typed form is upstream's 500 with an empty reason.
          const typedPatch = res.status === 500 && ct === 'application/apply-patch+yaml' && res.json?.reason === '' && /^failed to create typed patch object /.test(String(res.json?.message));
          if (res.status >= 500 && !proxyUnavailable && !typedPatch) failures.push(`#${n} ${method} ${route.path}${q} ct=${ct} → ${res.status} ${res.text.slice(0, 300)} body=${(body ?? '').slice(0, 200)}`);
        } catch (err) {
          failures.push(`#${n} ${method} ${route.path}${q} → transport error ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(failures.slice(0, 20), []);
    // The fuzz must reach the handlers, not just bounce off one check: successes and several error classes.
    const count = (lo: number, hi: number) => [...histogram].filter(([c]) => c >= lo && c < hi).reduce((a, [, n]) => a + n, 0);
    console.log(JSON.stringify([...histogram].sort()));
    assert.ok(count(200, 300) >= 100, `too few 2xx: ${JSON.stringify([...histogram])}`);
    for (const code of [400, 404, 415, 422]) assert.ok((histogram.get(code) ?? 0) > 0, `no ${code}: ${JSON.stringify([...histogram])}`);
    const h = await call('GET', '/healthz');
    assert.equal(h.status, 200);
    const l = await call('GET', '/api/v1/namespaces/fz/configmaps');
    assert.equal(l.status, 200);
  });

  test('deeply nested bodies are 400, not 500', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    for (const [method, ct] of [['POST', 'application/json'], ['PATCH', 'application/merge-patch+json'], ['PATCH', 'application/json-patch+json']]) {
      const path = method === 'POST' ? '/api/v1/namespaces/default/configmaps' : '/api/v1/namespaces/default/configmaps/x';
      const r = await call(method, path, `{"metadata":{"name":"x"},"data":${deep}}`, ct);
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${ct}: ${r.status} ${r.text.slice(0, 200)}`);
      const obj = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      const r2 = await call(method, path, obj, ct);
      assert.ok(r2.status >= 400 && r2.status < 500, `${method} ${ct} (objects): ${r2.status} ${r2.text.slice(0, 200)}`);
    }
    assert.equal((await call('GET', '/healthz')).status, 200);
  });
});
