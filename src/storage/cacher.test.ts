import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cacher } from './cacher.ts';
import { SqliteBackend } from './sqlite/sqlite-backend.ts';
import type { Backend, WatchEvent, Watcher } from './backend.ts';
import { StorageError } from './backend.ts';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function collector() {
  const c = { events: [] as WatchEvent[], error: undefined as Error | undefined };
  return {
    c,
    onEvents: (evs: WatchEvent[]) => void c.events.push(...evs),
    onError: (e: Error) => void (c.error ??= e),
  };
}

const P = '/registry/pods/';

test('cacher: initial list, then state follows backend writes; list(ns) and get', async () => {
  const b = SqliteBackend.open(':memory:');
  const a = await b.create(`${P}ns1/a`, 'a1');
  await b.create('/registry/services/ns1/s', 's');
  const cacher = new Cacher(b, P);
  try {
    await cacher.start();
    assert.deepEqual(cacher.list().items, [a]);
    assert.equal(cacher.list().revision, await b.currentRevision());
    const a2 = await b.update(`${P}ns1/a`, 'a2', a.modRevision);
    const c = await b.create(`${P}ns2/c`, 'c');
    await b.create('/registry/services/ns1/t', 't');
    await cacher.waitUntilFresh(await b.currentRevision());
    assert.deepEqual(cacher.list().items, [a2, c]);
    assert.deepEqual(cacher.list(`${P}ns2/`).items, [c]);
    assert.equal(cacher.revision(), await b.currentRevision(), 'watchAll: revision follows the store');
    assert.equal(cacher.bookmarkRevision(), cacher.revision());
    await b.delete(`${P}ns1/a`);
    await cacher.waitUntilFresh(await b.currentRevision());
    assert.equal(cacher.get(`${P}ns1/a`), undefined);
    assert.deepEqual(cacher.list().items, [c]);
  } finally {
    cacher.stop();
    await b.close();
  }
});

test('cacher: watch from a revision in the window gets buffered then live events in order', async () => {
  const b = SqliteBackend.open(':memory:');
  const cacher = new Cacher(b, P);
  try {
    await cacher.start();
    const revs: number[] = [];
    for (let i = 0; i < 5; i++) revs.push((await b.create(`${P}default/p${i}`, `${i}`)).modRevision);
    const { c, onEvents, onError } = collector();
    const w = await cacher.watch(P, revs[1], onEvents, onError);
    for (let i = 5; i < 8; i++) revs.push((await b.create(`${P}default/p${i}`, `${i}`)).modRevision);
    await waitFor(() => c.events.length >= 6, '6 events');
    await new Promise((r) => setTimeout(r, 20));
    w.cancel();
    assert.deepEqual(c.events.map((e) => e.revision), revs.slice(2));
    assert.deepEqual(c.events.map((e) => e.kv.value), ['2', '3', '4', '5', '6', '7']);
    assert.equal(c.error, undefined);
  } finally {
    cacher.stop();
    await b.close();
  }
});

test('cacher: namespace-prefix watch filters; 500 concurrent writes arrive exactly once in order', async () => {
  const b = SqliteBackend.open(':memory:');
  const cacher = new Cacher(b, P, { capacity: 2000 });
  try {
    await cacher.start();
    const start = await b.currentRevision();
    const ns1 = collector();
    const all = collector();
    const w1 = await cacher.watch(`${P}ns1/`, start, ns1.onEvents, ns1.onError);
    const w2 = await cacher.watch(P, start, all.onEvents, all.onError);
    const expected: { key: string; revision: number }[] = [];
    await Promise.all(
      ['ns1', 'ns2'].map(async (ns) => {
        for (let i = 0; i < 250; i++) {
          const kv = await b.create(`${P}${ns}/p${i}`, `${i}`);
          expected.push({ key: kv.key, revision: kv.modRevision });
          if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        }
      }),
    );
    expected.sort((x, y) => x.revision - y.revision);
    await waitFor(() => all.c.events.length >= 500 && ns1.c.events.length >= 250, 'events');
    await new Promise((r) => setTimeout(r, 20));
    w1.cancel();
    w2.cancel();
    assert.deepEqual(all.c.events.map((e) => ({ key: e.kv.key, revision: e.revision })), expected);
    assert.deepEqual(
      ns1.c.events.map((e) => ({ key: e.kv.key, revision: e.revision })),
      expected.filter((e) => e.key.startsWith(`${P}ns1/`)),
    );
  } finally {
    cacher.stop();
    await b.close();
  }
});

test('cacher: afterRevision older than the window (evicted, or before the initial list) is Compacted', async () => {
  const b = SqliteBackend.open(':memory:');
  const first = await b.create(`${P}default/before`, 'x');
  await b.create(`${P}default/before2`, 'y');
  const cacher = new Cacher(b, P, { capacity: 3, maxCapacity: 3 });
  try {
    await cacher.start();
    const isCompacted = (e: unknown) => e instanceof StorageError && e.code === 'Compacted';
    await assert.rejects(cacher.watch(P, first.modRevision, () => {}), isCompacted);
    const revs: number[] = [];
    for (let i = 0; i < 5; i++) revs.push((await b.create(`${P}default/p${i}`, `${i}`)).modRevision);
    await cacher.waitUntilFresh(revs[4]);
    // Capacity 3 keeps p2..p4: the window starts at p1's revision (the last evicted).
    await assert.rejects(cacher.watch(P, revs[0], () => {}), isCompacted);
    const { c, onEvents } = collector();
    const w = await cacher.watch(P, revs[1], onEvents);
    await waitFor(() => c.events.length >= 3, '3 events');
    w.cancel();
    assert.deepEqual(c.events.map((e) => e.revision), revs.slice(2));
  } finally {
    cacher.stop();
    await b.close();
  }
});

