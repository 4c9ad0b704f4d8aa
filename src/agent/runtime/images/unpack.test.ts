// Layer application: OCI whiteouts (image-spec layer.md), diff_id verification, path safety and
// ownership, with both extractors. Layers are built byte by byte in the test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { applyLayer, unpackLayers, hasZstd, type Extractor, type LayerFile } from './unpack.ts';
import { DigestMismatchError, UnpackError } from './errors.ts';

interface E {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  body?: string;
  linkpath?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** A ustar archive of the entries, exactly as given (no path cleaning). */
function makeTar(entries: E[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? (e.path.endsWith('/') ? 'Directory' : 'File');
    const body = Buffer.from(e.body ?? '');
    const h = new Header({
      path: e.path,
      type,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size: type === 'File' ? body.length : 0,
      mtime: new Date(1700000000000),
      linkpath: e.linkpath,
      uname: '',
      gname: '',
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let work: string;
let n = 0;
function layerFile(entries: E[], compression: 'gzip' | 'none' | 'zstd' = 'gzip'): LayerFile & { tar: Buffer } {
  const t = makeTar(entries);
  const path = join(work, `layer-${n++}`);
  if (compression === 'gzip') writeFileSync(path, gzipSync(t));
  else if (compression === 'none') writeFileSync(path, t);
  else {
    writeFileSync(path + '.tar', t);
    execFileSync('zstd', ['-q', '-f', path + '.tar', '-o', path]);
  }
  return { path, compression, tar: t };
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'skiff-unpack-test-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

for (const extractor of ['gnu-tar', 'node-tar'] as Extractor[]) {
  describe(`whiteouts with ${extractor}`, () => {
    test('`.wh.<name>` removes lower files and directories; `.wh..wh..opq` empties the lower directory but keeps this layer', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const l1 = layerFile([
        { path: 'bin/' },
        { path: 'bin/sh', body: 'shell', mode: 0o755 },
        { path: 'bin/vi', body: 'editor', mode: 0o755 },
        { path: 'etc/' },
        { path: 'etc/owned', body: 'x', uid: 1234, gid: 5678, mode: 0o640 },
        { path: 'etc/link', type: 'SymbolicLink', linkpath: 'owned' },
        { path: 'opt/' },
        { path: 'opt/x/' },
        { path: 'opt/x/lower1', body: '1' },
        { path: 'opt/x/sub/' },
        { path: 'opt/x/sub/lower2', body: '2' },
        { path: 'opt/keep', body: 'k' },
        { path: 'var/' },
        { path: 'var/cache/' },
        { path: 'var/cache/junk', body: 'j' },
        { path: 'srv/' },
        { path: 'srv/a/' },
        { path: 'srv/a/old', body: 'old' },
      ]);
      const l2 = layerFile([
        { path: 'bin/' },
        { path: 'bin/.wh.vi' },
        { path: 'var/.wh.cache' },
        // this layer's entry before the opaque marker must survive
        { path: 'opt/x/' },
        { path: 'opt/x/upper', body: 'u' },
        { path: 'opt/x/.wh..wh..opq' },
        { path: 'srv/a/.wh..wh..opq' },
        { path: 'srv/a/new', body: 'new' },
        { path: 'etc/owned', body: 'rewritten', uid: 1234, gid: 5678, mode: 0o640 },
      ]);
      const applied = await unpackLayers(root, [{ ...l1, diffId: sha(l1.tar) }, { ...l2, diffId: sha(l2.tar) }], extractor);
      assert.deepEqual(applied.map((a) => a.diffId), [sha(l1.tar), sha(l2.tar)]);
      assert.deepEqual(applied.map((a) => a.size), [l1.tar.length, l2.tar.length]);
      assert.equal(readFileSync(join(root, 'bin/sh'), 'utf8'), 'shell');
      assert.equal(existsSync(join(root, 'bin/vi')), false);
      assert.equal(existsSync(join(root, 'bin/.wh.vi')), false);
      assert.equal(existsSync(join(root, 'var/cache')), false);
      assert.equal(existsSync(join(root, 'var')), true);
      assert.equal(existsSync(join(root, 'opt/x/lower1')), false);
      assert.equal(existsSync(join(root, 'opt/x/sub')), false);
      assert.equal(readFileSync(join(root, 'opt/x/upper'), 'utf8'), 'u');
      assert.equal(existsSync(join(root, 'opt/x/.wh..wh..opq')), false);
      assert.equal(readFileSync(join(root, 'opt/keep'), 'utf8'), 'k');
      assert.equal(existsSync(join(root, 'srv/a/old')), false);
      assert.equal(readFileSync(join(root, 'srv/a/new'), 'utf8'), 'new');
      assert.equal(readFileSync(join(root, 'etc/owned'), 'utf8'), 'rewritten');
      assert.equal(readlinkSync(join(root, 'etc/link')), 'owned');
      const st = lstatSync(join(root, 'etc/owned'));
      assert.equal(st.uid, isRoot ? 1234 : process.getuid!());
      assert.equal(st.gid, isRoot ? 5678 : process.getgid!());
      assert.equal(st.mode & 0o777, 0o640);
      assert.equal(lstatSync(join(root, 'bin/sh')).mode & 0o777, 0o755);
    });

    test('uncompressed and zstd layers', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const plain = layerFile([{ path: 'a', body: 'plain' }], 'none');
      await applyLayer(root, { ...plain, diffId: sha(plain.tar) }, extractor);
      assert.equal(readFileSync(join(root, 'a'), 'utf8'), 'plain');
      // zstd is in the base system of the project's machines; without it the layer must fail clearly.
      if (!hasZstd()) {
        await assert.rejects(applyLayer(root, { path: plain.path, compression: 'zstd' }, extractor), /needs the `zstd` command/);
        return;
      }
      const z = layerFile([{ path: 'b', body: 'zstd' }, { path: '.wh.a' }], 'zstd');
      await applyLayer(root, { ...z, diffId: sha(z.tar) }, extractor);
      assert.equal(readFileSync(join(root, 'b'), 'utf8'), 'zstd');
      assert.equal(existsSync(join(root, 'a')), false);
    });

    test('without the zstd command a zstd layer fails with a clear error', () => {
      const z = layerFile([{ path: 'b', body: 'zstd' }], 'none'); // never decompressed: the missing command is found first
      const root = mkdtempSync(join(work, 'root-'));
      const code = `import { applyLayer } from './src/agent/runtime/images/unpack.ts';
        applyLayer(${JSON.stringify(root)}, { path: ${JSON.stringify(z.path)}, compression: 'zstd' }, '${extractor}')
          .then(() => console.log('applied'), (e) => console.log(e.name + ': ' + e.message));`;
      // PATH without zstd (nor tar: pass 1 fails before any extraction is attempted).
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: join(import.meta.dirname, '../../../..'),
        env: { PATH: mkdtempSync(join(work, 'emptybin-')) },
        encoding: 'utf8',
      });
      assert.match(out, /^UnsupportedError: layer is compressed with zstd, which needs the `zstd` command/);
      assert.equal(existsSync(join(root, 'b')), false);
    });

    test('a diff_id mismatch fails the layer', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const l = layerFile([{ path: 'a', body: 'x' }]);
      await assert.rejects(applyLayer(root, { ...l, diffId: `sha256:${'0'.repeat(64)}` }, extractor), DigestMismatchError);
    });

    test('paths with `..` are rejected and nothing escapes the root', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const l = layerFile([{ path: 'ok', body: 'x' }, { path: '../escaped', body: 'x' }]);
      await assert.rejects(applyLayer(root, l, extractor), UnpackError);
      assert.equal(existsSync(join(root, '..', 'escaped')), false);
      const hl = layerFile([{ path: 'hard', type: 'Link', linkpath: '../../etc/passwd' }]);
      await assert.rejects(applyLayer(root, hl, extractor), UnpackError);
    });

    test('absolute paths are taken relative to the root', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const l = layerFile([{ path: '/abs/file', body: 'inside' }]);
      await applyLayer(root, l, extractor);
      assert.equal(readFileSync(join(root, 'abs/file'), 'utf8'), 'inside');
    });

    test('no write, removal or hard link through a symlink of a lower layer or of the same layer', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const outside = mkdtempSync(join(work, 'outside-'));
      writeFileSync(join(outside, 'victim'), 'safe');
      const l1 = layerFile([{ path: 'evil', type: 'SymbolicLink', linkpath: outside }]);
      await applyLayer(root, l1, extractor);
      await assert.rejects(applyLayer(root, layerFile([{ path: 'evil/pwned', body: 'x' }]), extractor), UnpackError);
      await assert.rejects(applyLayer(root, layerFile([{ path: 'evil/.wh.victim' }]), extractor), UnpackError);
      await assert.rejects(applyLayer(root, layerFile([{ path: 'evil/.wh..wh..opq' }]), extractor), UnpackError);
      await assert.rejects(applyLayer(root, layerFile([{ path: 'h', type: 'Link', linkpath: 'evil/victim' }]), extractor), UnpackError);
      await assert.rejects(
        applyLayer(root, layerFile([{ path: 'l2', type: 'SymbolicLink', linkpath: outside }, { path: 'l2/pwned', body: 'x' }]), extractor),
        UnpackError,
      );
      assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'safe');
      assert.equal(existsSync(join(outside, 'pwned')), false);
      // A layer may replace the lower symlink by a real directory and then fill it.
      await applyLayer(root, layerFile([{ path: 'evil/' }, { path: 'evil/fine', body: 'ok' }]), extractor);
      assert.equal(lstatSync(join(root, 'evil')).isDirectory(), true);
      assert.equal(readFileSync(join(root, 'evil/fine'), 'utf8'), 'ok');
      assert.equal(existsSync(join(outside, 'fine')), false);
    });

    test('a corrupt archive fails clearly', async () => {
      const root = mkdtempSync(join(work, 'root-'));
      const path = join(work, `corrupt-${n++}`);
      mkdirSync(join(work, 'x'), { recursive: true });
      writeFileSync(path, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]));
      await assert.rejects(applyLayer(root, { path, compression: 'gzip' }, extractor), UnpackError);
    });
  });
}
