/**
 * Volume controllers against the real apiserver pipeline (real resource table, SQLite backend,
 * DefaultStorageClass admission) through the in-process client: a claim without a class gets the
 * default `local-path` class, waits for its first consumer, is provisioned (directory + PV) once a
 * pod using it is assigned a node, binds, and on deletion the PV and directory go away; statically
 * created PVs bind smallest-fit by class/access modes/capacity, and a Retain PV is Released.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../apiserver/auth/token.ts';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { startControllers } from '../manager.ts';
import { until } from '../shared/test-harness.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { PersistentVolumeClaimsGVR as PVC, PersistentVolumesGVR as PV, StorageClassesGVR as SC } from './util.ts';

let dir: string;
let storageDir: string;
let backend: SqliteBackend;
let api: APIServer;
let c: Client;
const ac = new AbortController();
const NODE = 'node-a';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-vol-'));
  storageDir = join(dir, 'agent', 'storage');
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator() });
  c = api.inProcessClient();
  await c.create(GVR.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
  void new Scheduler({ client: c }).start(ac.signal);
  await startControllers(c, ac.signal, { workers: 2, controllers: ['persistentvolume-binder', 'namespace'], localPathProvisioner: { storageDir, nodeName: NODE } });
});

after(async () => {
  ac.abort();
  await new Promise((r) => setTimeout(r, 100));
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

const claim = (name: string, storage: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...extra },
});
const getClaim = (name: string) => c.get<any>(PVC, 'default', name);
const gone = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
    return false;
  } catch (e: any) {
    return e.code === 404;
  }
};

test('local-path: default class, WaitForFirstConsumer, provisioning, binding, deletion', async () => {
  const sc = await c.get<any>(SC, undefined, 'local-path');
  assert.equal(sc.provisioner, 'rancher.io/local-path');
  assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');

  const created = await c.create<any>(PVC, 'default', claim('data', '64Mi'));
  assert.equal(created.spec.storageClassName, 'local-path', 'DefaultStorageClass admission');
  assert.equal(created.status.phase, 'Pending');
  await until(async () => {
    const ev = (await c.list<any>(GVR.events, 'default')).items;
    return ev.some((e) => e.involvedObject.name === 'data' && e.reason === 'WaitForFirstConsumer');
  }, 'WaitForFirstConsumer event');
  assert.equal((await c.list(PV, undefined)).items.length, 0, 'nothing provisioned before a consumer exists');

  // A pod using the claim is assigned to the node (as the scheduler would).
  await c.create(GVR.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user' },
    spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
  });
  await until(async () => (await getClaim('data')).status.phase === 'Bound', 'claim Bound', 20_000);
  const pvc = await getClaim('data');
  const pvName = `pvc-${pvc.metadata.uid}`;
  assert.equal(pvc.spec.volumeName, pvName);
  assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], NODE);
  assert.equal(pvc.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'rancher.io/local-path');
  assert.equal(pvc.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
  assert.equal(pvc.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.deepEqual(pvc.status.accessModes, ['ReadWriteOnce']);
  assert.equal(pvc.status.capacity.storage, '64Mi');

  const pv = await c.get<any>(PV, undefined, pvName);
  const path = join(storageDir, `${pvName}_default_data`);
  assert.equal(pv.spec.hostPath.path, path);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(pv.spec.storageClassName, 'local-path');
  assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
  assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] });
  assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
  await until(async () => (await c.get<any>(PV, undefined, pvName)).status.phase === 'Bound', 'PV Bound');
  assert.ok(existsSync(path), 'volume directory created');
  const ev = (await c.list<any>(GVR.events, 'default')).items.filter((e) => e.involvedObject.name === 'data').map((e) => e.reason);
  for (const r of ['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']) assert.ok(ev.includes(r), r);

  // A bound claim's spec is immutable (except growing the request).
  await assert.rejects(
    c.patch(PVC, 'default', 'data', 'application/merge-patch+json', { spec: { accessModes: ['ReadWriteMany'] } }),
    (e: any) => e.code === 422 && /spec is immutable after creation except resources.requests/.test(e.message),
  );

  await c.delete(GVR.pods, 'default', 'user', { gracePeriodSeconds: 0 });
  await c.delete(PVC, 'default', 'data');
  await until(async () => (await gone(() => c.get(PV, undefined, pvName))) && !existsSync(path), 'PV and directory removed', 20_000);
});

test('static PVs: smallest fit by class, access modes and capacity; Retain → Released', async () => {
  await c.create(SC, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner' } as KubeObject);
  const pv = (name: string, storage: string, modes: string[], cls = 'manual'): KubeObject => ({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
    spec: { capacity: { storage }, accessModes: modes, storageClassName: cls, hostPath: { path: join(dir, name) } },
  });
  await c.create(PV, undefined, pv('big', '5Gi', ['ReadWriteOnce']));
  await c.create(PV, undefined, pv('small', '1Gi', ['ReadWriteOnce']));
  await c.create(PV, undefined, pv('tiny', '100Mi', ['ReadWriteOnce']));
  await c.create(PV, undefined, pv('rox', '1Gi', ['ReadOnlyMany']));
  await c.create(PV, undefined, pv('other', '1Gi', ['ReadWriteOnce'], 'gold'));
  await until(async () => (await c.list<any>(PV, undefined)).items.filter((v) => v.status.phase === 'Available').length === 5, 'PVs Available');
  const small = await c.get<any>(PV, undefined, 'small');
  assert.equal(small.spec.persistentVolumeReclaimPolicy, 'Retain', 'PV reclaim policy defaults to Retain');

  await c.create(PVC, 'default', claim('static', '500Mi', { storageClassName: 'manual' }));
  await until(async () => (await getClaim('static')).status.phase === 'Bound', 'static claim Bound');
  assert.equal((await getClaim('static')).spec.volumeName, 'small');
  const bound = await c.get<any>(PV, undefined, 'small');
  assert.equal(bound.status.phase, 'Bound');
  assert.equal(bound.spec.claimRef.name, 'static');
  assert.equal(bound.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.equal((await getClaim('static')).status.capacity.storage, '1Gi');

  // No volume big enough and no provisioner behind the class: Pending.
  await c.create(PVC, 'default', claim('huge', '10Gi', { storageClassName: 'manual' }));
  await until(async () => {
    const ev = (await c.list<any>(GVR.events, 'default')).items;
    return ev.some((e) => e.involvedObject.name === 'huge' && e.reason === 'ExternalProvisioning');
  }, 'huge waits');
  assert.equal((await getClaim('huge')).status.phase, 'Pending');

  await c.delete(PVC, 'default', 'static');
  await until(async () => (await c.get<any>(PV, undefined, 'small')).status.phase === 'Released', 'Retain PV Released');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await c.get<any>(PV, undefined, 'small')).status.phase, 'Released', 'a Retain PV is kept');
});

test('pre-bound claim (spec.volumeName) binds to that volume', async () => {
  await c.create(PV, undefined, {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'chosen' },
    spec: { capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: join(dir, 'chosen') } },
  });
  await c.create(PVC, 'default', claim('pick', '1Gi', { storageClassName: '', volumeName: 'chosen' }));
  await until(async () => (await getClaim('pick')).status.phase === 'Bound', 'pre-bound claim Bound');
  const v = await c.get<any>(PV, undefined, 'chosen');
  assert.equal(v.spec.claimRef.name, 'pick');
  assert.equal(v.status.phase, 'Bound');
});

test('scheduler VolumeBinding: a pod waits for its unbound Immediate claim, then schedules once a PV binds it', async () => {
  await c.create(SC, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'imm' }, provisioner: 'kubernetes.io/no-provisioner' } as KubeObject);
  await c.create(PVC, 'default', claim('late', '1Gi', { storageClassName: 'imm' }));
  await c.create(GVR.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'waiter' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'late' } }] },
  });
  await until(async () => {
    const ev = (await c.list<any>(GVR.events, 'default')).items;
    return ev.some((e) => e.involvedObject.name === 'waiter' && e.reason === 'FailedScheduling' && /pod has unbound immediate PersistentVolumeClaims/.test(e.message));
  }, 'FailedScheduling for the unbound claim');
  assert.equal((await c.get<any>(GVR.pods, 'default', 'waiter')).spec.nodeName, undefined);
  await c.create(PV, undefined, {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'late-pv' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'imm', hostPath: { path: join(dir, 'late') } },
  });
  await until(async () => (await c.get<any>(GVR.pods, 'default', 'waiter')).spec.nodeName === NODE, 'pod scheduled after the claim bound', 20_000);
  assert.equal((await getClaim('late')).spec.volumeName, 'late-pv');
});

test('pvc-protection: a claim in use stays Terminating until its pod is gone; pv-protection on volumes', async () => {
  await c.create(PVC, 'default', claim('guarded', '1Gi', { storageClassName: '' }));
  await c.create(GVR.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'guard-user' },
    spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'guarded' } }] },
  });
  await until(async () => ((await getClaim('guarded')).metadata.finalizers ?? []).includes('kubernetes.io/pvc-protection'), 'pvc-protection finalizer');
  await until(async () => ((await c.get<any>(PV, undefined, 'big')).metadata.finalizers ?? []).includes('kubernetes.io/pv-protection'), 'pv-protection finalizer');
  await c.delete(PVC, 'default', 'guarded');
  await new Promise((r) => setTimeout(r, 500));
  const terminating = await getClaim('guarded');
  assert.ok(terminating.metadata.deletionTimestamp, 'deletion pending while the pod uses the claim');
  await c.delete(GVR.pods, 'default', 'guard-user', { gracePeriodSeconds: 0 });
  await until(() => gone(() => getClaim('guarded')), 'claim deleted once unused');
});
