/**
 * ReplicationManager: the ReplicaSet behaviour over ReplicationControllers (FakeClient), and one
 * end-to-end check through the in-process apiserver (real resource table, SQLite).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../apiserver/auth/token.ts';
import { startControllers } from '../manager.ts';
import { until, markPodsReady } from '../shared/test-harness.ts';
import { newReplicationManager, ReplicationControllerGVR as RC } from './replication-controller.ts';

const rcObj = (name: string, replicas: number, selector: Record<string, string> = { app: name }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector,
    template: { metadata: { labels: { ...selector, extra: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});

async function start(c: FakeClient) {
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const rm = newReplicationManager({ client: c, factory, recorder });
  const ac = new AbortController();
  factory.start(ac.signal);
  const run = rm.run(2, ac.signal);
  return {
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

describe('ReplicationManager (FakeClient)', () => {
  test('creates pods with a v1 ReplicationController ownerRef and writes status', async () => {
    const c = new FakeClient();
    const rc = await c.create(RC, 'default', rcObj('web', 3));
    const h = await start(c);
    try {
      await until(() => owned(c, rc.metadata!.uid!).length === 3, '3 pods');
      const p = owned(c, rc.metadata!.uid!)[0];
      assert.equal(p.metadata?.generateName, 'web-');
      assert.deepEqual(p.metadata?.labels, { app: 'web', extra: 'x' });
      assert.deepEqual(p.metadata?.ownerReferences, [
        { apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: rc.metadata!.uid, controller: true, blockOwnerDeletion: true },
      ]);
      await markPodsReady(c, 'default');
      await until(() => (c.peek(RC, 'default', 'web')!.status as any)?.availableReplicas === 3, 'available=3');
      assert.deepEqual(c.peek(RC, 'default', 'web')!.status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
      assert.equal(h.recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: web-')).length, 3);
    } finally {
      await h.stop();
    }
  });

  test('adopts orphans matching the equality selector, ignores pods of another controller', async () => {
    const c = new FakeClient();
    await c.create(GVR.pods, 'default', { metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [] } });
    await c.create(GVR.pods, 'default', { metadata: { name: 'nomatch', namespace: 'default', labels: { app: 'webx' } }, spec: { containers: [] } });
    const foreign = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true }];
    await c.create(GVR.pods, 'default', { metadata: { name: 'taken', namespace: 'default', labels: { app: 'web' }, ownerReferences: foreign }, spec: { containers: [] } });
    const rc = await c.create(RC, 'default', rcObj('web', 2));
    c.actions.length = 0;
    const h = await start(c);
    try {
      await until(() => owned(c, rc.metadata!.uid!).length === 2, '2 owned pods');
      const names = owned(c, rc.metadata!.uid!).map((p) => p.metadata!.name);
      assert.ok(names.includes('orphan'));
      assert.equal(c.actions.filter((a) => a.verb === 'create' && a.resource === 'pods').length, 1);
      assert.deepEqual(c.peek(GVR.pods, 'default', 'taken')!.metadata?.ownerReferences, foreign);
      assert.equal(c.peek(GVR.pods, 'default', 'nomatch')!.metadata?.ownerReferences, undefined);
    } finally {
      await h.stop();
    }
  });

  test('scale-down deletes surplus pods (not-ready before ready)', async () => {
    const c = new FakeClient();
    const rc = await c.create(RC, 'default', rcObj('web', 3));
    const h = await start(c);
    try {
      await until(() => owned(c, rc.metadata!.uid!).length === 3, '3 pods');
      const keep = owned(c, rc.metadata!.uid!)[0].metadata!.name!;
      await markPodsReady(c, 'default', (p) => p.metadata?.name === keep);
      const cur = c.peek(RC, 'default', 'web')!;
      await c.update(RC, 'default', { ...cur, spec: { ...(cur.spec as object), replicas: 1 } });
      await until(() => owned(c, rc.metadata!.uid!).length === 1, 'scale to 1');
      assert.equal(owned(c, rc.metadata!.uid!)[0].metadata?.name, keep);
      assert.equal(h.recorder.events.filter((e) => e.startsWith('Normal SuccessfulDelete')).length, 2);
    } finally {
      await h.stop();
    }
  });
});

test('ReplicationController through the in-process apiserver: defaulted, pods created, scaled via /scale', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rc-'));
  const backend = SqliteBackend.open(join(dir, 'state.db'));
  const api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator() });
  const ac = new AbortController();
  try {
    const c = api.inProcessClient();
    await startControllers(c, ac.signal, { workers: 2, controllers: ['namespace', 'replicationcontroller'] });
    const created: KubeObject = await c.create(RC, 'default', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'nginx' },
      spec: { replicas: 2, template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
    });
    assert.deepEqual((created.spec as any).selector, { app: 'nginx' });
    assert.deepEqual(created.metadata?.labels, { app: 'nginx' });
    const ownedPods = async () =>
      (await c.list(GVR.pods, 'default')).items.filter((p) => !p.metadata?.deletionTimestamp && p.metadata?.ownerReferences?.[0]?.uid === created.metadata?.uid);
    await until(async () => (await ownedPods()).length === 2, '2 pods');
    await until(async () => ((await c.get(RC, 'default', 'nginx')).status as any)?.replicas === 2, 'status.replicas=2');
    const scale = await c.patch(RC, 'default', 'nginx', 'application/merge-patch+json', { spec: { replicas: 3 } }, { subresource: 'scale' });
    assert.equal(scale.kind, 'Scale');
    assert.deepEqual(scale.spec, { replicas: 3 });
    assert.equal((scale.status as any).selector, 'app=nginx');
    await until(async () => (await ownedPods()).length === 3, '3 pods after /scale');
  } finally {
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    await api.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