test('cacher: watch from 0 sends the current state as creates, then live events', async () => {
  const b = SqliteBackend.open(':memory:');
  const z = await b.create(`${P}default/z`, 'z');
  const a = await b.create(`${P}default/a`, 'a');
  await b.create(`${P}other/o`, 'o');
  const cacher = new Cacher(b, P);
  try {
    await cacher.start();
    const { c, onEvents } = collector();
    const w = await cacher.watch(`${P}default/`, 0, onEvents);
    const u = await b.update(`${P}default/z`, 'z2', z.modRevision);
    await waitFor(() => c.events.length >= 3, '3 events');
    w.cancel();
    assert.deepEqual(c.events.map((e) => [e.type, e.kv.key, e.revision]), [
      ['create', a.key, a.modRevision],
      ['create', z.key, z.modRevision],
      ['update', z.key, u.modRevision],
    ]);
  } finally {
    cacher.stop();
    await b.close();
  }
});

test('cacher: waitUntilFresh rejects with FutureRevision for a revision never reached', async () => {
  const b = SqliteBackend.open(':memory:');
  const cacher = new Cacher(b, P);
  try {
    await cacher.start();
    await b.create('/registry/configmaps/default/x', '{}');
    await cacher.waitUntilFresh(1);
    await assert.rejects(cacher.waitUntilFresh(100, 50), (e: unknown) => e instanceof StorageError && e.code === 'FutureRevision');
  } finally {
    cacher.stop();
    await b.close();
  }
});

test('cacher: a throwing watcher is ended; a failed backend watch ends watchers and the cache recovers', async () => {
  const inner = SqliteBackend.open(':memory:');
  const errorHooks: ((e: Error) => void)[] = [];
  // Delegating backend that lets the test kill the cacher's backend watch.
  const b: Backend = Object.create(inner, {
    watch: {
      value: async (prefix: string, after: number, on: (e: WatchEvent[]) => void, onErr?: (e: Error) => void): Promise<Watcher> => {
        const w = await inner.watch(prefix, after, on, onErr);
        errorHooks.push((e) => {
          w.cancel();
          onErr?.(e);
        });
        return w;
      },
    },
  });
  const cacher = new Cacher(b, P, { onError: () => {} });
  try {
    await cacher.start();
    const bad = collector();
    await cacher.watch(P, await inner.currentRevision(), () => {
      throw new Error('consumer bug');
    }, bad.onError);
    const good = collector();
    await cacher.watch(P, await inner.currentRevision(), good.onEvents, good.onError);
    const x = await inner.create(`${P}default/x`, 'x');
    await waitFor(() => bad.c.error !== undefined && good.c.events.length === 1, 'delivery');
    assert.equal(bad.c.error?.message, 'consumer bug');
    // Kill the backend watch; the write made while it is down must show up after recovery.
    errorHooks[0](new Error('connection lost'));
    await waitFor(() => good.c.error !== undefined, 'watcher ended');
    assert.equal(cacher.isReady(), false);
    const y = await inner.create(`${P}default/y`, 'y');
    await cacher.waitUntilFresh(y.modRevision, 20000);
    assert.deepEqual(cacher.list().items, [x, y]);
  } finally {
    cacher.stop();
    await inner.close();
  }
});

test('cacher: the buffer grows instead of evicting fresh events, up to maxCapacity; old events are evicted', async () => {
  const b = SqliteBackend.open(':memory:');
  let now = 0;
  await b.create('/registry/configmaps/default/first', '{}'); // so the start revision is not 0 ("from now")
  const cacher = new Cacher(b, P, { capacity: 2, maxCapacity: 8, freshMs: 1000, now: () => now });
  try {
    await cacher.start();
    const start = await b.currentRevision();
    const revs: number[] = [];
    for (let i = 0; i < 6; i++) revs.push((await b.create(`${P}default/f${i}`, `${i}`)).modRevision);
    await cacher.waitUntilFresh(revs[5]);
    // All six are younger than freshMs: the buffer grew (2 → 4 → 8) and still serves from the start.
    const { c, onEvents } = collector();
    const w = await cacher.watch(P, start, onEvents);
    await waitFor(() => c.events.length >= 6, 'six buffered events');
    w.cancel();
    // Later events, once the old ones are stale, evict them.
    now = 5000;
    for (let i = 6; i < 16; i++) revs.push((await b.create(`${P}default/f${i}`, `${i}`)).modRevision);
    await cacher.waitUntilFresh(revs[15]);
    await assert.rejects(cacher.watch(P, start, () => {}), (e: unknown) => e instanceof StorageError && e.code === 'Compacted');
    const late = collector();
    const w2 = await cacher.watch(P, revs[7], late.onEvents);
    await waitFor(() => late.c.events.length >= 8, 'eight newest events');
    w2.cancel();
    assert.deepEqual(late.c.events.map((e) => e.revision), revs.slice(8));
  } finally {
    cacher.stop();
    await b.close();
  }
});
