/** The kubelet's persistentVolumeClaim source: claim → bound PV → host path, with upstream-like errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../client/fake-client.ts';
import type { KubeObject } from '../../client/interface.ts';
import { setUpPersistentVolumeClaim } from './pvc-volume.ts';

const PVC = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PV = { group: '', version: 'v1', resource: 'persistentvolumes' };

const pod: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'pod-uid' },
  spec: { containers: [{ name: 'c' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'claim' } }, { name: 'cfg', configMap: { name: 'x' } }] },
};
const vol = pod.spec!.volumes![0];
const err = (m: string) => new Error(m);

test('missing, unbound and bound claims', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-pvcvol-'));
  try {
    const client = new FakeClient();
    const prefix = 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[cfg data]: error processing PVC default/claim: ';
    await assert.rejects(setUpPersistentVolumeClaim(client, pod, vol, dir, false, err, 0), { message: `${prefix}failed to fetch PVC from API server: persistentvolumeclaims "claim" not found` });
    const claim = await client.create<KubeObject>(PVC, 'default', {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' },
    });
    await assert.rejects(setUpPersistentVolumeClaim(client, pod, vol, dir, false, err, 0), { message: `${prefix}PVC is not bound` });
    const hostDir = path.join(dir, 'pv-dir');
    await client.create(PV, undefined, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1' },
      spec: { hostPath: { path: hostDir, type: 'DirectoryOrCreate' }, claimRef: { namespace: 'default', name: 'claim', uid: claim.metadata?.uid } },
    });
    const named = await client.update<KubeObject>(PVC, 'default', { ...claim, spec: { ...(claim.spec as object), volumeName: 'pv1' } });
    await client.update(PVC, 'default', { ...named, status: { phase: 'Bound' } }, { subresource: 'status' });
    assert.equal(await setUpPersistentVolumeClaim(client, pod, vol, dir, false, err, 0), hostDir);
    assert.ok(existsSync(hostDir), 'DirectoryOrCreate made the directory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unbound claim is waited for (up to the limit) before the mount fails', async () => {
  const client = new FakeClient();
  const claim = await client.create<KubeObject>(PVC, 'default', {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' },
  });
  await client.create(PV, undefined, { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1' }, spec: { hostPath: { path: '/srv/x' } } });
  const pending = setUpPersistentVolumeClaim(client, pod, vol, '/nonexistent', false, err, 60_000);
  const named = await client.update<KubeObject>(PVC, 'default', { ...claim, spec: { ...(claim.spec as object), volumeName: 'pv1' } });
  await client.update(PVC, 'default', { ...named, status: { phase: 'Bound' } }, { subresource: 'status' });
  assert.equal(await pending, '/srv/x');
});
