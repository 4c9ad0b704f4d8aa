import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from '../../machinery/testdata.ts';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { until } from '../shared/test-harness.ts';

const cases = new Map(loadCases('gc-ownerrefs.json').cases.map((c) => [c.id as string, c]));

async function start(c: FakeClient) {
  const factory = new SharedInformerFactory(c);
  const gc = new GarbageCollector({ client: c, factory });
  const ac = new AbortController();
  factory.start(ac.signal);
  const run = gc.run(2, ac.signal);
  return {
    stop: async () => {
      ac.abort();
      await run;
      await factory.shutdown();
    },
  };
}

const ref = (o: KubeObject, block = true) => ({
  apiVersion: o.apiVersion!,
  kind: o.kind!,
  name: o.metadata!.name!,
  uid: o.metadata!.uid!,
  controller: true,
  blockOwnerDeletion: block,
});

/** Deployment → ReplicaSet → 2 pods. */
async function tree(c: FakeClient) {
  const d = await c.create(GVR.deployments, 'default', { metadata: { name: 'nginx' }, spec: {} });
  const rs = await c.create(GVR.replicasets, 'default', { metadata: { name: 'nginx-abc', ownerReferences: [ref(d)] }, spec: {} });
  for (const n of ['nginx-abc-x', 'nginx-abc-y']) await c.create(GVR.pods, 'default', { metadata: { name: n, ownerReferences: [ref(rs)] }, spec: {} });
  return { d, rs };
}

describe('GarbageCollector (gc-ownerrefs.json)', () => {
  test(`gc-009 ${cases.get('gc-009')!.name}: owner gone at once, dependents deleted asynchronously`, async () => {
    const c = new FakeClient();
    await tree(c);
    const h = await start(c);
    try {
      await c.delete(GVR.deployments, 'default', 'nginx', { propagationPolicy: 'Background' });
      assert.equal(c.peek(GVR.deployments, 'default', 'nginx'), undefined, 'ownerGoneImmediately');
      await until(() => c.peekAll(GVR.replicasets).length === 0 && c.peekAll(GVR.pods).length === 0, 'cascade');
    } finally {
      await h.stop();
    }
  });

  test(`gc-011 ${cases.get('gc-011')!.name}: orphan finalizer, references removed, then owner deleted`, async () => {
    const c = new FakeClient();
    const { rs } = await tree(c);
    const h = await start(c);
    try {
      const pending = await c.delete(GVR.replicasets, 'default', rs.metadata!.name!, { propagationPolicy: 'Orphan' });
      assert.ok(pending.metadata?.deletionTimestamp);
      assert.deepEqual(pending.metadata?.finalizers, ['orphan']);
      await until(() => c.peek(GVR.replicasets, 'default', rs.metadata!.name!) === undefined, 'owner deleted after references removed');
      const pods = c.peekAll(GVR.pods);
      assert.equal(pods.length, 2, 'dependents kept');
      for (const p of pods) assert.deepEqual(p.metadata?.ownerReferences ?? [], []);
    } finally {
      await h.stop();
    }
  });

  test(`gc-012 ${cases.get('gc-012')!.name}`, async () => {
    const c = new FakeClient();
    await c.create(GVR.replicasets, 'default', { metadata: { name: 'frontend' }, spec: {} }); // live owner with a new uid
    await c.create(GVR.pods, 'default', {
      metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'frontend', uid: 'old-uid' }] },
      spec: {},
    });
    const h = await start(c);
    try {
      await until(() => c.peek(GVR.pods, 'default', 'dep') === undefined, 'dependent collected');
      assert.ok(c.peek(GVR.replicasets, 'default', 'frontend'));
    } finally {
      await h.stop();
    }
  });

  test(`gc-013 ${cases.get('gc-013')!.name}`, async () => {
    const c = new FakeClient();
    const a = await c.create(GVR.configmaps, 'default', { metadata: { name: 'a' } });
    const b = await c.create(GVR.configmaps, 'default', { metadata: { name: 'b' } });
    await c.create(GVR.pods, 'default', {
      metadata: { name: 'dep', ownerReferences: [{ ...ref(a, false), controller: false }, { ...ref(b, false), controller: false }] },
      spec: {},
    });
    const h = await start(c);
    try {
      await c.delete(GVR.configmaps, 'default', 'a');
      await until(() => (c.peek(GVR.pods, 'default', 'dep')?.metadata?.ownerReferences ?? []).length === 1, 'dangling ref removed');
      assert.deepEqual(c.peek(GVR.pods, 'default', 'dep')!.metadata!.ownerReferences!.map((r: { name: string }) => r.name), ['b']);
    } finally {
      await h.stop();
    }
  });

  test(`gc-014 ${cases.get('gc-014')!.name}: kept while the cluster-scoped owner lives`, async () => {
    const c = new FakeClient();
    const node = await c.create(GVR.nodes, undefined, { metadata: { name: 'n1' } });
    await c.create(GVR.leases, 'kube-node-lease', { metadata: { name: 'n1', ownerReferences: [{ ...ref(node, false), controller: false }] } });
    const h = await start(c);
    try {
      // Give the GC a chance to (wrongly) act, then check the lease is still there.
      await until(() => c.actions.some((x) => x.verb === 'get' && x.resource === 'nodes'), 'owner looked up');
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(c.peek(GVR.leases, 'kube-node-lease', 'n1'));
      await c.delete(GVR.nodes, undefined, 'n1');
      await until(() => c.peek(GVR.leases, 'kube-node-lease', 'n1') === undefined, 'lease collected after node deletion');
    } finally {
      await h.stop();
    }
  });

  test('Foreground: dependents deleted first, then the owner', async () => {
    const c = new FakeClient();
    await tree(c);
    const h = await start(c);
    // Record what is left at the moment the owner disappears.
    let leftWhenOwnerGone = -1;
    const wac = new AbortController();
    const w = c.watch(GVR.deployments, 'default', { resourceVersion: c.resourceVersion }, (e) => {
      if (e.type === 'DELETED') leftWhenOwnerGone = c.peekAll(GVR.replicasets).length + c.peekAll(GVR.pods).length;
    }, wac.signal);
    try {
      const pending = await c.delete(GVR.deployments, 'default', 'nginx', { propagationPolicy: 'Foreground' });
      assert.deepEqual(pending.metadata?.finalizers, ['foregroundDeletion']);
      await until(() => c.peek(GVR.deployments, 'default', 'nginx') === undefined, 'owner deleted');
      assert.equal(leftWhenOwnerGone, 0, 'no dependents left when the owner went');
      // The RS was itself deleted in the foreground (its pods went before it).
      const rsDeletes = c.actions.filter((a) => a.verb === 'delete' && a.resource === 'replicasets');
      assert.equal((rsDeletes[0].options as { propagationPolicy: string }).propagationPolicy, 'Foreground');
    } finally {
      wac.abort();
      await w;
      await h.stop();
    }
  });
});
