import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../client/fake-client.ts';
import { GVR, type KubeObject } from '../client/interface.ts';
import { Scheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing/wrappers.ts';

async function waitFor<T>(fn: () => T | undefined | false, what: string, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const obj = (o: unknown) => o as KubeObject;

function setup() {
  const client = new FakeClient();
  const nodes = [
    makeNode('cp', { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
    makeNode('w1', { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } }),
    makeNode('w2', { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } }),
  ];
  return { client, nodes };
}

test('scheduler: binds pods to feasible nodes, accounts assumed pods, skips other schedulers, emits Scheduled events', async () => {
  const { client, nodes } = setup();
  for (const n of nodes) await client.create(GVR.nodes, undefined, obj(n));
  const ac = new AbortController();
  const sched = new Scheduler({ client, initialBackoffMs: 20, maxBackoffMs: 100, flushIntervalMs: 10 });
  const run = sched.start(ac.signal);
  try {
    // Four pods of 1.5 cpu: each worker fits exactly one; the control plane is tainted.
    for (let i = 0; i < 4; i++) await client.create(GVR.pods, 'default', obj(makePod(`p${i}`, { containers: [{ cpu: '1500m' }] })));
    await client.create(GVR.pods, 'default', obj(makePod('other', { schedulerName: 'my-scheduler' })));
    await client.create(GVR.pods, 'default', obj(makePod('tolerant', {
      containers: [{ cpu: '3' }],
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    })));
    const bound = await waitFor(() => {
      const pods = client.peekAll<Pod & KubeObject>(GVR.pods, 'default').filter((p) => p.spec?.nodeName);
      return pods.length >= 3 ? pods : undefined;
    }, 'three bound pods');
    await sched.waitForBindings();
    const byName = new Map(client.peekAll<Pod & KubeObject>(GVR.pods, 'default').map((p) => [p.metadata!.name!, p.spec?.nodeName]));
    assert.equal(byName.get('tolerant'), 'cp');
    const workers = ['p0', 'p1', 'p2', 'p3'].map((n) => byName.get(n)).filter(Boolean).sort();
    assert.deepEqual(workers, ['w1', 'w2'], 'one 1.5-cpu pod per worker: assumed pods are accounted');
    assert.equal(byName.get('other'), undefined, 'pods of another scheduler are left alone');
    assert.equal(bound.length >= 3, true);
    // Binding requests have upstream's shape.
    const binding = client.actions.find((a) => a.subresource === 'binding');
    assert.deepEqual((binding?.object as { target?: unknown })?.target, { apiVersion: 'v1', kind: 'Node', name: byName.get(binding!.name!) });
    const events = await waitFor(() => {
      const evs = client.peekAll<Event & KubeObject>(GVR.events, 'default').filter((e) => e.reason === 'Scheduled');
      return evs.length >= 3 ? evs : undefined;
    }, 'Scheduled events');
    const tolerantEvent = events.find((e) => e.involvedObject.name === 'tolerant');
    assert.equal(tolerantEvent?.message, 'Successfully assigned default/tolerant to cp');
    assert.equal(tolerantEvent?.type, 'Normal');
    assert.equal(tolerantEvent?.source?.component, 'default-scheduler');
  } finally {
    ac.abort();
    await run;
  }
});

test('scheduler: an unschedulable pod gets PodScheduled=False + FailedScheduling, then is scheduled when a node is added', async () => {
  const { client, nodes } = setup();
  for (const n of nodes) await client.create(GVR.nodes, undefined, obj(n));
  const ac = new AbortController();
  const sched = new Scheduler({ client, initialBackoffMs: 20, maxBackoffMs: 100, flushIntervalMs: 10 });
  const run = sched.start(ac.signal);
  try {
    await client.create(GVR.pods, 'default', obj(makePod('big', { containers: [{ cpu: '3', memory: '1Gi' }] })));
    const cond = await waitFor(() => {
      const p = client.peek<Pod & KubeObject>(GVR.pods, 'default', 'big');
      return p?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    }, 'PodScheduled condition');
    const expected =
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, expected);
    const ev = await waitFor(
      () => client.peekAll<Event & KubeObject>(GVR.events, 'default').find((e) => e.reason === 'FailedScheduling'),
      'FailedScheduling event',
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, expected);
    assert.equal(ev.involvedObject.name, 'big');
    assert.equal(ev.involvedObject.kind, 'Pod');
    assert.equal(sched.queue.stats().unschedulable, 1);
    // A bigger node arrives: the pod is retried and bound there.
    await client.create(GVR.nodes, undefined, obj(makeNode('w3', { allocatable: { cpu: '8', memory: '16Gi', pods: '110' } })));
    const nodeName = await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'big')?.spec?.nodeName, 'binding to w3');
    assert.equal(nodeName, 'w3');
    await waitFor(
      () => client.peekAll<Event & KubeObject>(GVR.events, 'default').find((e) => e.reason === 'Scheduled' && e.message === 'Successfully assigned default/big to w3'),
      'Scheduled event',
    );
  } finally {
    ac.abort();
    await run;
  }
});

