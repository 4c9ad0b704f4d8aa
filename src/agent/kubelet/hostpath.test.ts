import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkHostPathType } from './hostpath.ts';

describe('checkHostPathType (upstream hostPath checkType)', () => {
  let dir: string;
  let sock: string;
  let server: Server;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-'));
    await mkdir(path.join(dir, 'd'));
    await writeFile(path.join(dir, 'f'), 'x');
    sock = path.join(dir, 's.sock');
    server = createServer();
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  const fails = (p: string, type: string, msg: string) => assert.rejects(checkHostPathType(p, type), (e: Error) => (assert.equal(e.message, msg), true));

  test('unset type: no check, nothing created', async () => {
    await checkHostPathType(path.join(dir, 'missing'), '');
    await checkHostPathType(path.join(dir, 'missing'), undefined);
    await assert.rejects(stat(path.join(dir, 'missing')));
  });

  test('DirectoryOrCreate creates with 0755 (parents too), accepts a dir, refuses a file', async () => {
    const p = path.join(dir, 'new', 'nested');
    const old = process.umask(0);
    try {
      await checkHostPathType(p, 'DirectoryOrCreate');
    } finally {
      process.umask(old);
    }
    const st = await stat(p);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o755);
    assert.equal(st.uid, process.getuid!());
    await checkHostPathType(path.join(dir, 'd'), 'DirectoryOrCreate');
    await fails(path.join(dir, 'f'), 'DirectoryOrCreate', `hostPath type check failed: ${dir}/f is not a directory`);
  });

  test('Directory', async () => {
    await checkHostPathType(path.join(dir, 'd'), 'Directory');
    await fails(path.join(dir, 'f'), 'Directory', `hostPath type check failed: ${dir}/f is not a directory`);
    await fails(path.join(dir, 'nope'), 'Directory', `hostPath type check failed: ${dir}/nope is not a directory`);
  });

  test('FileOrCreate creates an empty 0644 file, accepts a file, refuses a dir; the parent must exist', async () => {
    const p = path.join(dir, 'created');
    const old = process.umask(0);
    try {
      await checkHostPathType(p, 'FileOrCreate');
    } finally {
      process.umask(old);
    }
    const st = await stat(p);
    assert.ok(st.isFile());
    assert.equal(st.size, 0);
    assert.equal(st.mode & 0o777, 0o644);
    await checkHostPathType(path.join(dir, 'f'), 'FileOrCreate');
    await fails(path.join(dir, 'd'), 'FileOrCreate', `hostPath type check failed: ${dir}/d is not a file`);
    await fails(path.join(dir, 'no', 'file'), 'FileOrCreate', `open ${dir}/no/file: no such file or directory`);
  });

  test('File', async () => {
    await checkHostPathType(path.join(dir, 'f'), 'File');
    await fails(path.join(dir, 'd'), 'File', `hostPath type check failed: ${dir}/d is not a file`);
    await fails(path.join(dir, 'nope'), 'File', `hostPath type check failed: ${dir}/nope is not a file`);
  });

  test('Socket (a unix socket made here)', async () => {
    await checkHostPathType(sock, 'Socket');
    await fails(path.join(dir, 'f'), 'Socket', `hostPath type check failed: ${dir}/f is not a socket file`);
  });

  test('CharDevice (/dev/null)', async () => {
    await checkHostPathType('/dev/null', 'CharDevice');
    await fails(path.join(dir, 'f'), 'CharDevice', `hostPath type check failed: ${dir}/f is not a character device`);
    await fails(sock, 'CharDevice', `hostPath type check failed: ${sock} is not a character device`);
  });

  test('BlockDevice', async () => {
    await fails('/dev/null', 'BlockDevice', 'hostPath type check failed: /dev/null is not a block device');
    await fails(path.join(dir, 'd'), 'BlockDevice', `hostPath type check failed: ${dir}/d is not a block device`);
  });

  test('an unknown type is invalid', async () => {
    await fails(path.join(dir, 'd'), 'Fifo', 'Fifo is an invalid volume type');
  });
});
