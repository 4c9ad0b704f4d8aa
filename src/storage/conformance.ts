/**
 * The Backend conformance suite: one set of node:test tests every storage backend must pass
 * (SQLite now, etcd later). It checks the contract in src/storage/backend.ts: MVCC create/update/
 * delete with revisions, consistent paginated snapshots, history reads, watch ordering and
 * completeness under concurrent writes, and compaction (Compacted, which the apiserver maps to
 * 410 Expired). Behaviour follows etcd3 MVCC as used by k8s.io/apiserver/pkg/storage/etcd3 and
 * kine's sentinels (ErrKeyExists, ErrCompacted, ErrFutureRev).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, WatchEvent, Watcher } from './backend.ts';
import { StorageError } from './backend.ts';

/** A fresh, empty backend plus a function that closes and removes it. */
export interface BackendFixture {
  backend: Backend;
  cleanup: () => Promise<void>;
}

/** Asserts `p` rejects with a StorageError of `code`. */
async function rejectsWith(p: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StorageError, `expected StorageError(${code}), got ${String(err)}`);
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected StorageError(${code}), but the call succeeded`);
}

/** Polls `cond` every 5 ms until true; fails after `timeoutMs` (generous, not a timing assertion). */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Collects watch events; `error` keeps the first onError. */
class Collector {
  events: WatchEvent[] = [];
  error: Error | undefined;
  watcher: Watcher | undefined;
  onEvents = (evs: WatchEvent[]): void => {
    this.events.push(...evs);
  };
  onError = (err: Error): void => {
    this.error ??= err;
  };
}

/**
 * Registers the conformance tests for one backend under `describe(name)`. `factory` must return a
 * fresh empty store per call; `cleanup` closes it and removes its files/keys.
 */
export function runBackendConformance(name: string, factory: () => Promise<BackendFixture>): void {
  describe(`Backend conformance: ${name}`, () => {
    /** Runs `fn` with a fresh backend and always cleans up. */
    const withBackend = (fn: (b: Backend) => Promise<void>) => async () => {
      const { backend, cleanup } = await factory();
      try {
        await fn(backend);
      } finally {
        await cleanup();
      }
    };

    test('empty store: revision 0, get undefined, empty list, count 0', withBackend(async (b) => {
      assert.equal(await b.currentRevision(), 0);
      assert.equal(await b.get('/registry/pods/default/a'), undefined);
      const l = await b.list('/registry/pods/');
      assert.deepEqual(l.items, []);
      assert.equal(l.more, false);
      assert.equal(await b.count('/registry/pods/'), 0);
      assert.equal(await b.compactRevision(), 0);
    }));

    test('create returns revisions; second create of a live key fails with KeyExists', withBackend(async (b) => {
      const kv = await b.create('/registry/pods/default/a', '{"a":1}');
      assert.equal(kv.key, '/registry/pods/default/a');
      assert.equal(kv.value, '{"a":1}');
      assert.ok(kv.modRevision > 0);
      assert.equal(kv.createRevision, kv.modRevision);
      assert.equal(await b.currentRevision(), kv.modRevision);
      await rejectsWith(b.create('/registry/pods/default/a', '{"a":2}'), 'KeyExists');
      assert.deepEqual(await b.get('/registry/pods/default/a'), kv);
      assert.equal(await b.currentRevision(), kv.modRevision, 'a failed create does not bump the revision');
    }));

    test('update with the current revision succeeds; stale revision fails with Conflict carrying current', withBackend(async (b) => {
      const c = await b.create('/registry/pods/default/a', 'v1');
      const u = await b.update('/registry/pods/default/a', 'v2', c.modRevision);
      assert.ok(u.modRevision > c.modRevision);
      assert.equal(u.createRevision, c.modRevision);
      assert.equal(u.value, 'v2');
      const err = await rejectsWith(b.update('/registry/pods/default/a', 'v3', c.modRevision), 'Conflict');
      assert.deepEqual(err.current, u);
      assert.deepEqual(await b.get('/registry/pods/default/a'), u);
    }));

    test('update of a missing key fails with NotFound', withBackend(async (b) => {
      await rejectsWith(b.update('/registry/pods/default/missing', 'v', 1), 'NotFound');
      const c = await b.create('/registry/pods/default/gone', 'v');
      await b.delete('/registry/pods/default/gone');
      await rejectsWith(b.update('/registry/pods/default/gone', 'v2', c.modRevision), 'NotFound');
    }));

    test('delete with and without expected revision; NotFound when absent; re-create after delete', withBackend(async (b) => {
      const a = await b.create('/registry/pods/default/a', 'va');
      const bb = await b.create('/registry/pods/default/b', 'vb');
      await rejectsWith(b.delete('/registry/pods/default/a', a.modRevision + 100), 'Conflict');
      const da = await b.delete('/registry/pods/default/a', a.modRevision);
      assert.equal(da.value, 'va');
      assert.ok(da.modRevision > bb.modRevision);
      assert.equal(da.createRevision, a.createRevision);
      assert.equal(await b.currentRevision(), da.modRevision);
      const db = await b.delete('/registry/pods/default/b');
      assert.equal(db.value, 'vb');
      assert.ok(db.modRevision > da.modRevision);
      assert.equal(await b.get('/registry/pods/default/a'), undefined);
      await rejectsWith(b.delete('/registry/pods/default/a'), 'NotFound');
      const again = await b.create('/registry/pods/default/a', 'va2');
      assert.equal(again.createRevision, again.modRevision, 'a re-created key has a new createRevision');
      assert.ok(again.modRevision > db.modRevision);
      assert.equal(await b.count('/registry/pods/'), 1);
    }));

    test('concurrent writes racing on one key: exactly one wins, the others fail cleanly', withBackend(async (b) => {
      const creates = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => b.create('/registry/race/k', `c${i}`)));
      const created = creates.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<Backend['create']>>>[];
      assert.equal(created.length, 1);
      for (const r of creates) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof StorageError && r.reason.code === 'KeyExists');
      }
      const base = created[0].value;
      const updates = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => b.update('/registry/race/k', `u${i}`, base.modRevision)));
      const won = updates.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<Backend['update']>>>[];
      assert.equal(won.length, 1);
      for (const r of updates) {
        if (r.status === 'rejected') {
          assert.ok(r.reason instanceof StorageError && r.reason.code === 'Conflict');
          assert.equal(r.reason.current?.modRevision, won[0].value.modRevision);
        }
      }
      assert.deepEqual(await b.get('/registry/race/k'), won[0].value);
      const dels = await Promise.allSettled([b.delete('/registry/race/k'), b.delete('/registry/race/k')]);
      assert.equal(dels.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal(await b.get('/registry/race/k'), undefined);
    }));

    test('revisions strictly increase across keys and operations', withBackend(async (b) => {
      const revs: number[] = [];
      for (let i = 0; i < 20; i++) revs.push((await b.create(`/registry/k/${i % 7}-${i}`, `${i}`)).modRevision);
      const u = await b.update('/registry/k/0-0', 'x', revs[0]);
      revs.push(u.modRevision);
      revs.push((await b.delete('/registry/k/1-1')).modRevision);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i] > revs[i - 1], `revision ${revs[i]} after ${revs[i - 1]}`);
      assert.equal(await b.currentRevision(), revs[revs.length - 1]);
    }));

    test('get returns the latest value; list sorts by key and filters by prefix', withBackend(async (b) => {
      await b.create('/registry/pods/ns2/z', 'z');
      await b.create('/registry/pods/ns1/b', 'b');
      await b.create('/registry/pods/ns1/a', 'a');
      await b.create('/registry/podsx/ns1/a', 'not-a-pod');
      await b.create('/registry/services/ns1/a', 'svc');
      const l = await b.list('/registry/pods/');
      assert.deepEqual(l.items.map((kv) => kv.key), ['/registry/pods/ns1/a', '/registry/pods/ns1/b', '/registry/pods/ns2/z']);
      assert.equal(l.revision, await b.currentRevision());
      assert.equal(l.more, false);
      const ns1 = await b.list('/registry/pods/ns1/');
      assert.deepEqual(ns1.items.map((kv) => kv.value), ['a', 'b']);
      assert.equal(await b.count('/registry/pods/'), 3);
      assert.equal(await b.count('/registry/'), 5);
      assert.equal((await b.get('/registry/pods/ns1/a'))?.value, 'a');
    }));

    test('list with limit and startAfterKey paginates over a snapshot revision', withBackend(async (b) => {
      for (let i = 0; i < 10; i++) await b.create(`/registry/cm/default/k${String(i).padStart(2, '0')}`, `${i}`);
      const p1 = await b.list('/registry/cm/', { limit: 4 });
      assert.deepEqual(p1.items.map((kv) => kv.value), ['0', '1', '2', '3']);
      assert.equal(p1.more, true);
      if (p1.remaining !== undefined) assert.equal(p1.remaining, 6);
      // Writes between pages must not show up when paging at the first page's revision.
      await b.create('/registry/cm/default/k04a', 'new');
      const cur = await b.get('/registry/cm/default/k05');
      await b.update('/registry/cm/default/k05', 'changed', cur!.modRevision);
      await b.delete('/registry/cm/default/k06');
      const p2 = await b.list('/registry/cm/', { limit: 4, startAfterKey: p1.items[3].key, revision: p1.revision });
      assert.equal(p2.revision, p1.revision);
      assert.deepEqual(p2.items.map((kv) => kv.value), ['4', '5', '6', '7']);
      assert.equal(p2.more, true);
      const p3 = await b.list('/registry/cm/', { limit: 4, startAfterKey: p2.items[3].key, revision: p1.revision });
      assert.deepEqual(p3.items.map((kv) => kv.value), ['8', '9']);
      assert.equal(p3.more, false);
      // Exactly-at-limit is not "more".
      const all = await b.list('/registry/cm/', { limit: 10 });
      assert.equal(all.items.length, 10);
      assert.equal(all.more, false);
    }));

    test('list at an older revision returns that snapshot (values and modRevisions of then)', withBackend(async (b) => {
      const a1 = await b.create('/registry/x/a', 'a1');
      const b1 = await b.create('/registry/x/b', 'b1');
      const snap = await b.currentRevision();
      await b.update('/registry/x/a', 'a2', a1.modRevision);
      await b.delete('/registry/x/b', b1.modRevision);
      await b.create('/registry/x/c', 'c1');
      const old = await b.list('/registry/x/', { revision: snap });
      assert.equal(old.revision, snap);
      assert.deepEqual(old.items, [a1, b1]);
      const mid = await b.list('/registry/x/', { revision: a1.modRevision });
      assert.deepEqual(mid.items, [a1]);
      const now = await b.list('/registry/x/');
      assert.deepEqual(now.items.map((kv) => kv.value), ['a2', 'c1']);
      await rejectsWith(b.list('/registry/x/', { revision: (await b.currentRevision()) + 10 }), 'FutureRevision');
    }));

    test('watch from a revision replays history, then live events, as create/update/delete with prevKv', withBackend(async (b) => {
      const a = await b.create('/registry/w/a', 'a1');
      const start = a.modRevision;
      const a2 = await b.update('/registry/w/a', 'a2', a.modRevision);
      const c = new Collector();
      c.watcher = await b.watch('/registry/w/', start, c.onEvents, c.onError);
      const del = await b.delete('/registry/w/a');
      const n = await b.create('/registry/w/n', 'n1');
      await waitFor(() => c.events.length >= 3, '3 events');
      c.watcher.cancel();
      assert.equal(c.error, undefined);
      assert.deepEqual(c.events.map((e) => [e.type, e.revision, e.kv.key]), [
        ['update', a2.modRevision, '/registry/w/a'],
        ['delete', del.modRevision, '/registry/w/a'],
        ['create', n.modRevision, '/registry/w/n'],
      ]);
      assert.equal(c.events[0].kv.value, 'a2');
      assert.equal(c.events[0].kv.modRevision, a2.modRevision);
      assert.equal(c.events[0].kv.createRevision, a.modRevision);
      if (c.events[0].prevKv) assert.equal(c.events[0].prevKv.value, 'a1');
      assert.equal(c.events[1].kv.value, 'a2', 'delete carries the last value');
      assert.equal(c.events[1].kv.modRevision, del.modRevision);
      if (c.events[1].prevKv) assert.equal(c.events[1].prevKv.modRevision, a2.modRevision);
      assert.equal(c.events[2].kv.value, 'n1');
    }));

    test('watch delivers every change exactly once in order under concurrent writes (500 writes)', withBackend(async (b) => {
      const keys = Array.from({ length: 10 }, (_, i) => `/registry/c/k${i}`);
      const revs = new Map<string, number>();
      for (const k of keys) revs.set(k, (await b.create(k, '0')).modRevision);
      const start = await b.currentRevision();
      // Writers run concurrently with the watch being established and replayed.
      const expected: { type: string; key: string; value: string; revision: number }[] = [];
      let watcher: Watcher | undefined;
      const c = new Collector();
      const writers = keys.map(async (k, wi) => {
        for (let i = 1; i <= 50; i++) {
          if (wi === 0 && i === 5) watcher = await b.watch('/registry/c/', start, c.onEvents, c.onError);
          const kv = await b.update(k, String(i), revs.get(k)!);
          revs.set(k, kv.modRevision);
          expected.push({ type: 'update', key: k, value: String(i), revision: kv.modRevision });
          await new Promise((r) => setImmediate(r));
        }
      });
      await Promise.all(writers);
      expected.sort((x, y) => x.revision - y.revision);
      assert.equal(expected.length, 500);
      await waitFor(() => c.events.length >= 500, '500 events');
      await new Promise((r) => setTimeout(r, 50));
      watcher!.cancel();
      assert.equal(c.error, undefined);
      assert.deepEqual(
        c.events.map((e) => ({ type: e.type, key: e.kv.key, value: e.kv.value, revision: e.revision })),
        expected,
      );
    }));

    test('watch filters by prefix; multiple watchers each get their own complete stream', withBackend(async (b) => {
      const start = await b.currentRevision();
      const pods = new Collector();
      const ns1 = new Collector();
      const all = new Collector();
      pods.watcher = await b.watch('/registry/pods/', start, pods.onEvents, pods.onError);
      ns1.watcher = await b.watch('/registry/pods/ns1/', start, ns1.onEvents, ns1.onError);
      all.watcher = await b.watch('/registry/', start, all.onEvents, all.onError);
      await b.create('/registry/pods/ns1/a', '1');
      await b.create('/registry/services/ns1/a', '2');
      await b.create('/registry/pods/ns2/a', '3');
      await b.create('/registry/podsx/ns1/a', '4');
      await b.create('/registry/pods/ns1/b', '5');
      await waitFor(() => all.events.length >= 5 && pods.events.length >= 3 && ns1.events.length >= 2, 'events');
      await new Promise((r) => setTimeout(r, 50));
      for (const c of [pods, ns1, all]) c.watcher!.cancel();
      assert.deepEqual(pods.events.map((e) => e.kv.value), ['1', '3', '5']);
      assert.deepEqual(ns1.events.map((e) => e.kv.value), ['1', '5']);
      assert.deepEqual(all.events.map((e) => e.kv.value), ['1', '2', '3', '4', '5']);
    }));

    test('a cancelled watcher receives nothing more; a throwing watcher does not break writes', withBackend(async (b) => {
      const c = new Collector();
      c.watcher = await b.watch('/registry/t/', await b.currentRevision(), c.onEvents, c.onError);
      let thrown = 0;
      const bad = await b.watch('/registry/t/', await b.currentRevision(), () => {
        thrown++;
        throw new Error('subscriber bug');
      });
      await b.create('/registry/t/a', '1');
      await waitFor(() => c.events.length === 1, 'first event');
      // The throwing watcher has its own stream (etcd: its own gRPC watch); wait for it too.
      await waitFor(() => thrown >= 1, 'the throwing watcher to see the first event');
      c.watcher.cancel();
      const kv = await b.create('/registry/t/b', '2');
      assert.ok(kv.modRevision > 0);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(c.events.length, 1);
      assert.ok(thrown >= 1);
      bad.cancel();
      assert.equal((await b.get('/registry/t/b'))?.value, '2');
    }));

    test('compaction: list and watch below the compact revision fail with Compacted; current state is kept', withBackend(async (b) => {
      const a1 = await b.create('/registry/h/a', 'a1');
      const a2 = await b.update('/registry/h/a', 'a2', a1.modRevision);
      const d1 = await b.create('/registry/h/d', 'd1');
      await b.delete('/registry/h/d', d1.modRevision);
      const k = await b.create('/registry/h/k', 'k1');
      const compactAt = k.modRevision;
      const a3 = await b.update('/registry/h/a', 'a3', a2.modRevision);
      await b.compact(compactAt);
      assert.equal(await b.compactRevision(), compactAt);
      await rejectsWith(b.list('/registry/h/', { revision: a2.modRevision }), 'Compacted');
      await rejectsWith(b.watch('/registry/h/', a1.modRevision, () => {}), 'Compacted');
      // At and after the compact revision, reads still work.
      const atCompact = await b.list('/registry/h/', { revision: compactAt });
      assert.deepEqual(atCompact.items, [a2, k]);
      const now = await b.list('/registry/h/');
      assert.deepEqual(now.items, [a3, k]);
      assert.equal(await b.count('/registry/h/'), 2);
      assert.equal(await b.get('/registry/h/d'), undefined);
      const c = new Collector();
      c.watcher = await b.watch('/registry/h/', compactAt, c.onEvents, c.onError);
      await waitFor(() => c.events.length >= 1, 'event after compact');
      c.watcher.cancel();
      assert.deepEqual(c.events.map((e) => [e.type, e.revision, e.kv.value]), [['update', a3.modRevision, 'a3']]);
      // Writes continue with higher revisions; a deleted key can be created again.
      const d2 = await b.create('/registry/h/d', 'd2');
      assert.ok(d2.modRevision > a3.modRevision);
      const a4 = await b.update('/registry/h/a', 'a4', a3.modRevision);
      assert.equal(a4.createRevision, a1.modRevision);
    }));

    test('compacting at the current revision after a delete keeps the revision counter', withBackend(async (b) => {
      const a = await b.create('/registry/r/a', 'a');
      const del = await b.delete('/registry/r/a', a.modRevision);
      await b.compact(del.modRevision);
      assert.equal(await b.currentRevision(), del.modRevision);
      const again = await b.create('/registry/r/a', 'a2');
      assert.ok(again.modRevision > del.modRevision);
      const l = await b.list('/registry/r/');
      assert.equal(l.revision, again.modRevision);
    }));

    test('close: pending watches get onError(Closed)', async () => {
      const { backend: b, cleanup } = await factory();
      try {
        const c = new Collector();
        c.watcher = await b.watch('/registry/', 0, c.onEvents, c.onError);
        await b.close();
        await waitFor(() => c.error !== undefined, 'onError');
        assert.ok(c.error instanceof StorageError);
        assert.equal((c.error as StorageError).code, 'Closed');
      } finally {
        await cleanup();
      }
    });
  });
}

