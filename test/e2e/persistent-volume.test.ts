/**
 * e2e: PersistentVolumes with a real `skiff server`, real kubectl and runc containers
 * (skiff.local/web:1 from `--import-images`): a claim without a class gets the default
 * `local-path` class, waits for its first consumer, and is provisioned and bound once a pod using
 * it is scheduled; the pod writes a file that lands in `<dataDir>/agent/storage/pvc-<uid>_<ns>_<name>`;
 * a second pod on the same claim reads it back after the first is deleted; a read-only mount of
 * the claim refuses writes; deleting the claim removes the PV and the directory. `kubectl get
 * pv,pvc,sc` shows upstream's columns.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const PVC = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
`;

/** A pod mounting claim `data` at /data, running `script` under sh (exits on SIGTERM). */
function podYaml(name: string, script: string, readOnly = false): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(`trap 'exit 0' TERM; ${script} while :; do sleep 1; done`)}]
    volumeMounts:
    - name: d
      mountPath: /data
  volumes:
  - name: d
    persistentVolumeClaim:
      claimName: data
      readOnly: ${readOnly}
`;
}

describe('e2e: PersistentVolumeClaim with the local-path provisioner', { timeout: 300_000 }, () => {
  const run = useCluster({ webImages: true });
  let id: RunIdentity;
  let c: TestCluster;

  const json = async (args: string[]) => JSON.parse(await c.kubectl([...args, '-o', 'json']));
  const running = (name: string) =>
    waitFor(`pod ${name} Running`, async () => ((await json(['get', 'pod', name])).status?.phase === 'Running' ? true : undefined), 120_000);

  before(() => {
    ({ id, c } = run);
  });

  test('default class, WaitForFirstConsumer, data survives the pod, deletion cleans up', async () => {
    const sc = await c.kubectl(['get', 'sc']);
    assert.match(sc, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/m);
    assert.match(sc, /^local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/m);

    await c.kubectl(['apply', '-f', '-'], { input: PVC });
    const pending = await c.kubectl(['get', 'pvc', 'data']);
    assert.match(pending, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/m);
    assert.match(pending, /^data\s+Pending\s+local-path\s+<unset>\s+/m);

    await c.kubectl(['apply', '-f', '-'], { input: podYaml('writer', 'echo persisted > /data/file;') });
    await running('writer');
    const claim = await waitFor('claim Bound', async () => {
      const p = await json(['get', 'pvc', 'data']);
      return p.status?.phase === 'Bound' ? p : undefined;
    });
    const pvName = `pvc-${claim.metadata.uid}`;
    assert.equal(claim.spec.volumeName, pvName);
    const dir = path.join(id.dataDir, 'agent', 'storage', `${pvName}_default_data`);
    const file = path.join(dir, 'file');
    await waitFor('file on disk', () => (existsSync(file) ? true : undefined), 60_000);
    assert.equal(readFileSync(file, 'utf8'), 'persisted\n');

    const all = await c.kubectl(['get', 'pv,pvc,sc']);
    assert.match(all, /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/m);
    assert.match(all, new RegExp(`^persistentvolume/${pvName}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path\\s+<unset>\\s+`, 'm'));
    assert.match(all, new RegExp(`^persistentvolumeclaim/data\\s+Bound\\s+${pvName}\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+`, 'm'));
    assert.match(all, /^storageclass\.storage\.k8s\.io\/local-path \(default\)\s+rancher\.io\/local-path\s+/m);

    await c.kubectl(['delete', 'pod', 'writer', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    await c.kubectl(['apply', '-f', '-'], { input: podYaml('reader', '') });
    await running('reader');
    assert.equal(await c.kubectl(['exec', 'reader', '--', 'cat', '/data/file']), 'persisted\n');
    const dpvc = await c.kubectl(['describe', 'pvc', 'data']);
    assert.match(dpvc, /^Status:\s+Bound$/m);
    assert.match(dpvc, new RegExp(`^Volume:\\s+${pvName}$`, 'm'));
    assert.match(dpvc, /^StorageClass:\s+local-path$/m);
    assert.match(dpvc, /^Finalizers:\s+\[kubernetes\.io\/pvc-protection\]$/m);
    assert.match(dpvc, /^Used By:\s+reader$/m);
    assert.match(dpvc, /ProvisioningSucceeded\s+.*Successfully provisioned volume/);
    const dpv = await c.kubectl(['describe', 'pv', pvName]);
    assert.match(dpv, /^Claim:\s+default\/data$/m);
    assert.match(dpv, /Type:\s+HostPath \(bare host directory volume\)/);
    assert.match(dpv, new RegExp(`Path:\\s+${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await c.kubectl(['exec', 'reader', '--', 'sh', '-c', 'echo again >> /data/file']);
    assert.equal(readFileSync(file, 'utf8'), 'persisted\nagain\n');

    // A read-only claim mount refuses writes but reads the same data.
    await c.kubectl(['apply', '-f', '-'], { input: podYaml('ro', '', true) });
    await running('ro');
    assert.equal(await c.kubectl(['exec', 'ro', '--', 'cat', '/data/file']), 'persisted\nagain\n');
    const w = await c.kubectlRaw(['exec', 'ro', '--', 'sh', '-c', 'echo no > /data/other']);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /Read-only file system/);

    await c.kubectl(['delete', 'pod', 'reader', 'ro', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    await c.kubectl(['delete', 'pvc', 'data', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    await waitFor('PV and directory removed', async () => {
      const r = await c.kubectlRaw(['get', 'pv', pvName]);
      return r.code !== 0 && /NotFound|not found/.test(r.stderr) && !existsSync(dir) ? true : undefined;
    }, 60_000);
  });
});
