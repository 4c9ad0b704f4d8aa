/**
 * resourceVersion semantics over HTTP, run on SQLite and on a private etcd (describeEachBackend),
 * as upstream documents them (https://kubernetes.io/docs/reference/using-api/api-concepts/
 * #resource-versions) and k8s.io/apiserver's etcd3 store implements them: the list RV is the
 * snapshot revision, an object's RV is its last write, a DELETED event carries the delete's
 * revision, `resourceVersionMatch=Exact` reads a past snapshot, a continue token pins its snapshot,
 * a future exact RV is 504 Timeout, compaction makes old list snapshots 410 Expired, and BOOKMARK events
 * carry a revision a watch can resume from.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/storage/backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { describeEachBackend } from '../support/each-backend.ts';

const TOKEN = 'rv-token';
const CM = '/api/v1/namespaces/rv/configmaps';

describeEachBackend('resourceVersion semantics', (store) => {
  let backend: Backend;
  let api: APIServer;
  let base: string;

  const req = async (method: string, path: string, body?: unknown, ct = 'application/json') => {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': ct } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as any };
  };
  const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

  /** Opens a watch and collects its events until the returned stop() is called. */
  function watch(query: string): { events: any[]; stop: () => Promise<void> } {
    const events: any[] = [];
    const ac = new AbortController();
    const done = (async () => {
      try {
        const r = await fetch(`${base}${CM}?watch=true&${query}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
        const reader = r.body!.getReader();
        let buf = '';
        for (;;) {
          const { value, done: end } = await reader.read();
          if (end) break;
          buf += new TextDecoder().decode(value);
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        }
      } catch {
        /* aborted */
      }
    })();
    return { events, stop: async () => { ac.abort(); await done; } };
  }

  async function until(what: string, cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    backend = await store.open();
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new TokenAuthenticator().add(TOKEN, { name: 'admin', groups: ['system:masters'] }),
      bookmarkIntervalMs: 200,
    });
    ({ url: base } = await api.listen({ host: '127.0.0.1', port: 0 }));
    assert.equal((await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rv' } })).status, 201);
  });
  after(async () => {
    await api?.stop();
  });

  test('object RV is its last write; list RV is the snapshot revision; Exact reads a past snapshot', async () => {
    const c = await req('POST', CM, cm('a', { v: '1' }));
    assert.equal(c.status, 201);
    const rv1 = Number(c.json.metadata.resourceVersion);
    const u = await req('PATCH', `${CM}/a`, { data: { v: '2' } }, 'application/merge-patch+json');
    const rv2 = Number(u.json.metadata.resourceVersion);
    assert.ok(rv2 > rv1, `${rv2} > ${rv1}`);
    assert.equal((await req('GET', `${CM}/a`)).json.metadata.resourceVersion, String(rv2));
    const l = await req('GET', CM);
    // The snapshot revision: at least the last write, at most the store's revision afterwards
    // (other writers, e.g. the Service allocators, may write in between).
    const listRV = Number(l.json.metadata.resourceVersion);
    assert.ok(listRV >= rv2 && listRV <= (await backend.currentRevision()), `${listRV}`);
    assert.equal(l.json.items[0].metadata.resourceVersion, String(rv2));
    const past = await req('GET', `${CM}?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
    assert.equal(past.status, 200);
    assert.equal(past.json.metadata.resourceVersion, String(rv1));
    assert.deepEqual(past.json.items.map((i: any) => [i.metadata.name, i.data.v, i.metadata.resourceVersion]), [['a', '1', String(rv1)]]);
    const before = await req('GET', `${CM}?resourceVersion=${rv1 - 1}&resourceVersionMatch=Exact`);
    assert.deepEqual(before.json.items, []);
    // RV=0 ("any") is served from the watch cache, which may lag the store (etcd's watch is async):
    // the list reports the cache's revision and shows the object at that revision, if any.
    const cached = await req('GET', `${CM}?resourceVersion=0`);
    assert.equal(cached.status, 200);
    const cachedRV = Number(cached.json.metadata.resourceVersion);
    const inCache = cached.json.items.find((i: any) => i.metadata.name === 'a');
    if (inCache) assert.ok(Number(inCache.metadata.resourceVersion) <= cachedRV, `${inCache.metadata.resourceVersion} <= ${cachedRV}`);
    else assert.ok(cachedRV < rv1, `${cachedRV} < ${rv1}`);
  });

  test('a future resourceVersion: NotOlderThan waits for the store, then 504 Timeout "Too large resource version"', async () => {
    const cur = await backend.currentRevision();
    const exact = await req('GET', `${CM}?resourceVersion=${cur + 1000}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 504);
    assert.equal(exact.json.reason, 'Timeout');
    assert.match(exact.json.message, new RegExp(`^Timeout: Too large resource version: ${cur + 1000}, current: \\d+$`));
    assert.deepEqual(exact.json.details.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
    // A list at the next revision is served once a write gets there.
    const next = req('GET', `${CM}?resourceVersion=${(await backend.currentRevision()) + 1}`);
    await new Promise((r) => setTimeout(r, 100));
    await req('POST', CM, cm('fresh'));
    const got = await next;
    assert.equal(got.status, 200);
    assert.ok(got.json.items.some((i: any) => i.metadata.name === 'fresh'));
    await req('DELETE', `${CM}/fresh`);
    // Far in the future: 504 after the 3 s wait.
    const far = await req('GET', `${CM}?resourceVersion=${cur + 1000}`);
    assert.equal(far.status, 504);
    assert.match(far.json.message, new RegExp(`^Timeout: Too large resource version: ${cur + 1000}, current: \\d+$`));
  });

  test('a continue token pins its snapshot: later writes do not show up in later pages', async () => {
    for (const n of ['p1', 'p2', 'p3', 'p4']) assert.equal((await req('POST', CM, cm(n))).status, 201);
    const first = await req('GET', `${CM}?limit=2`);
    assert.deepEqual(first.json.items.map((i: any) => i.metadata.name), ['a', 'p1']);
    const snap = first.json.metadata.resourceVersion;
    assert.ok(first.json.metadata.continue);
    await req('POST', CM, cm('p0-later'));
    await req('POST', CM, cm('pz-later'));
    await req('DELETE', `${CM}/p4`);
    const names: string[] = [];
    let cont = first.json.metadata.continue;
    while (cont) {
      const page = await req('GET', `${CM}?limit=2&continue=${encodeURIComponent(cont)}`);
      assert.equal(page.status, 200);
      assert.equal(page.json.metadata.resourceVersion, snap);
      names.push(...page.json.items.map((i: any) => i.metadata.name));
      cont = page.json.metadata.continue;
    }
    assert.deepEqual(names, ['p2', 'p3', 'p4']);
    const withRV = await req('GET', `${CM}?limit=2&resourceVersion=${snap}&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    assert.equal(withRV.status, 400);
    assert.equal(withRV.json.message, 'specifying resource version is not allowed when using continue');
    // resourceVersion=0 may accompany a continue token (client-go sends it).
    assert.equal((await req('GET', `${CM}?limit=2&resourceVersion=0&continue=${encodeURIComponent(first.json.metadata.continue)}`)).status, 200);
    const bad = await req('GET', `${CM}?limit=2&continue=${Buffer.from('not json').toString('base64')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, "invalid continue token: continue key is not valid: invalid character 'o' in literal null (expecting 'u')");
  });

  test('watch from an RV sees MODIFIED then DELETED with the delete revision; BOOKMARKs can be resumed from', async () => {
    const c = await req('POST', CM, cm('w', { v: '1' }));
    const rv = c.json.metadata.resourceVersion;
    const w = watch(`resourceVersion=${rv}&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dw`);
    try {
      const m = await req('PATCH', `${CM}/w`, { data: { v: '2' } }, 'application/merge-patch+json');
      const d = await req('DELETE', `${CM}/w`);
      assert.equal(d.status, 200);
      await until('DELETED event', () => w.events.some((e) => e.type === 'DELETED'));
      const real = w.events.filter((e) => e.type !== 'BOOKMARK');
      assert.deepEqual(real.map((e) => e.type), ['MODIFIED', 'DELETED']);
      assert.equal(real[0].object.metadata.resourceVersion, m.json.metadata.resourceVersion);
      const delRV = Number(real[1].object.metadata.resourceVersion);
      assert.ok(delRV > Number(m.json.metadata.resourceVersion));
      assert.equal(real[1].object.data.v, '2');
      const after = await req('GET', CM);
      assert.ok(Number(after.json.metadata.resourceVersion) >= delRV);
      await until('a BOOKMARK after the delete', () => w.events.some((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= delRV));
      const bm = w.events.find((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= delRV);
      assert.equal(bm.object.kind, 'ConfigMap');
      // Resuming from the bookmark replays nothing old and sees the next change.
      const w2 = watch(`resourceVersion=${bm.object.metadata.resourceVersion}&fieldSelector=metadata.name%3Dw`);
      try {
        await req('POST', CM, cm('w', { v: '3' }));
        await until('ADDED after resume', () => w2.events.length > 0);
        assert.deepEqual(w2.events.map((e) => [e.type, e.object.data?.v]), [['ADDED', '3']]);
      } finally {
        await w2.stop();
      }
    } finally {
      await w.stop();
    }
  });

  test('after compaction: an exact list, a continue token and (without the watch cache) a watch at an old RV are 410 Expired', async () => {
    const first = await req('GET', `${CM}?limit=1`);
    const old = first.json.metadata.resourceVersion;
    await req('PATCH', `${CM}/a`, { data: { v: '9' } }, 'application/merge-patch+json');
    await backend.compact(await backend.currentRevision());
    const exact = await req('GET', `${CM}?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 410);
    assert.equal(exact.json.reason, 'Expired');
    assert.equal(exact.json.message, 'The resourceVersion for the provided list is too old.');
    const cont = await req('GET', `${CM}?limit=1&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    assert.equal(cont.status, 410);
    assert.match(cont.json.message, /^The provided continue parameter is too old/);
    // The 410 carries a token that continues at the latest revision (an inconsistent list).
    assert.ok(cont.json.metadata.continue);
    const rest = await req('GET', `${CM}?limit=100&continue=${encodeURIComponent(cont.json.metadata.continue)}`);
    assert.equal(rest.status, 200);
    const firstName = first.json.items[0].metadata.name;
    const all = (await req('GET', CM)).json.items.map((i: any) => i.metadata.name);
    assert.deepEqual(rest.json.items.map((i: any) => i.metadata.name), all.filter((n: string) => n > firstName));
    assert.ok(Number(rest.json.metadata.resourceVersion) >= Number(old));
    // A list without RV still works and reports the current revision.
    // Without the watch cache the watch goes straight to storage: etcd3's wording on both backends.
    const direct = new APIServer({ backend, kubelets: new KubeletConnections(), watchCache: false });
    const { url } = await direct.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await fetch(`${url}${CM}?watch=true&resourceVersion=${old}`);
      const ev = JSON.parse((await r.text()).trim().split('\n')[0]!);
      assert.equal(ev.type, 'ERROR');
      assert.deepEqual([ev.object.code, ev.object.reason, ev.object.message], [410, 'Expired', 'The resourceVersion for the provided watch is too old.']);
    } finally {
      await direct.stop();
    }
    const before = await backend.currentRevision();
    const now = await req('GET', CM);
    assert.equal(now.status, 200);
    assert.ok(Number(now.json.metadata.resourceVersion) >= before);
  });
});