test('scheduler: deleting an assigned pod frees room for a waiting pod', async () => {
  const client = new FakeClient();
  await client.create(GVR.nodes, undefined, obj(makeNode('only', { allocatable: { cpu: '1', memory: '4Gi', pods: '110' } })));
  await client.create(GVR.pods, 'default', obj(makePod('running', { nodeName: 'only', containers: [{ cpu: '800m' }], phase: 'Running' })));
  const ac = new AbortController();
  const sched = new Scheduler({ client, initialBackoffMs: 20, maxBackoffMs: 100, flushIntervalMs: 10 });
  const run = sched.start(ac.signal);
  try {
    await client.create(GVR.pods, 'default', obj(makePod('waiting', { containers: [{ cpu: '500m' }] })));
    const cond = await waitFor(
      () => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'waiting')?.status?.conditions?.find((c) => c.type === 'PodScheduled'),
      'condition',
    );
    assert.equal(cond.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    await client.delete(GVR.pods, 'default', 'running');
    const nodeName = await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'waiting')?.spec?.nodeName, 'binding');
    assert.equal(nodeName, 'only');
  } finally {
    ac.abort();
    await run;
  }
});

test('scheduler: a failed binding is retried', async () => {
  const client = new FakeClient();
  await client.create(GVR.nodes, undefined, obj(makeNode('n1')));
  let failures = 1;
  client.prependReactor('create', 'pods', (action) => {
    if (action.subresource === 'binding' && failures > 0) {
      failures--;
      throw new Error('connection reset');
    }
    return undefined;
  });
  const ac = new AbortController();
  const sched = new Scheduler({ client, initialBackoffMs: 20, maxBackoffMs: 100, flushIntervalMs: 10 });
  const run = sched.start(ac.signal);
  try {
    await client.create(GVR.pods, 'default', obj(makePod('p')));
    const nodeName = await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'p')?.spec?.nodeName, 'binding');
    assert.equal(nodeName, 'n1');
    assert.equal(client.actions.filter((a) => a.subresource === 'binding').length, 2);
  } finally {
    ac.abort();
    await run;
  }
});

test('scheduler: node status-only updates do not retry unschedulable pods; a taint removal does', async () => {
  const client = new FakeClient();
  const tainted = makeNode('n1', { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] });
  await client.create(GVR.nodes, undefined, obj(tainted));
  const ac = new AbortController();
  const sched = new Scheduler({ client, initialBackoffMs: 20, maxBackoffMs: 100, flushIntervalMs: 10 });
  const run = sched.start(ac.signal);
  try {
    await client.create(GVR.pods, 'default', obj(makePod('p')));
    await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'p')?.status?.conditions?.length, 'condition');
    await waitFor(() => sched.queue.stats().unschedulable === 1, 'parked');
    const attempts = () => client.actions.filter((a) => a.verb === 'patch' && a.subresource === 'status').length;
    const failuresBefore = client.peekAll<Event & KubeObject>(GVR.events, 'default').find((e) => e.reason === 'FailedScheduling')?.count;
    // A heartbeat-like status update.
    const n = client.peek<KubeObject>(GVR.nodes, undefined, 'n1')!;
    (n.status as Record<string, unknown>).conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:00:00Z' }];
    await client.update(GVR.nodes, undefined, n, { subresource: 'status' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sched.queue.stats().unschedulable, 1, 'still parked');
    assert.equal(client.peekAll<Event & KubeObject>(GVR.events, 'default').find((e) => e.reason === 'FailedScheduling')?.count, failuresBefore);
    assert.ok(attempts() <= 1);
    // Removing the taint makes it schedulable.
    const n2 = client.peek<KubeObject>(GVR.nodes, undefined, 'n1')!;
    (n2.spec as Record<string, unknown>).taints = [];
    await client.update(GVR.nodes, undefined, n2);
    const nodeName = await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'p')?.spec?.nodeName, 'binding');
    assert.equal(nodeName, 'n1');
  } finally {
    ac.abort();
    await run;
  }
});

test('scheduler: required pod anti-affinity spreads replicas; affinity waits for its peer to be assigned', async () => {
  const client = new FakeClient();
  await client.create(GVR.nodes, undefined, obj(makeNode('n1')));
  const ac = new AbortController();
  const sched = new Scheduler({ client, initialBackoffMs: 20, maxBackoffMs: 100, flushIntervalMs: 10 });
  const run = sched.start(ac.signal);
  const anti = {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
    },
  };
  const labelled = (name: string, labels: Record<string, string>, o: Parameters<typeof makePod>[1] = {}) => {
    const p = makePod(name, o);
    p.metadata!.labels = labels;
    return obj(p);
  };
  try {
    await client.create(GVR.pods, 'default', labelled('web-1', { app: 'web' }, { affinity: anti }));
    await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'web-1')?.spec?.nodeName, 'web-1 bound');
    await client.create(GVR.pods, 'default', labelled('web-2', { app: 'web' }, { affinity: anti }));
    const cond = await waitFor(
      () => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'web-2')?.status?.conditions?.find((c) => c.type === 'PodScheduled'),
      'web-2 condition',
    );
    assert.equal(
      cond.message,
      "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
    );
    await client.create(GVR.nodes, undefined, obj(makeNode('n2')));
    assert.equal(await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'web-2')?.spec?.nodeName, 'web-2 bound'), 'n2');

    // An app pod requiring a db pod in the same zone-less hostname domain waits for it.
    const aff = {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] },
    };
    await client.create(GVR.pods, 'default', labelled('app', { app: 'app' }, { affinity: aff }));
    const c2 = await waitFor(
      () => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'app')?.status?.conditions?.find((c) => c.type === 'PodScheduled'),
      'app condition',
    );
    assert.equal(c2.message, "0/2 nodes are available: 2 node(s) didn't match pod affinity rules. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
    await client.create(GVR.pods, 'default', labelled('db', { app: 'db' }));
    const dbNode = await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'db')?.spec?.nodeName, 'db bound');
    assert.equal(await waitFor(() => client.peek<Pod & KubeObject>(GVR.pods, 'default', 'app')?.spec?.nodeName, 'app bound'), dbNode);
  } finally {
    ac.abort();
    await run;
  }
});
