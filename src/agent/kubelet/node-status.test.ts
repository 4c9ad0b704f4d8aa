import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import type { Node } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { KUBELET_VERSION, NodeStatusManager, goArch } from './node-status.ts';
import { microTime, NodeLeaseController, NODE_LEASE_NAMESPACE } from './node-lease.ts';
import { FakeImages, FakeRuntime } from './testing/fake-runtime.ts';

describe('node status', () => {
  test('registerWithAPIServer creates the Node with labels, capacity, addresses, nodeInfo and conditions', async () => {
    const fake = new FakeClient();
    let now = Date.parse('2026-11-30T03:00:00Z');
    const images = new FakeImages();
    await images.pullImage('web:1');
    const m = new NodeStatusManager({ client: fake, nodeName: 'node-a', runtime: new FakeRuntime(), images, rootDir: os.tmpdir(), podCIDR: '10.88.0.0/24', nodeIP: '192.0.2.10', nodeLabels: { zone: 'a' }, now: () => now });
    await m.registerWithAPIServer();
    const node = fake.peek(GVR.nodes, undefined, 'node-a') as Node;
    assert.deepEqual(node.metadata?.labels, {
      'beta.kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch(),
      'kubernetes.io/hostname': 'node-a',
      'kubernetes.io/os': 'linux',
      zone: 'a',
    });
    assert.equal(node.spec?.podCIDR, '10.88.0.0/24');
    assert.deepEqual(node.spec?.podCIDRs, ['10.88.0.0/24']);
    const st = node.status!;
    assert.equal(st.capacity?.cpu, String(os.cpus().length));
    assert.equal(st.capacity?.memory, `${Math.floor(os.totalmem() / 1024)}Ki`);
    assert.equal(st.capacity?.pods, '110');
    assert.match(st.capacity!['ephemeral-storage'], /^\d+Ki$/);
    assert.ok(st.allocatable?.memory);
    assert.deepEqual(st.addresses, [
      { type: 'InternalIP', address: '192.0.2.10' },
      { type: 'Hostname', address: 'node-a' },
    ]);
    assert.equal(st.nodeInfo?.kubeletVersion, KUBELET_VERSION);
    assert.equal(st.nodeInfo?.containerRuntimeVersion, 'runc://1.1.5');
    assert.equal(st.nodeInfo?.operatingSystem, 'linux');
    assert.equal(st.nodeInfo?.architecture, goArch());
    assert.equal(st.nodeInfo?.kernelVersion, os.release());
    const ready = st.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual(
      { status: ready.status, reason: ready.reason, message: ready.message },
      { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    );
    for (const [type, reason] of [
      ['MemoryPressure', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'KubeletHasSufficientPID'],
    ]) {
      const c = st.conditions!.find((x) => x.type === type)!;
      assert.equal(c.status, 'False');
      assert.equal(c.reason, reason);
    }
    assert.deepEqual(st.images, [{ names: ['web:1'], sizeBytes: 1234 }]);
    // A later update refreshes heartbeats but keeps transition times.
    now += 10_000;
    await m.syncNodeStatus();
    const again = (fake.peek(GVR.nodes, undefined, 'node-a') as Node).status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(again.lastHeartbeatTime, '2026-11-30T03:00:10Z');
    assert.equal(again.lastTransitionTime, '2026-11-30T03:00:00Z');
    assert.ok(fake.actions.filter((a) => a.verb === 'update' && a.resource === 'nodes').every((a) => a.subresource === 'status'));
  });

  test('an existing Node keeps its labels and gets ours merged in', async () => {
    const fake = new FakeClient([[GVR.nodes, { metadata: { name: 'node-a', labels: { keep: 'me' } }, spec: {} }]]);
    const m = new NodeStatusManager({ client: fake, nodeName: 'node-a', runtime: new FakeRuntime(), rootDir: os.tmpdir(), nodeIP: '192.0.2.10' });
    await m.registerWithAPIServer();
    const node = fake.peek(GVR.nodes, undefined, 'node-a') as Node;
    assert.equal(node.metadata?.labels?.keep, 'me');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'node-a');
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });
});

describe('node lease', () => {
  test('creates the Lease owned by the Node and renews it', async () => {
    const fake = new FakeClient([[GVR.nodes, { metadata: { name: 'node-a' } }]]);
    const nodeUid = (fake.peek(GVR.nodes, undefined, 'node-a') as Node).metadata!.uid;
    let now = Date.parse('2026-11-30T03:00:00.123Z');
    const lc = new NodeLeaseController({ client: fake, nodeName: 'node-a', now: () => now });
    await lc.sync();
    let lease = fake.peek(GVR.leases, NODE_LEASE_NAMESPACE, 'node-a') as KubeObject & { spec: Record<string, unknown> };
    assert.deepEqual(lease.spec, { holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2026-11-30T03:00:00.123000Z' });
    assert.deepEqual(lease.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: nodeUid }]);
    now += 10_000;
    await lc.sync();
    lease = fake.peek(GVR.leases, NODE_LEASE_NAMESPACE, 'node-a') as typeof lease;
    assert.equal(lease.spec.renewTime, '2026-11-30T03:00:10.123000Z');
    // Someone else's write in between: the conflict is retried.
    await fake.update(GVR.leases, NODE_LEASE_NAMESPACE, { ...lease, metadata: { ...lease.metadata, labels: { x: 'y' } } });
    now += 10_000;
    await lc.sync();
    lease = fake.peek(GVR.leases, NODE_LEASE_NAMESPACE, 'node-a') as typeof lease;
    assert.equal(lease.spec.renewTime, microTime(now));
    assert.equal(lease.metadata?.labels?.x, 'y');
  });

  test('run renews periodically until aborted', async () => {
    const fake = new FakeClient([[GVR.nodes, { metadata: { name: 'node-a' } }]]);
    const lc = new NodeLeaseController({ client: fake, nodeName: 'node-a', renewIntervalMs: 20 });
    const ac = new AbortController();
    const done = lc.run(ac.signal);
    for (let i = 0; i < 500; i++) {
      if (fake.actions.filter((a) => a.verb === 'update' && a.resource === 'leases').length >= 3) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort();
    await done;
    assert.ok(fake.actions.filter((a) => a.verb === 'update' && a.resource === 'leases').length >= 3);
  });
});
