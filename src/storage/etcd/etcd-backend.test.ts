/**
 * Runs the Backend conformance suite (src/storage/conformance.ts) against EtcdBackend, one fresh
 * private etcd per test (the suite needs an empty store at revision 0), plus etcd-specific tests:
 * compaction → Compacted (the apiserver's 410), a restarted backend learning etcd's compact
 * revision, close, and endpoint parsing.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBackendConformance } from '../conformance.ts';
import { EtcdBackend, prefixRangeEnd, mapEtcdError } from './etcd-backend.ts';
import { StorageError, type WatchEvent } from '../backend.ts';
import { startEtcd, openTestBackend, type TestEtcd } from '../../../test/support/etcd.ts';

/** A fresh etcd + connected backend; the next one is started in the background to save time. */
let spare: Promise<TestEtcd> | undefined;
async function freshEtcd(): Promise<TestEtcd> {
  const e = spare ?? startEtcd();
  spare = startEtcd();
  return await e;
}
after(async () => {
  const s = spare;
  spare = undefined;
  if (s) await (await s).stop();
});

runBackendConformance('etcd', async () => {
  const etcd = await freshEtcd();
  const backend = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
  return {
    backend,
    cleanup: async () => {
      await backend.close();
      await etcd.stop();
    },
  };
});

