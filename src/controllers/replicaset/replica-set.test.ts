import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { ReplicaSetController } from './replica-set.ts';
import { until, markPodsReady } from '../shared/test-harness.ts';

const rsObj = (name: string, replicas: number, labels = { app: name }): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

async function start(c: FakeClient) {
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const rsc = new ReplicaSetController({ client: c, factory, recorder });
  const ac = new AbortController();
  factory.start(ac.signal);
  const run = rsc.run(2, ac.signal);
  return {
    rsc,
    recorder,
    stop: async () => {
      ac.abort();
      await run;
      await factory.shutdown();
    },
  };
}

const owned = (c: FakeClient, uid: string) =>
  c.peekAll(GVR.pods, 'default').filter((p) => p.metadata?.ownerReferences?.some((r: any) => r.uid === uid && r.controller));

describe('ReplicaSetController', () => {
  test('creates pods up to replicas with ownerRef and generateName, then writes status', async () => {
    const c = new FakeClient();
    const rs = await c.create(GVR.replicasets, 'default', rsObj('web', 3));
    const h = await start(c);
    try {
      await until(() => owned(c, rs.metadata!.uid!).length === 3, '3 pods');
      const p = owned(c, rs.metadata!.uid!)[0];
      assert.equal(p.metadata?.generateName, 'web-');
      assert.deepEqual(p.metadata?.labels, { app: 'web' });
      assert.deepEqual(p.metadata?.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true },
      ]);
      await until(() => (c.peek(GVR.replicasets, 'default', 'web')!.status as any)?.replicas === 3, 'status.replicas=3');
      await markPodsReady(c, 'default');
      await until(() => (c.peek(GVR.replicasets, 'default', 'web')!.status as any)?.availableReplicas === 3, 'available=3');
      const st = c.peek(GVR.replicasets, 'default', 'web')!.status as any;
      assert.deepEqual(st, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
      assert.equal(h.recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: web-')).length, 3);
      // never more than 3 were created
      assert.equal(c.actions.filter((a) => a.verb === 'create' && a.resource === 'pods').length, 3);
    } finally {
      await h.stop();
    }
  });

  test('adopts matching orphans and creates only the difference', async () => {
    const c = new FakeClient();
    for (const n of ['o1', 'o2'])
      await c.create(GVR.pods, 'default', { metadata: { name: n, namespace: 'default', labels: { app: 'web' } }, spec: { containers: [] } });
    await c.create(GVR.pods, 'default', { metadata: { name: 'other', namespace: 'default', labels: { app: 'db' } }, spec: { containers: [] } });
    const rs = await c.create(GVR.replicasets, 'default', rsObj('web', 3));
    c.actions.length = 0;
    const h = await start(c);
    try {
      await until(() => owned(c, rs.metadata!.uid!).length === 3, '3 owned pods');
      const names = owned(c, rs.metadata!.uid!).map((p) => p.metadata!.name!);
      assert.ok(names.includes('o1') && names.includes('o2'));
      assert.equal(c.actions.filter((a) => a.verb === 'create' && a.resource === 'pods').length, 1);
      assert.equal(c.peek(GVR.pods, 'default', 'other')!.metadata?.ownerReferences, undefined);
    } finally {
      await h.stop();
    }
  });

  test('releases a pod whose labels stop matching and replaces it', async () => {
    const c = new FakeClient();
    const rs = await c.create(GVR.replicasets, 'default', rsObj('web', 2));
    const h = await start(c);
    try {
      await until(() => owned(c, rs.metadata!.uid!).length === 2, '2 pods');
      const victim = owned(c, rs.metadata!.uid!)[0];
      await c.patch(GVR.pods, 'default', victim.metadata!.name!, 'application/merge-patch+json', { metadata: { labels: { app: 'debug' } } });
      await until(() => (c.peek(GVR.pods, 'default', victim.metadata!.name!)!.metadata?.ownerReferences ?? []).length === 0, 'release');
      await until(() => owned(c, rs.metadata!.uid!).length === 2, 'replacement');
      assert.equal(c.peekAll(GVR.pods, 'default').length, 3);
    } finally {
      await h.stop();
    }
  });

  test('scale-down deletes unassigned, then pending, then not-ready pods before ready ones', async () => {
    const c = new FakeClient();
    const rs = await c.create(GVR.replicasets, 'default', rsObj('web', 1));
    const ref = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid!, controller: true, blockOwnerDeletion: true }];
    const mk = async (name: string, nodeName: string | undefined, status: object) => {
      const p = await c.create(GVR.pods, 'default', {
        metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: ref },
        spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
      });
      await c.update(GVR.pods, 'default', { ...p, status }, { subresource: 'status' });
    };
    await mk('ready', 'n1', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] });
    await mk('unassigned', undefined, { phase: 'Pending' });
    await mk('pending', 'n1', { phase: 'Pending' });
    await mk('running-notready', 'n1', { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    const h = await start(c);
    try {
      await until(() => c.peekAll(GVR.pods, 'default').length === 1, 'scale down to 1');
      assert.equal(c.peekAll(GVR.pods, 'default')[0].metadata?.name, 'ready');
      assert.equal(h.recorder.events.filter((e) => e.startsWith('Normal SuccessfulDelete')).length, 3);
    } finally {
      await h.stop();
    }
  });

  test('getPodsToDelete order within a single sync: fewer deletions pick the lowest-ranked', async () => {
    const { getPodsToDelete } = await import('../shared/controller-utils.ts');
    const pod = (name: string, nodeName: string | undefined, phase: string, ready: boolean, created: string, restarts = 0): any => ({
      metadata: { name, creationTimestamp: created },
      spec: { nodeName },
      status: {
        phase,
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: created }],
        containerStatuses: [{ restartCount: restarts }],
      },
    });
    const pods = [
      pod('old-ready', 'n1', 'Running', true, '2026-01-01T00:00:00Z'),
      pod('new-ready', 'n2', 'Running', true, '2026-01-01T00:00:00Z', 0),
      pod('restarty', 'n3', 'Running', true, '2026-01-01T00:00:00Z', 5),
      pod('unknown', 'n1', 'Unknown', false, '2026-01-01T00:00:00Z'),
      pod('pending', 'n1', 'Pending', false, '2026-01-01T00:00:00Z'),
    ];
    const now = Date.parse('2026-01-02T00:00:00Z');
    assert.deepEqual(getPodsToDelete(pods, [], 2, now).map((p) => p.metadata!.name), ['pending', 'unknown']);
    assert.deepEqual(getPodsToDelete(pods, [], 3, now).map((p) => p.metadata!.name), ['pending', 'unknown', 'restarty']);
    // Same state otherwise: the pod sharing its node with more related pods goes first.
    const a = pod('a', 'n1', 'Running', true, '2026-01-01T00:00:00Z');
    const b = pod('b', 'n2', 'Running', true, '2026-01-01T00:00:00Z');
    const sib = pod('sibling', 'n1', 'Running', true, '2026-01-01T00:00:00Z');
    assert.deepEqual(getPodsToDelete([b, a], [a, b, sib], 1, now).map((p) => p.metadata!.name), ['a']);
  });

  test('a failing create sets the ReplicaFailure condition and FailedCreate event', async () => {
    const c = new FakeClient();
    c.prependReactor('create', 'pods', () => {
      throw new Error('pods "x" is forbidden: exceeded quota');
    });
    await c.create(GVR.replicasets, 'default', rsObj('web', 2));
    const h = await start(c);
    try {
      await until(() => ((c.peek(GVR.replicasets, 'default', 'web')!.status as any)?.conditions ?? []).length === 1, 'ReplicaFailure');
      const cond = (c.peek(GVR.replicasets, 'default', 'web')!.status as any).conditions[0];
      assert.equal(cond.type, 'ReplicaFailure');
      assert.equal(cond.status, 'True');
      assert.equal(cond.reason, 'FailedCreate');
      assert.ok(h.recorder.events.some((e) => e.startsWith('Warning FailedCreate Error creating: ')));
    } finally {
      await h.stop();
    }
  });
});
