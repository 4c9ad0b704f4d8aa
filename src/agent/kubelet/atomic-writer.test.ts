import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, readdir, rm, stat, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atomicWrite, timestampDirPrefix, validatePayloadPath, type FileProjection } from './atomic-writer.ts';

const payload = (o: Record<string, string>, mode = 0o644) =>
  new Map<string, FileProjection>(Object.entries(o).map(([k, v]) => [k, { data: Buffer.from(v), mode }]));

describe('atomicWrite (upstream AtomicWriter layout)', () => {
  test('..data symlink to a timestamped dir, per-key relative symlinks, modes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'aw-'));
    try {
      assert.equal(await atomicWrite(dir, payload({ a: '1', 'sub/b': '2' }, 0o600)), true);
      const data = await readlink(path.join(dir, '..data'));
      assert.match(data, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
      assert.equal(await readlink(path.join(dir, 'a')), '..data/a');
      assert.equal(await readlink(path.join(dir, 'sub')), '..data/sub');
      assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), '1');
      assert.equal(await readFile(path.join(dir, 'sub', 'b'), 'utf8'), '2');
      assert.equal((await stat(path.join(dir, 'a'))).mode & 0o777, 0o600);
      assert.equal((await stat(path.join(dir, data))).mode & 0o777, 0o755);
      assert.deepEqual((await readdir(dir)).sort(), ['..data', data, 'a', 'sub'].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('unchanged payload writes nothing; a change swaps ..data, removes old keys and the old dir', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'aw-'));
    try {
      await atomicWrite(dir, payload({ a: '1', gone: 'x' }));
      const first = await readlink(path.join(dir, '..data'));
      assert.equal(await atomicWrite(dir, payload({ a: '1', gone: 'x' })), false);
      assert.equal(await readlink(path.join(dir, '..data')), first);
      // A reader holding the old file keeps the old inode (what a subPath bind mount pins).
      const oldIno = (await stat(path.join(dir, 'a'))).ino;
      assert.equal(await atomicWrite(dir, payload({ a: '2', c: '3' })), true);
      const second = await readlink(path.join(dir, '..data'));
      assert.notEqual(second, first);
      assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), '2');
      assert.notEqual((await stat(path.join(dir, 'a'))).ino, oldIno);
      assert.equal(await readFile(path.join(dir, 'c'), 'utf8'), '3');
      assert.deepEqual((await readdir(dir)).sort(), ['..data', second, 'a', 'c'].sort());
      // A mode change alone is a new version too.
      assert.equal(await atomicWrite(dir, payload({ a: '2', c: '3' }, 0o400)), true);
      assert.equal((await stat(path.join(dir, 'c'))).mode & 0o777, 0o400);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a plain file from an older layout is replaced by the symlink', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'aw-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path.join(dir, 'a'), 'old');
      await atomicWrite(dir, payload({ a: 'new' }));
      assert.ok((await lstat(path.join(dir, 'a'))).isSymbolicLink());
      assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), 'new');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('invalid paths are refused with upstream validatePath wording', async () => {
    assert.equal(validatePayloadPath('a/b'), undefined);
    assert.equal(validatePayloadPath('..'), "invalid path: must not contain '..': ..");
    assert.equal(validatePayloadPath('a/../b'), "invalid path: must not contain '..': a/../b");
    assert.equal(validatePayloadPath('..data'), "invalid path: must not start with '..': ..data");
    assert.equal(validatePayloadPath('/abs'), 'invalid path: must be relative path: /abs');
    assert.equal(validatePayloadPath(''), 'invalid path: must not be empty: ""');
    assert.equal(validatePayloadPath('x'.repeat(256)), 'invalid path: filenames must be less than or equal to 255 characters');
    const dir = await mkdtemp(path.join(tmpdir(), 'aw-'));
    try {
      await assert.rejects(atomicWrite(dir, payload({ '../x': '1' })), /must not contain '\.\.'/);
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('timestamp prefix uses Go layout ..2006_01_02_15_04_05. in UTC', () => {
    assert.equal(timestampDirPrefix(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '..2026_01_02_03_04_05.');
  });
});
