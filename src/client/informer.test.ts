import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from './fake-client.ts';
import { GVR, type KubeObject } from './interface.ts';
import { DeletedFinalStateUnknown, SharedInformer, ownerUidIndexFunc } from './informer.ts';
import { SharedInformerFactory } from './informer-factory.ts';
import { newGone } from '../machinery/errors.ts';

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pod = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, namespace: 'default', labels }, spec: {} });

describe('SharedInformer', () => {
  test('lists (paginated), syncs, then follows the watch; handlers see add/update/delete', async () => {
    const c = new FakeClient();
    for (let i = 0; i < 5; i++) await c.create(GVR.pods, 'default', pod(`p${i}`, { app: 'web' }));
    const inf = new SharedInformer(c, GVR.pods, { pageSize: 2, backoffInitialMs: 5 });
    const seen: string[] = [];
    inf.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata?.name}`),
      onUpdate: (_o, n) => seen.push(`update ${n.metadata?.name}`),
      onDelete: (o) => seen.push(`delete ${(o instanceof DeletedFinalStateUnknown ? o.obj : o).metadata?.name}`),
    });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    assert.equal(await inf.waitForSync(), true);
    assert.equal(inf.store.size, 5);
    assert.equal(c.actions.filter((a) => a.verb === 'list').length, 3, 'pages of 2');
    await until(() => c.watchCount === 1, 'watch');
    const w = c.actions.find((a) => a.verb === 'watch')!.options as { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number };
    assert.equal(w.allowWatchBookmarks, true);
    assert.ok(w.timeoutSeconds >= 300);
    assert.equal(w.resourceVersion, '5');
    await c.create(GVR.pods, 'default', pod('new'));
    await c.patch(GVR.pods, 'default', 'p0', 'application/merge-patch+json', { metadata: { labels: { x: 'y' } } });
    await c.delete(GVR.pods, 'default', 'p1');
    await until(() => seen.length === 8, 'events');
    assert.deepEqual(seen.slice(5), ['add new', 'update p0', 'delete p1']);
    assert.deepEqual(inf.lister.list('default', 'x=y').map((o) => o.metadata?.name), ['p0']);
    assert.equal(inf.lister.get('default', 'p1'), undefined);
    ac.abort();
    await run;
    assert.equal(c.watchCount, 0);
  });

  test('resumes the watch from the last RV when the server closes it (no relist)', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a'));
    const inf = new SharedInformer(c, GVR.pods, { backoffInitialMs: 5 });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    await until(() => c.watchCount === 1, 'watch');
    await c.create(GVR.pods, 'default', pod('b'));
    const rvB = c.resourceVersion;
    c.closeWatches();
    await until(() => c.watchCount === 1 && c.actions.filter((a) => a.verb === 'watch').length === 2, 're-watch');
    const watches = c.actions.filter((a) => a.verb === 'watch');
    assert.equal((watches[1].options as { resourceVersion: string }).resourceVersion, rvB);
    assert.equal(c.actions.filter((a) => a.verb === 'list').length, 1);
    // transport failure: back off and re-watch, still no relist
    c.failWatches();
    await until(() => c.actions.filter((a) => a.verb === 'watch').length === 3 && c.watchCount === 1, 're-watch after failure');
    assert.equal(c.actions.filter((a) => a.verb === 'list').length, 1);
    ac.abort();
    await run;
  });

  test('relists on an ERROR 410 event and resumes watching', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a'));
    await c.create(GVR.pods, 'default', pod('b'));
    const inf = new SharedInformer(c, GVR.pods, { backoffInitialMs: 5 });
    const deleted: unknown[] = [];
    inf.addEventHandler({ onDelete: (o) => deleted.push(o) });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    await until(() => c.watchCount === 1, 'watch');
    // An ERROR event carrying a 410 Status (as the watch cache sends for a compacted RV) forces a relist.
    c.sendWatchError(newGone('too old resource version: 1 (5)').status);
    await until(() => c.actions.filter((a) => a.verb === 'list').length === 2, 'relist after 410');
    await until(() => c.watchCount === 1, 'watch after relist');
    // The new watch is live.
    await c.delete(GVR.pods, 'default', 'a');
    await until(() => deleted.length === 1, 'delete event');
    assert.equal((deleted[0] as KubeObject).metadata?.name, 'a');
    ac.abort();
    await run;
  });

  test('410 on re-watch after compaction: relist replaces the store with tombstones', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a'));
    await c.create(GVR.pods, 'default', pod('b'));
    let block = false;
    // While blocked, watches end immediately (server unavailable).
    c.prependReactor('watch', 'pods', () => {
      if (block) throw new Error('connection refused');
    });
    const inf = new SharedInformer(c, GVR.pods, { backoffInitialMs: 20, backoffMaxMs: 40 });
    const deleted: unknown[] = [];
    inf.addEventHandler({ onDelete: (o) => deleted.push(o) });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    await until(() => c.watchCount === 1, 'watch');
    block = true;
    c.failWatches();
    await c.delete(GVR.pods, 'default', 'a');
    c.compact();
    block = false;
    await until(() => deleted.length === 1, 'tombstone');
    assert.ok(deleted[0] instanceof DeletedFinalStateUnknown);
    assert.equal((deleted[0] as DeletedFinalStateUnknown).obj.metadata?.name, 'a');
    assert.equal(c.actions.filter((a) => a.verb === 'list').length, 2);
    assert.deepEqual(inf.store.listKeys(), ['default/b']);
    ac.abort();
    await run;
  });

  test('periodic resync calls onUpdate(obj, obj) for stored objects', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a'));
    const inf = new SharedInformer(c, GVR.pods, { resyncPeriodMs: 20 });
    let resyncs = 0;
    inf.addEventHandler({ onUpdate: (o, n) => void (o === n && resyncs++) });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await until(() => resyncs >= 2, 'two resyncs');
    ac.abort();
    await run;
  });

  test('custom indexers and factory sharing', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', {
      metadata: { name: 'a', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }] },
    });
    await c.create(GVR.pods, 'default', pod('b'));
    const f = new SharedInformerFactory(c);
    const i1 = f.forResource(GVR.pods, { indexers: { owner: ownerUidIndexFunc } });
    const i2 = f.forResource(GVR.pods);
    assert.equal(i1, i2);
    const ac = new AbortController();
    f.start(ac.signal);
    assert.equal(await f.waitForCacheSync(), true);
    assert.deepEqual(i1.store.byIndex('owner', 'u1').map((o) => o.metadata?.name), ['a']);
    assert.deepEqual(i1.store.byIndex('namespace', 'default').length, 2);
    ac.abort();
    await f.shutdown();
  });
});