describe('etcd backend specifics', () => {
  test('compaction: list/watch below the compact revision are Compacted; a new backend learns the compact revision', async () => {
    const etcd = await freshEtcd();
    let b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    try {
      const a1 = await b.create('/registry/configmaps/default/a', 'a1');
      const a2 = await b.update('/registry/configmaps/default/a', 'a2', a1.modRevision);
      const a3 = await b.update('/registry/configmaps/default/a', 'a3', a2.modRevision);
      await b.compact(a2.modRevision);
      assert.equal(await b.compactRevision(), a2.modRevision);
      await assert.rejects(b.list('/registry/configmaps/', { revision: a1.modRevision }), (e: unknown) => e instanceof StorageError && e.code === 'Compacted');
      await assert.rejects(b.watch('/registry/configmaps/', a1.modRevision, () => {}), (e: unknown) => e instanceof StorageError && e.code === 'Compacted');
      // Compacting again at or below the compact revision is a no-op.
      await b.compact(a1.modRevision);
      await b.close();
      // A restarted server (new client) has no record of its own; it finds etcd's compact revision.
      b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
      assert.equal(await b.compactRevision(), a2.modRevision);
      await assert.rejects(b.watch('/registry/configmaps/', a1.modRevision, () => {}), (e: unknown) => e instanceof StorageError && e.code === 'Compacted');
      const events: WatchEvent[] = [];
      const w = await b.watch('/registry/configmaps/', a2.modRevision, (evs) => events.push(...evs));
      const deadline = Date.now() + 20_000;
      while (events.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      w.cancel();
      assert.deepEqual(events.map((e) => [e.type, e.revision, e.kv.value]), [['update', a3.modRevision, 'a3']]);
      await assert.rejects(b.compact(a3.modRevision + 100), (e: unknown) => e instanceof StorageError && e.code === 'FutureRevision');
    } finally {
      await b.close();
      await etcd.stop();
    }
  });

  test('keys are stored exactly as given (visible to other etcd clients under /registry/)', async () => {
    const etcd = await freshEtcd();
    const b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    const other = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    try {
      const kv = await b.create('/registry/deployments/default/web', '{"kind":"Deployment"}');
      assert.deepEqual(await other.get('/registry/deployments/default/web'), kv);
      // The whole-keyspace prefix ('') lists and watches everything.
      assert.deepEqual((await other.list('')).items.map((x) => x.key), ['/registry/deployments/default/web']);
    } finally {
      await other.close();
      await b.close();
      await etcd.stop();
    }
  });

  test('calls after close fail with Closed; an unreachable endpoint fails to connect', async () => {
    const etcd = await freshEtcd();
    const b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    await b.close();
    await assert.rejects(b.get('/registry/x'), (e: unknown) => e instanceof StorageError && e.code === 'Closed');
    await etcd.stop();
    await assert.rejects(EtcdBackend.connect({ endpoints: [etcd.endpoint], dialTimeoutMs: 500 }), (e: unknown) => e instanceof StorageError && e.code === 'Internal');
  });

  test('a watch whose etcd goes away ends with onError(Internal); calls fail with Internal', async () => {
    const etcd = await freshEtcd();
    const b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    try {
      const events: WatchEvent[] = [];
      let error: Error | undefined;
      await b.watch('/registry/', 0, (evs) => events.push(...evs), (err) => (error ??= err));
      const kv = await b.create('/registry/pods/default/a', '1');
      const deadline = Date.now() + 20_000;
      while (events.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(events.map((e) => [e.type, e.revision]), [['create', kv.modRevision]]);
      await etcd.stop();
      while (!error && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(error instanceof StorageError, String(error));
      assert.equal(error.code, 'Internal');
      await assert.rejects(b.get('/registry/pods/default/a'), (e: unknown) => e instanceof StorageError && e.code === 'Internal');
    } finally {
      await b.close();
      await etcd.stop();
    }
  });

  test('cancelling many watches leaves the others and later calls working', async () => {
    const etcd = await freshEtcd();
    const b = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
    try {
      const events: WatchEvent[] = [];
      let error: Error | undefined;
      await b.watch('/registry/', 0, (evs) => events.push(...evs), (err) => (error ??= err));
      const others = [];
      for (let i = 0; i < 10; i++) others.push(await b.watch('/registry/', 0, () => {}));
      const first = await b.create('/registry/pods/default/first', 'x');
      while (events.length < 1) await new Promise((r) => setTimeout(r, 10));
      for (const w of others) w.cancel();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await b.get('/registry/pods/default/first'))?.modRevision, first.modRevision);
      const kvs = [first];
      for (let i = 0; i < 5; i++) kvs.push(await b.create(`/registry/pods/default/p${i}`, String(i)));
      const deadline = Date.now() + 20_000;
      while (events.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(error, undefined);
      assert.deepEqual(events.map((e) => e.revision), kvs.map((kv) => kv.modRevision));
    } finally {
      await b.close();
      await etcd.stop();
    }
  });

  test('openTestBackend follows SKIFF_TEST_DATASTORE (etcd) and defaults to SQLite', async () => {
    const saved = process.env.SKIFF_TEST_DATASTORE;
    try {
      delete process.env.SKIFF_TEST_DATASTORE;
      const s = await openTestBackend();
      assert.equal(s.kind, 'sqlite');
      await s.cleanup();
      process.env.SKIFF_TEST_DATASTORE = 'etcd';
      const e = await openTestBackend();
      try {
        assert.equal(e.kind, 'etcd');
        assert.ok(e.backend instanceof EtcdBackend);
        const kv = await e.backend.create('/registry/namespaces/default', '{}');
        assert.equal(await e.backend.currentRevision(), kv.modRevision);
      } finally {
        await e.cleanup();
      }
    } finally {
      if (saved === undefined) delete process.env.SKIFF_TEST_DATASTORE;
      else process.env.SKIFF_TEST_DATASTORE = saved;
    }
  });

  test('prefixRangeEnd, endpoint parsing and error mapping', () => {
    assert.deepEqual(prefixRangeEnd('/registry/pods/'), Buffer.from('/registry/pods0'));
    assert.deepEqual(prefixRangeEnd(''), Buffer.from([0]));
    assert.deepEqual(prefixRangeEnd('a\u00ff'), Buffer.from([0x61, 0xc3, 0xc0]));
    assert.deepEqual(EtcdBackend.parseEndpoints('http://127.0.0.1:2379, http://127.0.0.1:22379'), ['http://127.0.0.1:2379', 'http://127.0.0.1:22379']);
    assert.throws(() => EtcdBackend.parseEndpoints(''));
    assert.throws(() => EtcdBackend.parseEndpoints('unix:///x'));
    assert.equal(mapEtcdError(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted')).code, 'Compacted');
    assert.equal(mapEtcdError(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision')).code, 'FutureRevision');
    assert.equal(mapEtcdError(new Error('14 UNAVAILABLE: connect ECONNREFUSED')).code, 'Internal');
  });
});
