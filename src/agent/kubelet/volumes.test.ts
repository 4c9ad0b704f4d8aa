import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR } from '../../client/interface.ts';
import { emptyDirMemorySize, VolumeError, VolumeManager } from './volumes.ts';

const pod = (volumes: Volume[], uid = 'uid-1'): Pod => ({ metadata: { name: 'p', namespace: 'default', uid }, spec: { containers: [{ name: 'c' }], volumes } });

async function withManager(fn: (vm: VolumeManager, fake: FakeClient, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'vm-'));
  const fake = new FakeClient();
  try {
    await fn(new VolumeManager(root, fake, false), fake, root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('VolumeManager: configMap/secret projection and refresh', () => {
  test('items, defaultMode and per-item mode; an update is swapped in on the next mount call', async () => {
    await withManager(async (vm, fake) => {
      await fake.create(GVR.configmaps, 'default', { metadata: { name: 'cfg' }, data: { a: '1', b: '2' } });
      const vols = [{ name: 'cm', configMap: { name: 'cfg', defaultMode: 0o440, items: [{ key: 'a', path: 'x/a.txt' }, { key: 'b', path: 'b', mode: 0o400 }] } }];
      const dir = (await vm.mountPodVolumes(pod(vols))).get('cm')!;
      assert.equal(await readFile(path.join(dir, 'x/a.txt'), 'utf8'), '1');
      assert.equal((await stat(path.join(dir, 'x/a.txt'))).mode & 0o777, 0o440);
      assert.equal((await stat(path.join(dir, 'b'))).mode & 0o777, 0o400);
      const v1 = await readlink(path.join(dir, '..data'));
      await vm.mountPodVolumes(pod(vols));
      assert.equal(await readlink(path.join(dir, '..data')), v1, 'unchanged object: no new version');
      const cm = (await fake.get(GVR.configmaps, 'default', 'cfg')) as { data: Record<string, string> };
      await fake.update(GVR.configmaps, 'default', { ...cm, data: { a: '10', b: '2' } } as never);
      await vm.mountPodVolumes(pod(vols));
      assert.notEqual(await readlink(path.join(dir, '..data')), v1);
      assert.equal(await readFile(path.join(dir, 'x/a.txt'), 'utf8'), '10');
      assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')).sort(), ['b', 'x']);
    });
  });

  test('missing keys: upstream messages for configMap and secret; optional skips them', async () => {
    await withManager(async (vm, fake) => {
      await fake.create(GVR.configmaps, 'default', { metadata: { name: 'cfg' }, data: { a: '1' } });
      await fake.create(GVR.secrets, 'default', { metadata: { name: 's' }, data: { a: Buffer.from('x').toString('base64') } });
      await assert.rejects(vm.mountPodVolumes(pod([{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'n' }] } }])), (e: Error) => {
        assert.ok(e instanceof VolumeError);
        assert.equal(e.message, 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: nope');
        return true;
      });
      await assert.rejects(vm.mountPodVolumes(pod([{ name: 'v', secret: { secretName: 's', items: [{ key: 'nope', path: 'n' }] } }])), {
        message: 'MountVolume.SetUp failed for volume "v" : references non-existent secret key: nope',
      });
      const dir = (await vm.mountPodVolumes(pod([{ name: 'v', secret: { secretName: 's', optional: true, items: [{ key: 'nope', path: 'n' }, { key: 'a', path: 'a' }] } }]))).get('v')!;
      assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), 'x');
    });
  });

  test('a missing object fails unless optional; an optional one appears once created', async () => {
    await withManager(async (vm, fake) => {
      await assert.rejects(vm.mountPodVolumes(pod([{ name: 'v', configMap: { name: 'later' } }])), {
        message: 'MountVolume.SetUp failed for volume "v" : configmap "later" not found',
      });
      await assert.rejects(vm.mountPodVolumes(pod([{ name: 'v', secret: { secretName: 'later' } }])), {
        message: 'MountVolume.SetUp failed for volume "v" : secret "later" not found',
      });
      const vols = [{ name: 'v', configMap: { name: 'later', optional: true } }];
      const dir = (await vm.mountPodVolumes(pod(vols))).get('v')!;
      assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')), []);
      await fake.create(GVR.configmaps, 'default', { metadata: { name: 'later' }, data: { k: 'v' } });
      await vm.mountPodVolumes(pod(vols));
      assert.equal(await readFile(path.join(dir, 'k'), 'utf8'), 'v');
    });
  });

  test('immutable ConfigMap/Secret: projected once, never fetched again for that pod', async () => {
    await withManager(async (vm, fake) => {
      await fake.create(GVR.configmaps, 'default', { metadata: { name: 'cfg' }, data: { a: '1' }, immutable: true } as never);
      await fake.create(GVR.secrets, 'default', { metadata: { name: 's' }, stringData: { p: 'pw' }, immutable: true } as never);
      const vols = [{ name: 'cm', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 's' } }];
      const m = await vm.mountPodVolumes(pod(vols));
      assert.equal(await readFile(path.join(m.get('cm')!, 'a'), 'utf8'), '1');
      assert.equal(await readFile(path.join(m.get('sec')!, 'p'), 'utf8'), 'pw');
      fake.actions.length = 0;
      await vm.mountPodVolumes(pod(vols));
      assert.deepEqual(fake.actions.filter((a) => a.verb === 'get'), []);
      // After the pod's volumes are torn down, a new pod with the same uid fetches again.
      await vm.unmountPodVolumes('uid-1');
      await vm.mountPodVolumes(pod(vols));
      assert.equal(fake.actions.filter((a) => a.verb === 'get').length, 2);
    });
  });

  test('hostPath type mismatch is a FailedMount VolumeError; a passed check is not repeated for the pod', async () => {
    await withManager(async (vm, _fake, root) => {
      await assert.rejects(vm.mountPodVolumes(pod([{ name: 'h', hostPath: { path: path.join(root, 'nope'), type: 'Directory' } }])), {
        message: `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${root}/nope is not a directory`,
      });
      const d = path.join(root, 'made');
      const vols = [{ name: 'h', hostPath: { path: d, type: 'DirectoryOrCreate' } }];
      assert.equal((await vm.mountPodVolumes(pod(vols))).get('h'), d);
      await rm(d, { recursive: true });
      await vm.mountPodVolumes(pod(vols));
      await assert.rejects(stat(d), 'not re-created while the pod runs');
    });
  });
});

describe('emptyDirMemorySize (upstream calculateEmptyDirMemorySize)', () => {
  const Gi = 1024 ** 3;
  const withLimits = (limits: (string | undefined)[]): Pod => ({
    spec: { containers: limits.map((l, i) => ({ name: `c${i}`, resources: l ? { limits: { memory: l } } : {} })) },
  });
  test('sizeLimit, capped by the pod memory limit and node allocatable', () => {
    assert.equal(emptyDirMemorySize(withLimits([undefined]), '1Mi', 8 * Gi), 1024 * 1024);
    assert.equal(emptyDirMemorySize(withLimits([undefined]), undefined, 8 * Gi), 8 * Gi);
    assert.equal(emptyDirMemorySize(withLimits(['1Gi', '512Mi']), undefined, 8 * Gi), 1.5 * Gi);
    assert.equal(emptyDirMemorySize(withLimits(['1Gi', undefined]), undefined, 8 * Gi), 8 * Gi, 'not every container has a limit');
    assert.equal(emptyDirMemorySize(withLimits(['1Gi']), '2Gi', 8 * Gi), Gi);
    assert.equal(emptyDirMemorySize(withLimits([undefined]), '16Gi', 8 * Gi), 8 * Gi);
  });
});
