/**
 * PodGC table tests after pkg/controller/podgc/gc_controller_test.go (TestGCTerminated,
 * TestGCOrphaned, TestGCUnscheduledTerminating, TestGCTerminating): which pods are force-deleted,
 * in which order, and the Failed phase + DisruptionTarget condition written before deletion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeClock } from '../../client/workqueue.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { PodGCController, TaintNodeOutOfService, byEvictionAndCreationTimestamp } from './gc-controller.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

interface P { name: string; phase?: string; reason?: string; created?: number; node?: string; deleting?: boolean }
const pod = (p: P): KubeObject => ({
  metadata: { name: p.name, namespace: 'default', creationTimestamp: new Date(T0 + (p.created ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), ...(p.deleting ? { finalizers: ['test/keep'] } : {}) },
  spec: { nodeName: p.node, containers: [{ name: 'c', image: 'x' }] },
  status: { phase: p.phase ?? 'Running', ...(p.reason ? { reason: p.reason } : {}) },
});
const node = (name: string, ready: string, taints: unknown[] = []): KubeObject => ({ metadata: { name }, spec: { taints }, status: { conditions: [{ type: 'Ready', status: ready }] } });

async function setup(pods: P[], nodes: KubeObject[], threshold: number) {
  const fake = new FakeClient([...nodes.map((n) => [GVR.nodes, n] as [typeof GVR.nodes, KubeObject])]);
  for (const p of pods) {
    const created = await fake.create(GVR.pods, 'default', pod(p));
    // FakeClient stamps creationTimestamp; restore ours through a status-preserving update.
    await fake.update(GVR.pods, 'default', { ...created, metadata: { ...created.metadata, creationTimestamp: pod(p).metadata!.creationTimestamp } });
    if (p.deleting) await fake.delete(GVR.pods, 'default', p.name);
  }
  const clock = new FakeClock(T0);
  const factory = new SharedInformerFactory(fake);
  const gc = new PodGCController({ client: fake, factory, terminatedPodThreshold: threshold, clock, logger: silent, quarantineTimeMs: 40_000 });
  const ac = new AbortController();
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  fake.actions.length = 0;
  const deleted = () => fake.actions.filter((a) => a.verb === 'delete').map((a) => a.name);
  return { fake, gc, clock, deleted, stop: () => ac.abort() };
}

test('byEvictionAndCreationTimestamp: evicted first, then oldest, then name', () => {
  const ps = [pod({ name: 'b', phase: 'Succeeded', created: 1 }), pod({ name: 'a', phase: 'Succeeded', created: 1 }), pod({ name: 'old', phase: 'Failed', created: 0 }), pod({ name: 'ev', phase: 'Failed', reason: 'Evicted', created: 9 })];
  assert.deepEqual((ps as never as import("kubernetes-types/core/v1.js").Pod[]).sort(byEvictionAndCreationTimestamp).map((p) => p.metadata!.name), ['ev', 'old', 'a', 'b']);
});

const terminatedCases: { name: string; pods: P[]; threshold: number; deleted: string[] }[] = [
  { name: 'delete oldest terminated above threshold', threshold: 1, pods: [{ name: 'a', phase: 'Failed', created: 0 }, { name: 'b', phase: 'Succeeded', created: 1 }], deleted: ['a'] },
  { name: 'running and pending pods are never counted', threshold: 1, pods: [{ name: 'a', phase: 'Running', created: 0 }, { name: 'b', phase: 'Pending', created: 1 }, { name: 'c', phase: 'Failed', created: 2 }], deleted: [] },
  { name: 'at the threshold nothing goes', threshold: 2, pods: [{ name: 'a', phase: 'Failed', created: 0 }, { name: 'b', phase: 'Succeeded', created: 1 }], deleted: [] },
  { name: 'evicted pods go before older ones', threshold: 1, pods: [{ name: 'a', phase: 'Failed', created: 0 }, { name: 'b', phase: 'Failed', reason: 'Evicted', created: 5 }], deleted: ['b'] },
];
for (const tc of terminatedCases) {
  test(`gcTerminated: ${tc.name}`, async () => {
    const h = await setup(tc.pods.map((p) => ({ ...p, node: 'n1' })), [node('n1', 'True')], tc.threshold);
    await h.gc.gc();
    assert.deepEqual(h.deleted().sort(), tc.deleted);
    h.stop();
  });
}

test('gcTerminated is off with a threshold of 0', async () => {
  const h = await setup([{ name: 'a', phase: 'Failed', node: 'n1' }], [node('n1', 'True')], 0);
  await h.gc.gc();
  assert.deepEqual(h.deleted(), []);
  h.stop();
});

test('gcOrphaned: pods of a node missing for the quarantine time are marked Failed (DeletionByPodGC) and force-deleted', async () => {
  const h = await setup([{ name: 'orphan', node: 'gone' }, { name: 'done', phase: 'Succeeded', node: 'gone' }, { name: 'fine', node: 'n1' }], [node('n1', 'True')], 100);
  await h.gc.gc();
  assert.deepEqual(h.deleted(), [], 'still in quarantine');
  h.clock.step(40_001);
  await h.gc.gc();
  assert.deepEqual(h.deleted().sort(), ['done', 'orphan']);
  const patch = h.fake.actions.find((a) => a.verb === 'patch' && a.name === 'orphan');
  assert.equal(patch?.subresource, 'status');
  const st = (patch?.patch as any).status;
  assert.equal(st.phase, 'Failed');
  assert.deepEqual({ ...st.conditions[0], lastTransitionTime: undefined }, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: undefined });
  assert.ok(!h.fake.actions.some((a) => a.verb === 'patch' && a.name === 'done'), 'a Succeeded pod keeps its phase');
  const del = h.fake.actions.find((a) => a.verb === 'delete' && a.name === 'orphan') as any;
  assert.equal(del.options.gracePeriodSeconds, 0);
  assert.ok(del.options.preconditions.uid, 'uid precondition');
  h.stop();
});

test('gcOrphaned: a node that reappears is not treated as gone', async () => {
  const h = await setup([{ name: 'p', node: 'late' }], [node('n1', 'True')], 100);
  await h.gc.gc();
  await h.fake.create(GVR.nodes, undefined, node('late', 'True'));
  h.clock.step(40_001);
  await h.gc.gc();
  assert.deepEqual(h.deleted(), []);
  h.stop();
});

test('gcUnscheduledTerminating: terminating pods without a node are force-deleted', async () => {
  const h = await setup([{ name: 'unsched', deleting: true }, { name: 'sched', node: 'n1', deleting: true }, { name: 'pending' }], [node('n1', 'True')], 100);
  await h.gc.gc();
  assert.deepEqual(h.deleted(), ['unsched']);
  h.stop();
});

test('gcTerminating: terminating pods on a NotReady node with the out-of-service taint are force-deleted', async () => {
  const oos = [{ key: TaintNodeOutOfService, value: 'nodeshutdown', effect: 'NoExecute' }];
  const h = await setup(
    [{ name: 'on-oos', node: 'down', deleting: true }, { name: 'on-ready-oos', node: 'up', deleting: true }, { name: 'on-notready', node: 'nr', deleting: true }, { name: 'live-on-oos', node: 'down' }],
    [node('down', 'False', oos), node('up', 'True', oos), node('nr', 'Unknown')],
    100,
  );
  await h.gc.gc();
  assert.deepEqual(h.deleted(), ['on-oos']);
  h.stop();
});
