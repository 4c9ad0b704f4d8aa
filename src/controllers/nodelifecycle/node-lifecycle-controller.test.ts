/**
 * Node lifecycle + taint eviction with a FakeClient and a FakeClock (after
 * node_lifecycle_controller_test.go TestMonitorNodeHealthUpdateStatus / TestMonitorNodeHealthMarkPodsNotReady
 * and taint_eviction_test.go TestCreatePod / TestUpdateNodeWithMultipleTaints):
 * the grace period turns conditions Unknown and adds the unreachable taints, Ready=False adds not-ready,
 * recovery removes them, pods are marked not ready, untolerating pods are evicted at once and
 * tolerating ones after tolerationSeconds, and all-nodes-down (full disruption) evicts nothing.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeClock } from '../../client/workqueue.ts';
import { FakeRecorder } from '../../client/record.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { until } from '../shared/test-harness.ts';
import { NodeLifecycleController, TaintNodeNotReady, TaintNodeUnreachable, TaintNodeUnschedulable, desiredTaintKeys, reconcileTaints } from './node-lifecycle-controller.ts';
import { TaintEvictionController, minTolerationSeconds } from './taint-eviction-controller.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function nodeObj(name: string, ready = 'True', heartbeatMs = T0): KubeObject {
  const hb = iso(heartbeatMs);
  return {
    metadata: { name },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: hb, lastTransitionTime: hb, reason: 'KubeletHasSufficientMemory' },
        { type: 'DiskPressure', status: 'False', lastHeartbeatTime: hb, lastTransitionTime: hb },
        { type: 'PIDPressure', status: 'False', lastHeartbeatTime: hb, lastTransitionTime: hb },
        { type: 'Ready', status: ready, lastHeartbeatTime: hb, lastTransitionTime: hb, reason: 'KubeletReady' },
      ],
    },
  };
}
const lease = (name: string, renew: number): KubeObject => ({ metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, renewTime: new Date(renew).toISOString(), leaseDurationSeconds: 40 } });
const pod = (name: string, nodeName: string, tolerations: unknown[] = []): KubeObject => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName, containers: [{ name: 'c', image: 'x' }], tolerations },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

async function setup(seed: [typeof GVR.nodes, KubeObject][], grace = 40_000) {
  const fake = new FakeClient(seed);
  const clock = new FakeClock(T0);
  const factory = new SharedInformerFactory(fake);
  const ac = new AbortController();
  const nlc = new NodeLifecycleController({ client: fake, factory, clock, gracePeriodMs: grace });
  const recorder = new FakeRecorder();
  const tec = new TaintEvictionController({ client: fake, factory, recorder, clock });
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  void tec.run(1, ac.signal);
  const node = (n: string) => fake.peekAll<any>(GVR.nodes).find((x) => x.metadata.name === n);
  const cond = (n: string, t = 'Ready') => node(n)?.status.conditions.find((c: any) => c.type === t);
  const taints = (n: string) => (node(n)?.spec?.taints ?? []).map((t: any) => `${t.key}:${t.effect}`).sort();
  /** Resolves once the informers hold the fake's latest nodes, leases and pods. */
  const synced = () =>
    until(() => {
      const same = (inf: { lister: { get(ns: string | undefined, n: string): KubeObject | undefined } }, objs: KubeObject[]) =>
        objs.every((o) => inf.lister.get(o.metadata?.namespace, o.metadata!.name!)?.metadata?.resourceVersion === o.metadata?.resourceVersion);
      return same(nlc.nodeInformer, fake.peekAll(GVR.nodes)) && same(nlc.leaseInformer, fake.peekAll(GVR.leases, 'kube-node-lease')) && same(nlc.podInformer, fake.peekAll(GVR.pods));
    }, 'informers caught up');
  /** Runs one pass once the informers show the latest writes. */
  const pass = async () => {
    await synced();
    await nlc.monitorNodeHealth();
    await synced();
  };
  return { fake, clock, nlc, tec, recorder, ac, node, cond, taints, pass };
}

