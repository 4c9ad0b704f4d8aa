/**
 * Zone disruption handling, rate-limited NoExecute tainting, the startup grace period and the
 * node lifecycle Events, after node_lifecycle_controller_test.go (TestMonitorNodeHealthEvictPodsWithDisruption,
 * TestComputeZoneState cases, TestMonitorNodeHealthUpdateStatus startup grace) and
 * rate_limited_queue_test.go.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeClock } from '../../client/workqueue.ts';
import { FakeRecorder } from '../../client/record.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { NodeLifecycleController, computeZoneState, getZoneKey } from './node-lifecycle-controller.ts';
import { RateLimitedTimedQueue } from './rate-limited-queue.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const node = (name: string, zone: string | undefined, ready: string | null = 'True'): KubeObject => ({
  metadata: { name, labels: zone ? { 'topology.kubernetes.io/zone': zone } : {}, creationTimestamp: iso(T0) },
  status: ready ? { conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: iso(T0), lastTransitionTime: iso(T0) }] } : {},
});

async function setup(nodes: KubeObject[], opts: { evictionRate?: number; grace?: number; startupGrace?: number } = {}) {
  const fake = new FakeClient(nodes.map((n) => [GVR.nodes, n]) as never);
  const clock = new FakeClock(T0);
  const factory = new SharedInformerFactory(fake);
  const recorder = new FakeRecorder();
  const ac = new AbortController();
  const nlc = new NodeLifecycleController({ client: fake, factory, clock, recorder, gracePeriodMs: opts.grace ?? 1000, startupGracePeriodMs: opts.startupGrace, evictionRate: opts.evictionRate ?? 1 });
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  const settle = () => new Promise((r) => setTimeout(r, 20));
  /** Renews the heartbeat of `names` (kubelets still alive), advances `ms`, runs one pass. */
  const pass = async (ms: number, alive: string[]) => {
    clock.step(ms);
    for (const n of alive) {
      const cur = fake.peekAll<any>(GVR.nodes).find((x) => x.metadata.name === n);
      await fake.update(GVR.nodes, undefined, { ...cur, status: { conditions: [{ ...cur.status.conditions[0], lastHeartbeatTime: iso(clock.now()) }] } }, { subresource: 'status' });
    }
    await settle();
    await nlc.monitorNodeHealth();
    await settle();
  };
  const noExecute = () => fake.peekAll<any>(GVR.nodes).filter((n) => (n.spec?.taints ?? []).some((t: any) => t.effect === 'NoExecute')).map((n) => n.metadata.name).sort();
  const ready = (name: string) => fake.peekAll<any>(GVR.nodes).find((x) => x.metadata.name === name)?.status?.conditions?.find((c: any) => c.type === 'Ready');
  return { fake, clock, nlc, recorder, pass, noExecute, ready, stop: () => ac.abort() };
}

describe('zones', () => {
  test('getZoneKey: region and zone labels, beta fallback, "" without', () => {
    assert.equal(getZoneKey({ metadata: { labels: { 'topology.kubernetes.io/zone': 'z1', 'topology.kubernetes.io/region': 'r1' } } }), 'r1:\0:z1');
    assert.equal(getZoneKey({ metadata: { labels: { 'failure-domain.beta.kubernetes.io/zone': 'z2' } } }), ':\0:z2');
    assert.equal(getZoneKey({ metadata: {} }), '');
  });

  const cases: { name: string; statuses: (string | undefined)[]; want: string }[] = [
    { name: 'all ready', statuses: ['True', 'True'], want: 'Normal' },
    { name: 'none ready', statuses: ['False', 'Unknown'], want: 'FullDisruption' },
    { name: 'never posted counts as not ready', statuses: [undefined], want: 'FullDisruption' },
    { name: '2 of 3 down is not partial (needs more than 2)', statuses: ['True', 'False', 'False'], want: 'Normal' },
    { name: '3 of 4 down (75% ≥ 55%)', statuses: ['True', 'False', 'False', 'Unknown'], want: 'PartialDisruption' },
    { name: '3 of 6 down (50% < 55%)', statuses: ['True', 'True', 'True', 'False', 'False', 'False'], want: 'Normal' },
  ];
  for (const c of cases) test(`computeZoneState: ${c.name}`, () => assert.equal(computeZoneState(c.statuses).state, c.want));
});

describe('RateLimitedTimedQueue', () => {
  test('one value per token; processed values stay in the set until removed', async () => {
    const clock = new FakeClock(T0);
    const q = new RateLimitedTimedQueue(1, clock);
    assert.equal(q.add('a', ''), true);
    assert.equal(q.add('b', ''), true);
    assert.equal(q.add('a', ''), false);
    const done: string[] = [];
    const fn = async (v: { value: string }) => (done.push(v.value), { done: true });
    await q.try(fn);
    assert.deepEqual(done, ['a'], 'burst 1');
    clock.step(500);
    await q.try(fn);
    assert.deepEqual(done, ['a']);
    clock.step(500);
    await q.try(fn);
    assert.deepEqual(done, ['a', 'b']);
    assert.equal(q.add('a', ''), false, 'still in the set');
    assert.equal(q.remove('a'), true);
    assert.equal(q.add('a', ''), true);
  });
  test('swapLimiter(0) stops processing; a positive rate resumes', async () => {
    const clock = new FakeClock(T0);
    const q = new RateLimitedTimedQueue(1, clock);
    q.add('a', '');
    q.swapLimiter(0);
    const done: string[] = [];
    await q.try(async (v) => (done.push(v.value), { done: true }));
    clock.step(10_000);
    await q.try(async (v) => (done.push(v.value), { done: true }));
    assert.equal(done.length, 0);
    q.swapLimiter(1);
    await q.try(async (v) => (done.push(v.value), { done: true }));
    assert.equal(done.length, 0, 'the new bucket starts drained when the old one had no token (upstream SwapLimiter)');
    clock.step(1000);
    await q.try(async (v) => (done.push(v.value), { done: true }));
    assert.deepEqual(done, ['a']);
  });
});

