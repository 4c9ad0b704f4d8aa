import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpec, containerArgs, containerEnv, milliCpuToQuota, milliCpuToShares, NoCommandError, resolveUser } from './spec.ts';

describe('containerArgs (Kubernetes command/args vs image Entrypoint/Cmd)', () => {
  // Table from the Kubernetes docs "Define a Command and Arguments for a Container" (notes table).
  const image = { Entrypoint: ['/ep-1'], Cmd: ['foo', 'bar'] };
  const cases: { name: string; command?: string[]; args?: string[]; want: string[] }[] = [
    { name: 'neither: image entrypoint + cmd', want: ['/ep-1', 'foo', 'bar'] },
    { name: 'command only: cmd dropped', command: ['/ep-2'], want: ['/ep-2'] },
    { name: 'args only: entrypoint + args', args: ['zoo', 'boo'], want: ['/ep-1', 'zoo', 'boo'] },
    { name: 'both: command + args', command: ['/ep-2'], args: ['zoo', 'boo'], want: ['/ep-2', 'zoo', 'boo'] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(containerArgs(image, c.command, c.args), c.want));
  }
  test('Entrypoint [""] counts as empty', () => {
    assert.deepEqual(containerArgs({ Entrypoint: [''], Cmd: ['/bin/sh'] }), ['/bin/sh']);
  });
  test('empty result throws', () => {
    assert.throws(() => containerArgs({}), NoCommandError);
  });
});

describe('containerEnv', () => {
  test('image env overlaid by container envs, in place; HOSTNAME set', () => {
    const env = containerEnv({ Env: ['PATH=/bin', 'A=1', 'B=2'] }, 'web-0', [
      { key: 'B', value: 'x' },
      { key: 'C', value: '3' },
    ]);
    assert.deepEqual(env, ['PATH=/bin', 'A=1', 'B=x', 'HOSTNAME=web-0', 'C=3']);
  });
  test('default PATH when the image has none', () => {
    assert.equal(containerEnv({}, 'h', [])[0], 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });
});

describe('cpu conversions (kubelet helpers_linux.go)', () => {
  test('MilliCPUToShares', () => {
    // Values from kubelet's TestMilliCPUToShares: 0→2 (MinShares), 1→2, 1000→1024, 500→512.
    assert.equal(milliCpuToShares(0), 2);
    assert.equal(milliCpuToShares(1), 2);
    assert.equal(milliCpuToShares(1000), 1024);
    assert.equal(milliCpuToShares(500), 512);
  });
  test('MilliCPUToQuota with a 100ms period', () => {
    // kubelet's TestMilliCPUToQuota: 0→none, 5m→1000 (MinQuotaPeriod), 9m→1000, 10m→1000, 200m→20000, 500m→50000, 1000m→100000, 1500m→150000.
    assert.equal(milliCpuToQuota(0), undefined);
    assert.equal(milliCpuToQuota(5), 1000);
    assert.equal(milliCpuToQuota(9), 1000);
    assert.equal(milliCpuToQuota(10), 1000);
    assert.equal(milliCpuToQuota(200), 20000);
    assert.equal(milliCpuToQuota(500), 50000);
    assert.equal(milliCpuToQuota(1000), 100000);
    assert.equal(milliCpuToQuota(1500), 150000);
  });
});

describe('resolveUser', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-spec-'));
  await mkdir(join(dir, 'etc'));
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\nwww:x:33:34::/:/bin/sh\n');
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nwwwgrp:x:34:\nstaff:x:50:\n');
  test('default root', async () => assert.deepEqual(await resolveUser(dir, undefined), { uid: 0, gid: 0 }));
  test('name → uid and primary gid', async () => assert.deepEqual(await resolveUser(dir, 'www'), { uid: 33, gid: 34 }));
  test('uid only → gid from passwd', async () => assert.deepEqual(await resolveUser(dir, '33'), { uid: 33, gid: 34 }));
  test('name:group', async () => assert.deepEqual(await resolveUser(dir, 'www:staff'), { uid: 33, gid: 50 }));
  test('numeric uid:gid', async () => assert.deepEqual(await resolveUser(dir, '1000:1001'), { uid: 1000, gid: 1001 }));
  test('runAsUser/runAsGroup override', async () => assert.deepEqual(await resolveUser(dir, 'www', 7, 8), { uid: 7, gid: 8 }));
  test('unknown name throws', async () => assert.rejects(resolveUser(dir, 'nobody-here'), /unable to find user/));
  test('cleanup', async () => rm(dir, { recursive: true, force: true }));
});

describe('buildSpec', () => {
  const spec = buildSpec({
    args: ['httpd', '-f'],
    env: ['PATH=/bin'],
    cwd: '/www',
    uid: 0,
    gid: 0,
    hostname: 'web',
    rootfs: '/b/rootfs',
    netnsPath: '/var/run/netns/x',
    cgroupsPath: '/skiff/uid/cid',
    etcFiles: { hosts: '/s/hosts', resolvConf: '/s/resolv.conf', hostname: '/s/hostname' },
    mounts: [{ containerPath: '/data', hostPath: '/h/data', readonly: true }],
    resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 100 },
  });
  test('joins the pod netns by path and keeps its own pid/ipc/uts/mount namespaces', () => {
    assert.deepEqual(spec.linux.namespaces, [
      { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network', path: '/var/run/netns/x' },
    ]);
  });
  test('resources', () => {
    assert.equal(spec.linux.cgroupsPath, '/skiff/uid/cid');
    assert.deepEqual(spec.linux.resources.cpu, { shares: 256, quota: 50000, period: 100000 });
    assert.deepEqual(spec.linux.resources.memory, { limit: 67108864 });
    assert.deepEqual(spec.linux.resources.pids, { limit: 100 });
  });
  test('mounts: etc files and a read-only bind', () => {
    const hosts = spec.mounts.find((m: { destination: string }) => m.destination === '/etc/hosts');
    assert.equal(hosts.source, '/s/hosts');
    const data = spec.mounts.find((m: { destination: string }) => m.destination === '/data');
    assert.deepEqual(data, { destination: '/data', type: 'bind', source: '/h/data', options: ['rbind', 'rprivate', 'ro'] });
  });
  test('process', () => {
    assert.equal(spec.process.terminal, false);
    assert.deepEqual(spec.process.args, ['httpd', '-f']);
    assert.equal(spec.process.cwd, '/www');
    assert.equal(spec.root.path, '/b/rootfs');
    assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
  });
});
