import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../client/workqueue.ts';
import { SchedulingQueue } from './scheduling-queue.ts';
import { makePod } from './testing/wrappers.ts';

const names = async (q: SchedulingQueue, n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await q.pop())!.pod.metadata!.name!);
  return out;
};

test('queue: pops by priority, then oldest first; duplicates merge', async () => {
  const clock = new FakeClock(1000);
  const q = new SchedulingQueue({ clock });
  q.add(makePod('a'));
  clock.step(1);
  q.add(makePod('b', { priority: 10 }));
  clock.step(1);
  q.add(makePod('c'));
  q.add(makePod('a'));
  assert.deepEqual(await names(q, 3), ['b', 'a', 'c']);
  assert.deepEqual(q.stats(), { active: 0, backoff: 0, unschedulable: 0, inFlight: 3 });
});

test('queue: back-off doubles from 1s and caps at 10s', () => {
  const q = new SchedulingQueue({ clock: new FakeClock() });
  const d = (attempts: number) => q.backoffDuration({ attempts } as never);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(d), [1000, 2000, 4000, 8000, 10000, 10000]);
});

test('queue: an unschedulable pod waits for a cluster event, then for its back-off', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock, flushIntervalMs: 100 });
  q.run();
  q.add(makePod('p'));
  const p = (await q.pop())!;
  q.addUnschedulableIfNotPresent(p, q.cycle, true);
  assert.equal(q.stats().unschedulable, 1);
  clock.step(5000);
  assert.equal(q.stats().unschedulable, 1, 'no event, no retry (until the 5-minute flush)');
  // A status-only update does not move it; a spec change does.
  q.update(makePod('p'), false);
  assert.equal(q.stats().unschedulable, 1);
  q.moveAllToActiveOrBackoffQueue('NodeAdd');
  assert.equal(q.stats().active, 1, 'back-off (1s) already expired: straight to activeQ');
  const p2 = (await q.pop())!;
  assert.equal(p2.attempts, 2);
  q.addUnschedulableIfNotPresent(p2, q.cycle, true);
  q.moveAllToActiveOrBackoffQueue('NodeAdd');
  assert.deepEqual(q.stats(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  clock.step(1000);
  assert.equal(q.stats().backoff, 1, 'second attempt backs off 2s');
  clock.step(1100);
  assert.deepEqual(q.stats(), { active: 1, backoff: 0, unschedulable: 0, inFlight: 0 });
  q.close();
});

test('queue: a move request during an attempt sends the failed pod to backoffQ, not unschedulablePods', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock, flushIntervalMs: 100 });
  q.run();
  q.add(makePod('p'));
  const p = (await q.pop())!;
  const cycle = q.cycle;
  q.moveAllToActiveOrBackoffQueue('NodeAdd'); // e.g. a node arrived while filtering
  q.addUnschedulableIfNotPresent(p, cycle, true);
  assert.deepEqual(q.stats(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  clock.step(1100);
  assert.equal(q.stats().active, 1);
  q.close();
});

test('queue: unschedulable pods are retried after 5 minutes without events; errors go to backoffQ', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock, flushIntervalMs: 1000 });
  q.run();
  q.add(makePod('u'));
  q.add(makePod('e'));
  const u = (await q.pop())!;
  const e = (await q.pop())!;
  q.addUnschedulableIfNotPresent(u, q.cycle, true);
  q.addUnschedulableIfNotPresent(e, q.cycle, false);
  assert.deepEqual(q.stats(), { active: 0, backoff: 1, unschedulable: 1, inFlight: 0 });
  clock.step(2000);
  assert.deepEqual(q.stats(), { active: 1, backoff: 0, unschedulable: 1, inFlight: 0 });
  clock.step(300_000);
  assert.equal(q.stats().unschedulable, 0);
  q.close();
});

test('queue: delete removes a pod everywhere; pop resolves undefined after close or abort', async () => {
  const q = new SchedulingQueue({ clock: new FakeClock() });
  q.add(makePod('x'));
  q.delete(makePod('x'));
  assert.equal(q.stats().active, 0);
  const ac = new AbortController();
  const pending = q.pop(ac.signal);
  ac.abort();
  assert.equal(await pending, undefined);
  const pending2 = q.pop();
  q.close();
  assert.equal(await pending2, undefined);
});

test('queue: a waiting pop gets the next added pod', async () => {
  const q = new SchedulingQueue({ clock: new FakeClock() });
  const pending = q.pop();
  q.add(makePod('late'));
  assert.equal((await pending)?.pod.metadata?.name, 'late');
  q.close();
});
