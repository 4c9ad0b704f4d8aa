import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from './fake-client.ts';
import { GVR, type KubeObject, type WatchEventObject } from './interface.ts';
import { StatusError } from '../machinery/errors.ts';

const pod = (name: string, labels: Record<string, string> = {}, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'x' }] },
  ...extra,
});

describe('FakeClient', () => {
  test('create stamps metadata; duplicate is 409 AlreadyExists; get 404', async () => {
    const c = new FakeClient();
    const p = await c.create(GVR.pods, 'default', pod('a'));
    assert.ok(p.metadata?.uid);
    assert.equal(p.metadata?.generation, 1);
    assert.equal(p.kind, 'Pod');
    assert.equal(p.apiVersion, 'v1');
    assert.match(p.metadata!.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await assert.rejects(c.create(GVR.pods, 'default', pod('a')), (e: unknown) => e instanceof StatusError && e.reason === 'AlreadyExists' && e.code === 409);
    await assert.rejects(c.get(GVR.pods, 'default', 'nope'), (e: unknown) => e instanceof StatusError && e.code === 404 && e.message === 'pods "nope" not found');
  });

  test('update: stale RV is 409 Conflict, generation bumps on spec change only, status kept', async () => {
    const c = new FakeClient();
    const d = await c.create<KubeObject>(GVR.deployments, 'default', { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 0 } });
    const d2 = await c.update<KubeObject>(GVR.deployments, 'default', { ...d, spec: { replicas: 2 }, status: { replicas: 99 } });
    assert.equal(d2.metadata?.generation, 2);
    assert.deepEqual(d2.status, { replicas: 0 });
    await assert.rejects(c.update(GVR.deployments, 'default', d), (e: unknown) => e instanceof StatusError && e.reason === 'Conflict');
    const d3 = await c.update<KubeObject>(GVR.deployments, 'default', { ...d2, status: { replicas: 2 } }, { subresource: 'status' });
    assert.equal(d3.metadata?.generation, 2);
    assert.deepEqual(d3.status, { replicas: 2 });
    const d4 = await c.update<KubeObject>(GVR.deployments, 'default', { ...d3, metadata: { ...d3.metadata, labels: { a: 'b' } } });
    assert.equal(d4.metadata?.generation, 2);
  });

  test('list with label and field selectors, pagination', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a', { app: 'web' }, { spec: { nodeName: 'n1' } }));
    await c.create(GVR.pods, 'default', pod('b', { app: 'web', tier: 'fe' }));
    await c.create(GVR.pods, 'other', { ...pod('c', { app: 'db' }), metadata: { name: 'c', namespace: 'other', labels: { app: 'db' } } });
    assert.deepEqual((await c.list(GVR.pods, 'default', { labelSelector: 'app=web' })).items.map((p) => p.metadata?.name), ['a', 'b']);
    assert.deepEqual((await c.list(GVR.pods, undefined, { labelSelector: 'app in (web,db),!tier' })).items.map((p) => p.metadata?.name), ['a', 'c']);
    assert.deepEqual((await c.list(GVR.pods, undefined, { fieldSelector: 'spec.nodeName=n1' })).items.map((p) => p.metadata?.name), ['a']);
    assert.deepEqual((await c.list(GVR.pods, undefined, { fieldSelector: 'metadata.name=b' })).items.map((p) => p.metadata?.name), ['b']);
    const p1 = await c.list(GVR.pods, undefined, { limit: 2 });
    assert.equal(p1.items.length, 2);
    assert.ok(p1.metadata.continue);
    const p2 = await c.list(GVR.pods, undefined, { limit: 2, continue: p1.metadata.continue });
    assert.equal(p2.items.length, 1);
    assert.equal(p2.metadata.continue, undefined);
  });

  test('merge patch, json patch, status patch, binding', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a', { x: '1' }));
    const p = await c.patch(GVR.pods, 'default', 'a', 'application/merge-patch+json', { metadata: { labels: { x: null, y: '2' } } });
    assert.deepEqual(p.metadata?.labels, { y: '2' });
    const q = await c.patch(GVR.pods, 'default', 'a', 'application/json-patch+json', [{ op: 'add', path: '/metadata/labels/z', value: '3' }]);
    assert.deepEqual(q.metadata?.labels, { y: '2', z: '3' });
    const s = await c.patch(GVR.pods, 'default', 'a', 'application/merge-patch+json', { status: { phase: 'Running' } }, { subresource: 'status' });
    assert.deepEqual(s.status, { phase: 'Running' });
    await c.createSubresource(GVR.pods, 'default', 'a', 'binding', { target: { kind: 'Node', name: 'n1' } });
    assert.equal((c.peek(GVR.pods, 'default', 'a')!.spec as { nodeName: string }).nodeName, 'n1');
    await assert.rejects(c.createSubresource(GVR.pods, 'default', 'a', 'binding', { target: { kind: 'Node', name: 'n2' } }), (e: unknown) => e instanceof StatusError && e.code === 409);
  });

  test('delete with finalizers and propagation policies', async () => {
    const c = new FakeClient();
    await c.create(GVR.replicasets, 'default', { metadata: { name: 'rs' }, spec: {} });
    const pending = await c.delete(GVR.replicasets, 'default', 'rs', { propagationPolicy: 'Orphan' });
    assert.ok(pending.metadata?.deletionTimestamp);
    assert.deepEqual(pending.metadata?.finalizers, ['orphan']);
    const cur = c.peek(GVR.replicasets, 'default', 'rs')!;
    await c.update(GVR.replicasets, 'default', { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    assert.equal(c.peek(GVR.replicasets, 'default', 'rs'), undefined);
    await c.create(GVR.pods, 'default', pod('p'));
    const st = await c.delete(GVR.pods, 'default', 'p');
    assert.equal(st.kind, 'Status');
    assert.equal(c.peek(GVR.pods, 'default', 'p'), undefined);
  });

  test('watch replays from RV, delivers live events, 410 after compaction; actions are recorded', async () => {
    const c = new FakeClient();
    const a = await c.create(GVR.pods, 'default', pod('a'));
    await c.create(GVR.pods, 'default', pod('b'));
    const events: WatchEventObject[] = [];
    const ac = new AbortController();
    const done = c.watch(GVR.pods, 'default', { resourceVersion: a.metadata!.resourceVersion }, (e) => events.push(e), ac.signal);
    await c.delete(GVR.pods, 'default', 'a');
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'b'], ['DELETED', 'a']]);
    ac.abort();
    await done;
    c.compact();
    const ev2: WatchEventObject[] = [];
    await c.watch(GVR.pods, 'default', { resourceVersion: a.metadata!.resourceVersion }, (e) => ev2.push(e), new AbortController().signal);
    assert.equal(ev2[0].type, 'ERROR');
    assert.equal((ev2[0].object as unknown as { code: number }).code, 410);
    assert.ok(c.actions.some((x) => x.verb === 'delete' && x.name === 'a'));
  });

  test('label-filtered watch turns label changes into ADDED/DELETED', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', pod('a', { app: 'x' }));
    const events: WatchEventObject[] = [];
    const ac = new AbortController();
    const w = c.watch(GVR.pods, 'default', { resourceVersion: c.resourceVersion, labelSelector: 'app=y' }, (e) => events.push(e), ac.signal);
    await c.patch(GVR.pods, 'default', 'a', 'application/merge-patch+json', { metadata: { labels: { app: 'y' } } });
    await c.patch(GVR.pods, 'default', 'a', 'application/merge-patch+json', { metadata: { labels: { app: 'z' } } });
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'DELETED']);
    ac.abort();
    await w;
  });
});
