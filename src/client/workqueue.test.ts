import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, WorkQueue } from './workqueue.ts';

describe('WorkQueue', () => {
  test('duplicate adds merge', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  test('a key re-added while processing is not handed out until done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const k = await q.get();
    assert.equal(k, 'a');
    q.add('a');
    assert.equal(q.len(), 0, 'in-flight key must not be queued');
    let second: string | undefined;
    const p = q.get().then((x) => (second = x));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, undefined);
    q.done('a');
    await p;
    assert.equal(second, 'a');
  });

  test('waiting get resolves on add and on shutdown', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
    const p2 = q.get();
    q.shutDown();
    assert.equal(await p2, undefined);
    q.add('y');
    assert.equal(await q.get(), undefined);
  });

  test('addRateLimited backs off exponentially per key from 5ms to 1000s; forget resets', () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    assert.equal(q.when('k'), 5);
    assert.equal(q.when('k'), 10);
    assert.equal(q.when('k'), 20);
    assert.equal(q.when('other'), 5);
    for (let i = 0; i < 40; i++) q.when('k');
    assert.equal(q.when('k'), 1_000_000);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
    assert.equal(q.when('k'), 5);
  });

  test('addRateLimited re-adds after the delay on the injected clock', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addRateLimited('k'); // 5ms
    assert.equal(q.len(), 0);
    clock.step(4);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'k');
    q.done('k');
    q.addRateLimited('k'); // 10ms
    clock.step(9);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
  });

  test('addAfter keeps the earliest pending time', () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('k', 100);
    q.addAfter('k', 50);
    q.addAfter('k', 200);
    clock.step(50);
    assert.equal(q.len(), 1);
    clock.step(200);
    assert.equal(q.len(), 1);
  });
});
