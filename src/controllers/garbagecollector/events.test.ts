/**
 * Garbage collector Events and invalid-namespace owner references, after upstream graph_builder.go
 * addDependentToOwners/reportInvalidNamespaceOwnerRef and garbagecollector.go
 * (namespacedOwnerOfClusterScopedObjectErr).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { until } from '../shared/test-harness.ts';

async function start(c: FakeClient) {
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const gc = new GarbageCollector({ client: c, factory, recorder });
  const ac = new AbortController();
  factory.start(ac.signal);
  const run = gc.run(1, ac.signal);
  return { recorder, stop: async () => (ac.abort(), await run, await factory.shutdown()) };
}

const ownerRef = (o: KubeObject) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.metadata!.name!, uid: o.metadata!.uid! });

test('a dependent referencing an owner in another namespace: OwnerRefInvalidNamespace, and it is collected', async () => {
  const c = new FakeClient();
  const rs: KubeObject = await c.create<KubeObject>(GVR.replicasets, 'default', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: {} });
  const h = await start(c);
  try {
    await c.create(GVR.pods, 'other', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'other', ownerReferences: [ownerRef(rs)] }, spec: {} });
    await until(() => c.peek(GVR.pods, 'other', 'p') === undefined, 'dependent collected (owner absent in its namespace)');
    assert.deepEqual(h.recorder.events, [`Warning OwnerRefInvalidNamespace ownerRef [apps/v1/ReplicaSet, namespace: other, name: web, uid: ${rs.metadata!.uid}] does not exist in namespace "other"`]);
  } finally {
    await h.stop();
  }
});

test('a cluster-scoped dependent with a namespaced owner is reported and left alone', async () => {
  const c = new FakeClient();
  const rs: KubeObject = await c.create<KubeObject>(GVR.replicasets, 'default', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: {} });
  const h = await start(c);
  try {
    await c.create(GVR.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', ownerReferences: [ownerRef(rs)] } });
    await until(() => h.recorder.events.length === 1, 'event');
    assert.equal(h.recorder.events[0], `Warning OwnerRefInvalidNamespace ownerRef [apps/v1/ReplicaSet, namespace: , name: web, uid: ${rs.metadata!.uid}] does not exist in namespace ""`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(c.peek(GVR.nodes, undefined, 'n1'), 'not deleted');
  } finally {
    await h.stop();
  }
});

test('a same-namespace owner reference records nothing', async () => {
  const c = new FakeClient();
  const rs: KubeObject = await c.create<KubeObject>(GVR.replicasets, 'default', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: {} });
  const h = await start(c);
  try {
    await c.create(GVR.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [ownerRef(rs)] }, spec: {} });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(c.peek(GVR.pods, 'default', 'p'));
    assert.deepEqual(h.recorder.events, []);
  } finally {
    await h.stop();
  }
});