describe('NodeLifecycleController disruption', () => {
  test('a fully disrupted zone is tainted one node per token while another zone is healthy', async () => {
    const s = await setup([node('a0', 'a'), node('b0', 'b'), node('b1', 'b'), node('b2', 'b')], { evictionRate: 0.5 });
    try {
      await s.pass(0, ['a0']);
      await s.pass(1500, ['a0']); // b* → Unknown
      assert.equal(s.ready('b0').status, 'Unknown');
      assert.equal(s.nlc.zoneStates.get(':\0:b'), 'FullDisruption');
      assert.equal(s.nlc.zoneStates.get(':\0:a'), 'Normal');
      await s.pass(100, ['a0']); // queued; the first token taints one node
      assert.equal(s.noExecute().length, 1);
      await s.pass(1000, ['a0']);
      assert.equal(s.noExecute().length, 1, 'half a token');
      await s.pass(1000, ['a0']);
      assert.equal(s.noExecute().length, 2);
      await s.pass(2000, ['a0']);
      assert.deepEqual(s.noExecute(), ['b0', 'b1', 'b2']);
    } finally {
      s.stop();
    }
  });

  test('partial disruption of a small zone (3 of 4 down, ≤ 50 nodes) taints nothing', async () => {
    const s = await setup([node('n0', undefined), node('n1', undefined), node('n2', undefined), node('n3', undefined)]);
    try {
      await s.pass(0, ['n0']);
      await s.pass(1500, ['n0']);
      await s.pass(1000, ['n0']);
      await s.pass(5000, ['n0']);
      assert.equal(s.nlc.zoneStates.get(''), 'PartialDisruption');
      assert.equal(s.ready('n1').status, 'Unknown');
      assert.deepEqual(s.noExecute(), []);
    } finally {
      s.stop();
    }
  });

  test('every zone fully disrupted: taints removed, nothing tainted; recovery resumes tainting', async () => {
    const s = await setup([node('a0', 'a'), node('b0', 'b')]);
    try {
      await s.pass(0, ['a0', 'b0']);
      await s.pass(1500, ['a0']); // b0 Unknown, zone b full, a normal
      await s.pass(100, ['a0']);
      assert.deepEqual(s.noExecute(), ['b0']);
      await s.pass(1500, []); // a0 Unknown too: all zones fully disrupted
      assert.equal(s.ready('a0').status, 'Unknown');
      assert.deepEqual(s.noExecute(), [], 'taints lifted in master disruption mode');
      await s.pass(2000, []);
      assert.deepEqual(s.noExecute(), []);
    } finally {
      s.stop();
    }
  });
});

describe('NodeLifecycleController startup grace and events', () => {
  test('a node that never posted Ready gets the startup grace period from its creation, then NodeStatusNeverUpdated', async () => {
    const s = await setup([node('fresh', undefined, null), node('ok', undefined)], { grace: 1000, startupGrace: 5000 });
    try {
      await s.pass(0, ['ok']);
      await s.pass(3000, ['ok']);
      assert.equal(s.ready('fresh'), undefined, 'inside the startup grace period');
      await s.pass(2500, ['ok']);
      const r = s.ready('fresh');
      assert.deepEqual({ status: r.status, reason: r.reason, message: r.message }, { status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    } finally {
      s.stop();
    }
  });

  test('RegisteredNode, NodeNotReady (node and pods) and RemovingNode events', async () => {
    const s = await setup([node('n1', undefined), node('n2', undefined)]);
    try {
      await s.fake.create(GVR.pods, 'default', { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      await s.pass(0, ['n1', 'n2']);
      assert.deepEqual(s.recorder.events.sort(), ['Normal RegisteredNode Node n1 event: Registered Node n1 in Controller', 'Normal RegisteredNode Node n2 event: Registered Node n2 in Controller']);
      s.recorder.events.length = 0;
      await s.pass(1500, ['n2']);
      assert.deepEqual(s.recorder.events, ['Normal NodeNotReady Node n1 status is now: NodeNotReady', 'Warning NodeNotReady Node is not ready']);
      s.recorder.events.length = 0;
      await s.pass(500, ['n2']);
      assert.deepEqual(s.recorder.events, [], 'reported once');
      await s.fake.delete(GVR.nodes, undefined, 'n1');
      await s.pass(500, ['n2']);
      assert.deepEqual(s.recorder.events, ['Normal RemovingNode Node n1 event: Removing Node n1 from Controller']);
    } finally {
      s.stop();
    }
  });
});
