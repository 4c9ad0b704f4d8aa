/**
 * Controllers against the real apiserver pipeline (real resource table; SQLite and etcd via describeEachBackend) through the
 * in-process client: a Deployment rolls out (pods marked Ready by the test, standing in for the
 * kubelet), a rolling update and a rollback work, events are recorded, cascading deletion works,
 * and a namespace deletion empties and removes the namespace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../storage/backend.ts';
import { APIServer } from '../apiserver/server.ts';
import { KubeletConnections } from '../apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../apiserver/auth/token.ts';
import { GVR, type Client, type KubeObject } from '../client/interface.ts';
import { startControllers } from './manager.ts';
import { until } from './shared/test-harness.ts';
import { describeEachBackend } from '../../test/support/each-backend.ts';

describeEachBackend('controllers against the real apiserver', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let c: Client;
  const ac = new AbortController();
  let kubelet: NodeJS.Timeout;

  /** Marks pods in `ns` Running+Ready through /status, like a kubelet would. */
  async function markReady(ns: string): Promise<void> {
    const pods = (await c.list(GVR.pods, ns)).items;
    for (const p of pods) {
      const st = (p.status ?? {}) as any;
      if (p.metadata?.deletionTimestamp || st.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')) continue;
      const t = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      try {
        await c.update(GVR.pods, ns, { ...p, status: { ...st, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } }, { subresource: 'status' });
      } catch {
        /* conflict or gone: next tick */
      }
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-ctrl-'));
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator() });
    c = api.inProcessClient();
    await startControllers(c, ac.signal, { workers: 2 });
    kubelet = setInterval(() => {
      for (const ns of ['default', 'dev']) void markReady(ns).catch(() => {});
    }, 50);
  });

  after(async () => {
    clearInterval(kubelet);
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    await api?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const getD = () => c.get<any>(GVR.deployments, 'default', 'web');
  async function rolledOut(replicas: number): Promise<boolean> {
    const d = await getD();
    const s = d.status ?? {};
    return (
      s.observedGeneration >= d.metadata.generation &&
      s.updatedReplicas === replicas &&
      s.replicas === replicas &&
      s.availableReplicas === replicas &&
      (s.conditions ?? []).some((k: any) => k.type === 'Progressing' && k.reason === 'NewReplicaSetAvailable')
    );
  }

  test('system namespaces exist', async () => {
    const names = (await c.list(GVR.namespaces, undefined)).items.map((n) => n.metadata?.name);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(n), n);
  });

  test('deployment: rollout, update, rollback, events, cascading delete', async () => {
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      },
    };
    await c.create(GVR.deployments, 'default', dep);
    await until(() => rolledOut(3), 'initial rollout', 30_000);
    const rs1 = (await c.list<any>(GVR.replicasets, 'default')).items;
    assert.equal(rs1.length, 1);
    assert.equal(rs1[0].metadata.annotations['deployment.kubernetes.io/revision'], '1');

    await c.patch(GVR.deployments, 'default', 'web', 'application/merge-patch+json', {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } },
    });
    await until(async () => (await c.list(GVR.replicasets, 'default')).items.length === 2 && (await rolledOut(3)), 'update rollout', 30_000);
    const d2 = await getD();
    assert.equal(d2.metadata.annotations['deployment.kubernetes.io/revision'], '2');

    // kubectl rollout undo: JSON patch of the template back to revision 1's (minus the hash label).
    const tmpl = structuredClone(rs1[0].spec.template);
    delete tmpl.metadata.labels['pod-template-hash'];
    await c.patch(GVR.deployments, 'default', 'web', 'application/json-patch+json', [{ op: 'replace', path: '/spec/template', value: tmpl }]);
    await until(async () => {
      const rs = await c.get<any>(GVR.replicasets, 'default', rs1[0].metadata.name);
      return rs.spec.replicas === 3 && rs.metadata.annotations['deployment.kubernetes.io/revision'] === '3' && (await rolledOut(3));
    }, 'rollback', 30_000);
    assert.equal((await c.list(GVR.replicasets, 'default')).items.length, 2);

    const events = (await c.list<any>(GVR.events, 'default')).items;
    assert.ok(events.some((e) => e.reason === 'ScalingReplicaSet' && e.involvedObject.kind === 'Deployment'), 'ScalingReplicaSet');
    assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.involvedObject.kind === 'ReplicaSet'), 'SuccessfulCreate');

    await c.delete(GVR.deployments, 'default', 'web', { propagationPolicy: 'Background' });
    await until(async () => (await c.list(GVR.replicasets, 'default')).items.length === 0 && (await c.list(GVR.pods, 'default')).items.length === 0, 'cascade', 30_000);
  });

  test('namespace deletion empties and removes the namespace', async () => {
    await c.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } });
    await c.create(GVR.configmaps, 'dev', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } });
    await c.delete(GVR.namespaces, undefined, 'dev');
    await until(async () => {
      try {
        await c.get(GVR.namespaces, undefined, 'dev');
        return false;
      } catch (e: any) {
        return e.code === 404;
      }
    }, 'namespace gone', 30_000);
  });

  test('replicaset adopts a matching orphan pod and releases one whose labels change', async () => {
    await c.create(GVR.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', labels: { app: 'rs2' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const rs = await c.create<any>(GVR.replicasets, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs2' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'rs2' } }, template: { metadata: { labels: { app: 'rs2' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const owned = async () => (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=rs2' })).items.filter((p) => p.metadata.ownerReferences?.some((r: any) => r.uid === rs.metadata.uid));
    await until(async () => (await owned()).length === 2, 'adopted + 1 created', 30_000);
    assert.ok((await owned()).some((p) => p.metadata.name === 'orphan'));
    await c.patch(GVR.pods, 'default', 'orphan', 'application/merge-patch+json', { metadata: { labels: { app: 'debug' } } });
    await until(async () => ((await c.get<any>(GVR.pods, 'default', 'orphan')).metadata.ownerReferences ?? []).length === 0 && (await owned()).length === 2, 'released and replaced', 30_000);
    await c.delete(GVR.pods, 'default', 'orphan');
  });

  test('orphan and foreground propagation through the real apiserver', async () => {
    // Orphan: the RS goes, its pods stay without the ownerReference.
    await c.delete(GVR.replicasets, 'default', 'rs2', { propagationPolicy: 'Orphan' });
    await until(async () => {
      try {
        await c.get(GVR.replicasets, 'default', 'rs2');
        return false;
      } catch (e: any) {
        return e.code === 404;
      }
    }, 'orphaned RS deleted', 30_000);
    const pods = (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=rs2' })).items;
    assert.equal(pods.length, 2);
    for (const p of pods) assert.deepEqual(p.metadata.ownerReferences ?? [], []);
    for (const p of pods) await c.delete(GVR.pods, 'default', p.metadata.name);

    // Foreground: the RS is deleted only after its pods.
    await c.create(GVR.replicasets, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs3' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'rs3' } }, template: { metadata: { labels: { app: 'rs3' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await until(async () => (await c.list(GVR.pods, 'default', { labelSelector: 'app=rs3' })).items.length === 2, 'rs3 pods', 30_000);
    const pending = await c.delete(GVR.replicasets, 'default', 'rs3', { propagationPolicy: 'Foreground' });
    assert.ok(pending.metadata?.deletionTimestamp, 'owner stays while dependents are deleted');
    assert.ok(pending.metadata?.finalizers?.includes('foregroundDeletion'));
    await until(async () => {
      try {
        await c.get(GVR.replicasets, 'default', 'rs3');
        return false;
      } catch (e: any) {
        return e.code === 404;
      }
    }, 'foreground-deleted RS gone', 30_000);
    assert.equal((await c.list(GVR.pods, 'default', { labelSelector: 'app=rs3' })).items.length, 0);
  });
});
