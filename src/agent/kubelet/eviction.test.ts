import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { diskUsageBytes, emptyDirLimitExceeded, localStorageEviction } from './eviction.ts';

const pod = (volumes: NonNullable<Pod['spec']>['volumes']): Pod => ({ metadata: { name: 'p', namespace: 'd', uid: 'u' }, spec: { containers: [], volumes } });

describe('eviction: emptyDir sizeLimit (upstream emptyDirLimitEviction)', () => {
  test('message names the volume and the canonical limit, with upstream trailing space', () => {
    const p = pod([{ name: 'cache', emptyDir: { sizeLimit: '1024Ki' } }]);
    assert.equal(emptyDirLimitExceeded(p, new Map([['cache', 1024 * 1024 + 1]])), 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". ');
    assert.equal(emptyDirLimitExceeded(p, new Map([['cache', 1024 * 1024]])), undefined, 'equal to the limit is not over it');
  });

  test('no limit, zero limit or no measurement: never evicted', () => {
    assert.equal(emptyDirLimitExceeded(pod([{ name: 'a', emptyDir: {} }]), new Map([['a', 1e12]])), undefined);
    assert.equal(emptyDirLimitExceeded(pod([{ name: 'a', emptyDir: { sizeLimit: '0' } }]), new Map([['a', 1e12]])), undefined);
    assert.equal(emptyDirLimitExceeded(pod([{ name: 'a', emptyDir: { sizeLimit: '1Mi' } }]), new Map()), undefined);
  });

  test('diskUsageBytes counts allocated blocks like du, hard links once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'du-'));
    try {
      const empty = await diskUsageBytes(dir);
      await mkdir(path.join(dir, 'sub'));
      await writeFile(path.join(dir, 'sub', 'big'), Buffer.alloc(2 * 1024 * 1024, 1));
      const withFile = await diskUsageBytes(dir);
      assert.ok(withFile - empty >= 2 * 1024 * 1024, `usage ${withFile - empty}`);
      await link(path.join(dir, 'sub', 'big'), path.join(dir, 'hard'));
      assert.equal(await diskUsageBytes(dir), withFile);
      assert.equal(await diskUsageBytes(path.join(dir, 'missing')), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('localStorageEviction measures the pod emptyDir dirs', async () => {
    const vols = await mkdtemp(path.join(tmpdir(), 'vols-'));
    try {
      const d = path.join(vols, 'kubernetes.io~empty-dir', 'scratch');
      await mkdir(d, { recursive: true });
      const p = pod([{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }, { name: 'other', emptyDir: {} }]);
      assert.equal(await localStorageEviction(p, vols), undefined);
      await writeFile(path.join(d, 'fill'), Buffer.alloc(1536 * 1024, 1));
      assert.equal(await localStorageEviction(p, vols), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    } finally {
      await rm(vols, { recursive: true, force: true });
    }
  });
});
