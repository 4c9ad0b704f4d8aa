/**
 * Health endpoints: upstream's output format (k8s.io/apiserver/pkg/server/healthz: `[+]name ok`,
 * `[-]name failed: reason withheld`, `<endpoint> check passed|failed`, `excluded: ok`, the
 * exclusion warning, per-check paths) and the checks an APIServer installs.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHealth, excludedChecks, postStartHookHealthz, withTimeout, type HealthChecker } from './healthz.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';

const ok = (name: string): HealthChecker => ({ name, check: () => undefined });
const bad = (name: string, why: string): HealthChecker => ({
  name,
  check: async () => {
    throw new Error(why);
  },
});

describe('evaluateHealth', () => {
  test('all passing: "ok", verbose lists every check then "<endpoint> check passed"', async () => {
    const checks = [ok('ping'), ok('log'), ok('etcd')];
    assert.deepEqual(await evaluateHealth('readyz', '', new URLSearchParams(), checks), { code: 200, body: 'ok', failures: [] });
    const v = await evaluateHealth('readyz', '', new URLSearchParams('verbose'), checks);
    assert.equal(v.code, 200);
    assert.equal(v.body, '[+]ping ok\n[+]log ok\n[+]etcd ok\nreadyz check passed\n');
  });

  test('a failing check: 500, reason withheld, "check failed" even without verbose; the reason goes to the log only', async () => {
    const r = await evaluateHealth('livez', '', new URLSearchParams(), [ok('ping'), bad('etcd', 'database is locked')]);
    assert.equal(r.code, 500);
    assert.equal(r.body, '[+]ping ok\n[-]etcd failed: reason withheld\nlivez check failed\n');
    assert.deepEqual(r.failures, ['[-]etcd failed: database is locked']);
  });

  test('exclude (repeated and comma-separated); unknown names warn', async () => {
    assert.deepEqual(excludedChecks(new URLSearchParams('exclude=a,b&exclude=c&exclude=a')), ['a', 'b', 'c']);
    const r = await evaluateHealth('readyz', '', new URLSearchParams('verbose&exclude=etcd&exclude=nope'), [ok('ping'), bad('etcd', 'down')]);
    assert.equal(r.code, 200);
    assert.equal(r.body, '[+]ping ok\n[+]etcd excluded: ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nreadyz check passed\n');
  });

  test('per-check path: ok, 500 with the reason, 404 for unknown names', async () => {
    const checks = [ok('ping'), bad('poststarthook/rbac/bootstrap-roles', 'not finished')];
    assert.deepEqual(await evaluateHealth('readyz', 'ping', new URLSearchParams(), checks), { code: 200, body: 'ok', failures: [] });
    const f = await evaluateHealth('readyz', 'poststarthook/rbac/bootstrap-roles', new URLSearchParams(), checks);
    assert.equal(f.code, 500);
    assert.equal(f.body, 'internal server error: not finished\n');
    assert.equal((await evaluateHealth('readyz', 'nope', new URLSearchParams(), checks)).code, 404);
  });

  test('post-start hooks and timeouts', async () => {
    let done = false;
    const h = postStartHookHealthz('rbac/bootstrap-roles', () => done);
    assert.equal(h.name, 'poststarthook/rbac/bootstrap-roles');
    assert.throws(() => h.check(), /not finished/);
    done = true;
    assert.doesNotThrow(() => h.check());
    const hung = withTimeout({ name: 'etcd', check: () => new Promise<void>(() => undefined) }, 20);
    await assert.rejects(Promise.resolve(hung.check()), /timed out after 20ms/);
  });
});

describe('APIServer health endpoints', () => {
  const backend = SqliteBackend.open(':memory:');
  const api = new APIServer({ backend, kubelets: new KubeletConnections(), authorizationMode: 'RBAC' });
  after(async () => {
    await api.stop();
    await backend.close();
  });

  test('readyz/livez/healthz list kube-apiserver check names; per-check paths; exclude', async () => {
    const { url } = await api.listen({ host: '127.0.0.1', port: 0 });
    const get = async (p: string) => {
      const r = await fetch(url + p);
      return { code: r.status, body: await r.text(), ct: r.headers.get('content-type') };
    };
    const ready = await get('/readyz?verbose');
    assert.equal(ready.code, 200, ready.body);
    assert.equal(ready.ct, 'text/plain; charset=utf-8');
    const lines = ready.body.trimEnd().split('\n');
    for (const l of ['[+]ping ok', '[+]log ok', '[+]etcd ok', '[+]etcd-readiness ok', '[+]informer-sync ok', '[+]poststarthook/rbac/bootstrap-roles ok', '[+]poststarthook/start-service-ip-repair-controllers ok', '[+]shutdown ok']) {
      assert.ok(lines.includes(l), `${l} in\n${ready.body}`);
    }
    assert.equal(lines.at(-1), 'readyz check passed');
    const live = await get('/livez?verbose');
    assert.match(live.body, /^\[\+\]ping ok\n\[\+\]log ok\n\[\+\]etcd ok\n/);
    assert.doesNotMatch(live.body, /informer-sync|shutdown/);
    assert.equal(live.body.trimEnd().split('\n').at(-1), 'livez check passed');
    assert.equal((await get('/healthz?verbose')).body.trimEnd().split('\n').at(-1), 'healthz check passed');
    assert.deepEqual(await get('/healthz'), { code: 200, body: 'ok', ct: 'text/plain; charset=utf-8' });
    assert.equal((await get('/readyz/etcd')).body, 'ok');
    assert.equal((await get('/livez/poststarthook/rbac/bootstrap-roles')).body, 'ok');
    assert.equal((await get('/readyz/nosuch')).code, 404);
    assert.match((await get('/readyz?verbose&exclude=etcd')).body, /\[\+\]etcd excluded: ok\n/);
  });

  test('a closed store fails etcd (reason withheld, 500)', async () => {
    const b2 = SqliteBackend.open(':memory:');
    const a2 = new APIServer({ backend: b2, kubelets: new KubeletConnections() });
    const { url } = await a2.listen({ host: '127.0.0.1', port: 0 });
    try {
      await b2.close();
      const r = await fetch(url + '/readyz');
      const body = await r.text();
      assert.equal(r.status, 500);
      assert.match(body, /\[-\]etcd failed: reason withheld\n/);
      assert.match(body, /readyz check failed\n$/);
      const one = await fetch(url + '/livez/etcd');
      assert.equal(one.status, 500);
      assert.match(await one.text(), /^internal server error: /);
    } finally {
      await a2.stop();
    }
  });
});