describe('taint helpers', () => {
  test('desiredTaintKeys follows Ready, pressure conditions and spec.unschedulable', () => {
    const n = nodeObj('a', 'Unknown') as any;
    assert.deepEqual(desiredTaintKeys(n), { noSchedule: [TaintNodeUnreachable], noExecute: [TaintNodeUnreachable] });
    n.status.conditions[3].status = 'False';
    n.spec = { unschedulable: true };
    assert.deepEqual(desiredTaintKeys(n), { noSchedule: [TaintNodeNotReady, TaintNodeUnschedulable], noExecute: [TaintNodeNotReady] });
    assert.deepEqual(desiredTaintKeys(n, false).noExecute, []);
  });
  test('reconcileTaints keeps foreign taints and timeAdded, reports no change', () => {
    const cur = [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }, { key: TaintNodeUnreachable, effect: 'NoExecute', timeAdded: '2020-01-01T00:00:00Z' }];
    assert.equal(reconcileTaints(cur as any, { noSchedule: [], noExecute: [TaintNodeUnreachable] }, T0), undefined);
    assert.deepEqual(reconcileTaints(cur as any, { noSchedule: [], noExecute: [] }, T0), [cur[0]]);
  });
  test('minTolerationSeconds: untolerated, min over matching, forever', () => {
    const t = [{ key: TaintNodeUnreachable, effect: 'NoExecute' }];
    assert.deepEqual(minTolerationSeconds(t, []), { tolerated: false, seconds: 0 });
    assert.deepEqual(minTolerationSeconds(t, [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { operator: 'Exists', tolerationSeconds: 20 }]), { tolerated: true, seconds: 20 });
    assert.deepEqual(minTolerationSeconds(t, [{ operator: 'Exists' }]), { tolerated: true, seconds: Infinity });
  });
});

describe('NodeLifecycleController', () => {
  test('grace period → Unknown + unreachable taints + pods not ready; lease renewal → recovery removes taints', async () => {
    const s = await setup([
      [GVR.nodes, nodeObj('n1')],
      [GVR.nodes, nodeObj('n2')],
      [GVR.leases, lease('n1', T0)],
      [GVR.leases, lease('n2', T0)],
      [GVR.pods, pod('p1', 'n1', [{ operator: 'Exists' }])],
    ] as any);
    try {
      await s.pass();
      assert.equal(s.cond('n1').status, 'True');
      assert.deepEqual(s.taints('n1'), []);
      // n2 keeps renewing its lease; n1 stops.
      s.clock.step(30_000);
      await s.fake.update(GVR.leases, 'kube-node-lease', { ...s.fake.peekAll<any>(GVR.leases, 'kube-node-lease').find((l) => l.metadata.name === 'n2'), spec: { holderIdentity: 'n2', renewTime: new Date(T0 + 30_000).toISOString() } });
      await s.pass();
      assert.equal(s.cond('n1').status, 'True', 'still inside the grace period');
      s.clock.step(11_000);
      await s.pass();
      for (const t of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
        const c = s.cond('n1', t);
        assert.equal(c.status, 'Unknown', t);
        assert.equal(c.reason, 'NodeStatusUnknown');
        assert.equal(c.message, 'Kubelet stopped posting node status.');
        assert.equal(c.lastHeartbeatTime, iso(T0), 'heartbeat kept');
      }
      await s.pass();
      assert.deepEqual(s.taints('n1'), [`${TaintNodeUnreachable}:NoExecute`, `${TaintNodeUnreachable}:NoSchedule`]);
      assert.ok(s.node('n1').spec.taints.find((t: any) => t.effect === 'NoExecute').timeAdded);
      assert.equal(s.cond('n2').status, 'True');
      assert.deepEqual(s.taints('n2'), []);
      const p1 = s.fake.peekAll<any>(GVR.pods, 'default').find((p) => p.metadata.name === 'p1');
      assert.equal(p1.status.conditions.find((c: any) => c.type === 'Ready').status, 'False', 'MarkPodsNotReady');

      // The kubelet comes back: lease renewed and Ready posted again.
      s.clock.step(5000);
      const n1 = s.node('n1');
      await s.fake.update(GVR.nodes, undefined, { ...n1, status: nodeObj('n1', 'True', s.clock.now()).status }, { subresource: 'status' });
      await s.pass();
      assert.equal(s.cond('n1').status, 'True');
      assert.deepEqual(s.taints('n1'), []);
    } finally {
      s.ac.abort();
    }
  });

  test('Ready=False → not-ready taints', async () => {
    const s = await setup([[GVR.nodes, nodeObj('n1', 'False')], [GVR.nodes, nodeObj('n2')]] as any);
    try {
      await s.pass();
      assert.deepEqual(s.taints('n1'), [`${TaintNodeNotReady}:NoExecute`, `${TaintNodeNotReady}:NoSchedule`]);
      assert.equal(s.cond('n1').status, 'False');
    } finally {
      s.ac.abort();
    }
  });

  test('full disruption (every node not Ready): no NoExecute taint', async () => {
    const s = await setup([[GVR.nodes, nodeObj('n1')]] as any, 1000);
    try {
      await s.pass();
      s.clock.step(2000);
      await s.pass();
      await s.pass();
      assert.equal(s.cond('n1').status, 'Unknown');
      assert.deepEqual(s.taints('n1'), [`${TaintNodeUnreachable}:NoSchedule`]);
    } finally {
      s.ac.abort();
    }
  });
});

