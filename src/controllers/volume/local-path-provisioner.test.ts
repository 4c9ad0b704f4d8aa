/** The local-path provisioner against a FakeClient: provisioning conditions, the PV it makes, deletion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { LocalPathProvisioner, localPathStorageClass, provisionedVolume, volumeDirFor } from './local-path-provisioner.ts';
import { PersistentVolumeClaimsGVR as PVC, PersistentVolumesGVR as PV, StorageClassesGVR as SC, type Obj } from './util.ts';

const claim = (name: string, ann: Record<string, string>): Obj => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, annotations: ann },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'local-path', volumeMode: 'Filesystem' },
  status: { phase: 'Pending' },
});

async function setup(seed: [typeof PV, Obj][]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-lpp-'));
  const storageDir = path.join(dir, 'storage');
  const client = new FakeClient([[SC, localPathStorageClass()], ...seed]);
  const factory = new SharedInformerFactory(client);
  const ac = new AbortController();
  const p = new LocalPathProvisioner({ client, factory, recorder: new FakeRecorder(), storageDir, nodeName: 'n1' });
  factory.start(ac.signal);
  for (const inf of [p.claims, p.volumes, p.classes]) await inf.waitForSync(ac.signal);
  return { dir, storageDir, client, p, stop: () => { ac.abort(); rmSync(dir, { recursive: true, force: true }); } };
}

test('the provisioned PV: hostPath dir, capacity, modes, policy, node affinity, claimRef', () => {
  const c = claim('data', {});
  const v = provisionedVolume(c, 'local-path', 'Delete', volumeDirFor('/s', 'pvc-uid-data', c), 'n1');
  assert.equal(v.metadata?.name, 'pvc-uid-data');
  assert.equal(v.spec?.hostPath.path, '/s/pvc-uid-data_ns_data');
  assert.equal(v.spec?.hostPath.type, 'DirectoryOrCreate');
  assert.deepEqual(v.spec?.capacity, { storage: '2Gi' });
  assert.deepEqual(v.spec?.accessModes, ['ReadWriteOnce']);
  assert.equal(v.spec?.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(v.spec?.storageClassName, 'local-path');
  assert.deepEqual(v.spec?.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }]);
  assert.deepEqual({ ...v.spec?.claimRef, resourceVersion: undefined }, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'ns', name: 'data', uid: 'uid-data', resourceVersion: undefined });
  assert.equal(v.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
});

test('provisions only claims handed to it, for this node once selected', async () => {
  const prov = { 'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path' };
  const env = await setup([
    [PVC, claim('unannotated', {})],
    [PVC, claim('unselected', prov)],
    [PVC, claim('elsewhere', { ...prov, 'volume.kubernetes.io/selected-node': 'n2' })],
    [PVC, claim('mine', { ...prov, 'volume.kubernetes.io/selected-node': 'n1' })],
  ]);
  try {
    for (const n of ['unannotated', 'unselected', 'elsewhere', 'mine']) await env.p.provisionClaim(env.p.claims.lister.get('ns', n)!);
    const uid = env.p.claims.lister.get('ns', 'mine')!.metadata?.uid;
    const pvs = (await env.client.list(PV, undefined)).items;
    assert.deepEqual(pvs.map((v) => v.metadata?.name), [`pvc-${uid}`]);
    const dir = path.join(env.storageDir, `pvc-${uid}_ns_mine`);
    assert.ok(statSync(dir).isDirectory());
    assert.equal(statSync(dir).mode & 0o777, 0o777);
  } finally {
    env.stop();
  }
});

test('a Released Delete volume loses its directory and PV; Bound ones and foreign paths are kept', async () => {
  const env0 = mkdtempSync(path.join(tmpdir(), 'skiff-lpp-x-'));
  const mk = (name: string, phase: string, p: string, policy = 'Delete'): Obj => ({
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name, uid: `u-${name}`, annotations: { 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path' } },
    spec: { persistentVolumeReclaimPolicy: policy, hostPath: { path: p } },
    status: { phase },
  });
  const env = await setup([]);
  try {
    const released = path.join(env.storageDir, 'pvc-a_ns_a');
    const bound = path.join(env.storageDir, 'pvc-b_ns_b');
    const retained = path.join(env.storageDir, 'pvc-c_ns_c');
    for (const d of [released, bound, retained]) mkdirSync(d, { recursive: true });
    for (const v of [mk('pvc-a', 'Released', released), mk('pvc-b', 'Bound', bound), mk('pvc-c', 'Released', retained, 'Retain'), mk('pvc-x', 'Released', env0)]) {
      await env.client.create(PV, undefined, v);
    }
    for (const n of ['pvc-a', 'pvc-b', 'pvc-c', 'pvc-x']) await env.p.syncVolume((await env.client.get<Obj>(PV, undefined, n)));
    assert.equal(existsSync(released), false);
    assert.ok(existsSync(bound));
    assert.ok(existsSync(retained));
    assert.ok(existsSync(env0), 'a path outside the storage dir is never removed');
    const left = (await env.client.list(PV, undefined)).items.map((v) => v.metadata?.name).sort();
    assert.deepEqual(left, ['pvc-b', 'pvc-c', 'pvc-x']);
  } finally {
    env.stop();
    rmSync(env0, { recursive: true, force: true });
  }
});
