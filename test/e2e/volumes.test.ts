/**
 * e2e: volume behaviour with a real `skiff server` (`--sync-frequency 2s`), real kubectl and runc
 * containers (skiff.local/web:1):
 * - configMap (items + defaultMode) and secret (defaultMode) volumes use the AtomicWriter layout and
 *   pick up updates of the objects while the container runs (polled with `kubectl exec cat`);
 *   a subPath mount of the same configMap key keeps the old content (upstream behaviour);
 * - a `readOnly` volumeMount refuses writes;
 * - a `medium: Memory` emptyDir with sizeLimit 1Mi is a 1 MiB tmpfs: writing 2 MiB fails with ENOSPC;
 * - a pod writing past its disk emptyDir sizeLimit is evicted (Failed / Evicted, upstream message,
 *   event Evicted);
 * - a hostPath whose type does not match fails the mount with upstream's FailedMount message.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const LOOP = `trap 'exit 0' TERM; while :; do sleep 1; done`;

function objects(value: string, password: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  key: ${JSON.stringify(value)}
  other: "not projected"
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
stringData:
  password: ${JSON.stringify(password)}
`;
}

const VOL_POD = `apiVersion: v1
kind: Pod
metadata:
  name: vol
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(LOOP)}]
    volumeMounts:
    - { name: cm, mountPath: /etc/cm }
    - { name: cm, mountPath: /etc/sub.txt, subPath: conf/key.txt }
    - { name: sec, mountPath: /etc/sec }
    - { name: scratch, mountPath: /ro, readOnly: true }
    - { name: scratch, mountPath: /rw }
    - { name: scratch, mountPath: /sub, subPath: data/one }
    - { name: mem, mountPath: /mem }
  volumes:
  - name: cm
    configMap:
      name: cfg
      defaultMode: 0440
      items:
      - { key: key, path: conf/key.txt }
  - name: sec
    secret:
      secretName: sec
      defaultMode: 0400
  - name: scratch
    emptyDir: {}
  - name: mem
    emptyDir:
      medium: Memory
      sizeLimit: 1Mi
`;

const HOG_POD = `apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 30
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(`dd if=/dev/zero of=/cache/fill bs=1024 count=3072; ${LOOP}`)}]
    volumeMounts:
    - { name: cache, mountPath: /cache }
  volumes:
  - name: cache
    emptyDir:
      sizeLimit: 1Mi
`;

function hostPathPod(p: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: hp
spec:
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(LOOP)}]
    volumeMounts:
    - { name: h, mountPath: /h }
  volumes:
  - name: h
    hostPath:
      path: ${p}
      type: Directory
`;
}

describe('e2e: volumes (configMap/secret updates, subPath, readOnly, emptyDir limits, hostPath types)', { timeout: 240_000 }, () => {
  const run = useCluster({ webImages: true, extraArgs: ['--sync-frequency', '2s'] });
  let id: RunIdentity;
  let c: TestCluster;

  const json = async (args: string[]) => JSON.parse(await c.kubectl([...args, '-o', 'json']));
  const exec = (pod: string, cmd: string) => c.kubectlRaw(['exec', pod, '--', 'sh', '-c', cmd]);
  const events = async (name: string) => (await json(['get', 'events', '--field-selector', `involvedObject.name=${name}`])).items as { reason: string; message: string; type: string }[];

  before(() => {
    ({ id, c } = run);
  });

  test('configMap/secret volumes follow updates; subPath does not; readOnly and Memory sizeLimit hold; disk sizeLimit evicts; hostPath type mismatch fails the mount', async () => {
    const notADir = path.join(id.dataDir, 'not-a-dir');
    writeFileSync(notADir, 'x');
    await c.kubectl(['apply', '-f', '-'], { input: objects('v1', 's1') });
    await c.kubectl(['apply', '-f', '-'], { input: VOL_POD });
    await c.kubectl(['apply', '-f', '-'], { input: HOG_POD });
    await c.kubectl(['apply', '-f', '-'], { input: hostPathPod(notADir) });
    await waitFor('pod vol Running', async () => ((await json(['get', 'pod', 'vol'])).status?.phase === 'Running' ? true : undefined), 90_000);

    // Projection: items + defaultMode, AtomicWriter layout, secret mode.
    assert.equal((await exec('vol', 'cat /etc/cm/conf/key.txt')).stdout, 'v1');
    assert.equal((await exec('vol', 'cat /etc/sub.txt')).stdout, 'v1');
    assert.equal((await exec('vol', 'cat /etc/sec/password')).stdout, 's1');
    assert.equal((await exec('vol', 'stat -L -c %a /etc/cm/conf/key.txt /etc/sec/password')).stdout, '440\n400\n');
    assert.equal((await exec('vol', 'readlink /etc/cm/conf; readlink /etc/cm/..data')).stdout.split('\n')[0], '..data/conf');
    assert.match((await exec('vol', 'readlink /etc/cm/..data')).stdout, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+\n$/);
    assert.equal((await exec('vol', 'ls /etc/cm')).stdout, 'conf\n', 'only the selected item is projected');
    // Secrets live on a tmpfs (upstream wraps a Memory emptyDir), configMaps on disk.
    assert.match((await exec('vol', 'df /etc/sec | tail -1')).stdout, /^tmpfs\s/);
    assert.doesNotMatch((await exec('vol', 'df /etc/cm | tail -1')).stdout, /^tmpfs\s/);

    // Updates reach the running container (sync frequency 2 s).
    const t0 = Date.now();
    await c.kubectl(['apply', '-f', '-'], { input: objects('v2', 's2') });
    await waitFor('configMap update visible in the container', async () => ((await exec('vol', 'cat /etc/cm/conf/key.txt')).stdout === 'v2' ? true : undefined), 60_000);
    await waitFor('secret update visible in the container', async () => ((await exec('vol', 'cat /etc/sec/password')).stdout === 's2' ? true : undefined), 60_000);
    const propagationMs = Date.now() - t0;
    console.log(`configMap+secret update → visible in the container: ${propagationMs} ms (sync frequency 2 s)`);
    // subPath mounts pin the file they were started with.
    assert.equal((await exec('vol', 'cat /etc/sub.txt')).stdout, 'v1');

    // readOnly volumeMount: the same emptyDir is writable at /rw and read-only at /ro.
    assert.equal((await exec('vol', 'echo hi > /rw/f && cat /ro/f')).stdout, 'hi\n');
    // A directory subPath of an emptyDir is created and shared with the whole-volume mount.
    assert.equal((await exec('vol', 'echo deep > /sub/f && cat /rw/data/one/f')).stdout, 'deep\n');
    const ro = await exec('vol', 'echo no > /ro/g');
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);

    // Memory emptyDir with sizeLimit 1Mi: a 1 MiB tmpfs, so a 2 MiB write hits ENOSPC.
    assert.match((await exec('vol', 'df -k /mem | tail -1')).stdout, /^tmpfs\s+1024\s/);
    const full = await exec('vol', 'dd if=/dev/zero of=/mem/f bs=1024 count=2048');
    assert.notEqual(full.code, 0);
    assert.match(full.stderr, /No space left on device/);

    // Disk emptyDir over its sizeLimit: evicted by the kubelet's eviction manager.
    const hog = await waitFor('pod hog evicted', async () => {
      const p = await json(['get', 'pod', 'hog']);
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 60_000);
    assert.equal(hog.status.reason, 'Evicted');
    assert.equal(hog.status.message, 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". ');
    // The eviction reclaims the emptyDir: its directory is gone while the pod object stays.
    const emptyDirOf = (uid: string, name: string) => path.join(id.dataDir, 'agent', 'kubelet', 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', name);
    assert.ok(existsSync(emptyDirOf((await json(['get', 'pod', 'vol'])).metadata.uid, 'scratch')), 'a running pod keeps its emptyDir');
    const cacheDir = emptyDirOf(hog.metadata.uid, 'cache');
    await waitFor('evicted emptyDir removed', () => !existsSync(cacheDir), 30_000);
    const ev = await waitFor('Evicted event', async () => (await events('hog')).find((e) => e.reason === 'Evicted'), 30_000);
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". ');

    // hostPath type mismatch: the pod never starts, FailedMount says why.
    const fm = await waitFor('FailedMount event', async () => (await events('hp')).find((e) => e.reason === 'FailedMount'), 30_000);
    assert.equal(fm.type, 'Warning');
    assert.equal(fm.message, `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${notADir} is not a directory`);
    assert.equal((await json(['get', 'pod', 'hp'])).status?.phase, 'Pending');

    // A full Memory emptyDir is at (not over) its limit: `vol` was not evicted.
    assert.equal((await json(['get', 'pod', 'vol'])).status?.phase, 'Running');
    // `vol` stays: stopping the server with --cleanup-on-exit must unmount its tmpfs volumes (checked by leftovers()).
    await c.kubectl(['delete', 'pod', 'hog', 'hp', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
  });
});