describe('TaintEvictionController', () => {
  test('untolerating pod deleted at once; tolerationSeconds pod after the delay; forever-tolerating pod kept', async () => {
    const s = await setup([
      [GVR.nodes, { ...nodeObj('n1', 'Unknown'), spec: { taints: [{ key: TaintNodeUnreachable, effect: 'NoExecute', timeAdded: iso(T0) }] } }],
      [GVR.pods, pod('none', 'n1')],
      [GVR.pods, pod('short', 'n1', [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }])],
      [GVR.pods, pod('forever', 'n1', [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute' }])],
      [GVR.pods, pod('elsewhere', 'n2')],
    ] as any);
    const names = () => s.fake.peekAll<any>(GVR.pods, 'default').map((p) => p.metadata.name).sort();
    try {
      await until(() => !names().includes('none'), 'immediate eviction');
      assert.deepEqual(names(), ['elsewhere', 'forever', 'short']);
      await until(() => s.tec.scheduledEvictions().get('default/short') === T0, 'short scheduled');
      assert.ok(s.recorder.events.includes('Normal TaintManagerEviction Marking for deletion Pod default/none'));
      const statusWrite = s.fake.actions.find((a) => a.verb === 'update' && a.subresource === 'status' && a.name === 'none');
      const dt = (statusWrite?.object as any)?.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
      assert.deepEqual({ status: dt?.status, reason: dt?.reason, message: dt?.message }, { status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
      const del = s.fake.actions.find((a) => a.verb === 'delete' && a.name === 'none');
      assert.equal((del?.options as any)?.gracePeriodSeconds, undefined, "the pod's own grace period");
      s.clock.step(1500);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(names().includes('short'), 'not before tolerationSeconds');
      s.clock.step(600);
      await until(() => !names().includes('short'), 'eviction after tolerationSeconds');
      assert.ok(s.recorder.events.includes('Normal TaintManagerEviction Marking for deletion Pod default/short'));
      assert.deepEqual(names(), ['elsewhere', 'forever']);
    } finally {
      s.ac.abort();
    }
  });

  test('taint removed before tolerationSeconds: deletion cancelled', async () => {
    const tainted = { ...nodeObj('n1', 'Unknown'), spec: { taints: [{ key: TaintNodeUnreachable, effect: 'NoExecute', timeAdded: iso(T0) }] } };
    const s = await setup([[GVR.nodes, tainted], [GVR.pods, pod('short', 'n1', [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }])]] as any);
    try {
      await until(() => s.tec.scheduledEvictions().has('default/short'), 'short scheduled');
      await s.fake.update(GVR.nodes, undefined, { ...s.node('n1'), spec: {} });
      await until(() => s.recorder.events.includes('Normal TaintManagerEviction Cancelling deletion of Pod default/short'), 'cancellation');
      s.clock.step(6000);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(s.fake.peekAll<any>(GVR.pods, 'default').length, 1);
    } finally {
      s.ac.abort();
    }
  });
});
