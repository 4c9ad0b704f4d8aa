/**
 * Applies image layers (tar, tar+gzip, tar+zstd) in order into a root filesystem directory, with
 * OCI whiteouts (image-spec layer.md "Whiteouts"; the same rules as containerd's
 * `archive.Apply` / Docker's aufs-style layers):
 *
 * - `<dir>/.wh.<name>` removes `<dir>/<name>` of the lower layers;
 * - `<dir>/.wh..wh..opq` removes every lower-layer child of `<dir>`, keeping this layer's entries.
 *
 * Whiteouts only hide lower layers, so each layer is applied in two passes: pass 1 reads the tar
 * headers (node-tar's Parser) over the decompressed stream — which also yields the layer's
 * `diff_id` (sha256 of the uncompressed tar) and uncompressed size — and validates every path;
 * the whiteouts are then carried out; pass 2 extracts everything but the whiteout files, with GNU
 * tar (default: several times faster than node-tar, RUNTIME-NOTES §B3) or node-tar.
 *
 * Safety: entries whose path or hard-link target is absolute-escaping or contains `..` make the
 * layer fail ({@link UnpackError}), and so does any entry whose parent path goes through a
 * symbolic link (present from a lower layer or created earlier in the same layer), so neither
 * extraction nor whiteout removal can write outside the root. Ownership is kept numerically
 * (`--numeric-owner`; node-tar `preserveOwner`) when running as root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { DigestMismatchError, UnpackError, UnsupportedError } from './errors.ts';

/** Prefix of whiteout files. */
export const WHITEOUT_PREFIX = '.wh.';
/** Name of the opaque-directory marker. */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/** Which program extracts pass 2. */
export type Extractor = 'gnu-tar' | 'node-tar';

/** One layer to apply. */
export interface LayerFile {
  /** Path of the (compressed) layer blob on disk. */
  path: string;
  /** Compression of the blob. */
  compression: 'gzip' | 'zstd' | 'none';
  /** Expected diff_id (`sha256:` of the uncompressed tar); verified when given. */
  diffId?: string;
}

/** Result of applying one layer. */
export interface AppliedLayer {
  /** sha256 of the uncompressed tar, `sha256:<hex>`. */
  diffId: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** Number of tar entries (including whiteouts). */
  entries: number;
}

let zstdAvailable: boolean | undefined;
/** True when a `zstd` binary is on PATH (Node 20's zlib has no zstd). Cached. */
export function hasZstd(): boolean {
  if (zstdAvailable === undefined) {
    const r = spawnSync('zstd', ['--version'], { stdio: 'ignore' });
    zstdAvailable = r.status === 0;
  }
  return zstdAvailable;
}

let gnuTarAvailable: boolean | undefined;
/** True when `tar --version` reports GNU tar. Cached. */
export function hasGnuTar(): boolean {
  if (gnuTarAvailable === undefined) {
    const r = spawnSync('tar', ['--version'], { encoding: 'utf8' });
    gnuTarAvailable = r.status === 0 && /GNU tar/.test(r.stdout);
  }
  return gnuTarAvailable;
}

/** A readable of the uncompressed tar stream of a layer file. Throws UnsupportedError for zstd without the CLI. */
export function decompressedStream(layer: LayerFile): Readable {
  const raw = createReadStream(layer.path);
  if (layer.compression === 'none') return raw;
  if (layer.compression === 'gzip') {
    const gz = createGunzip();
    raw.on('error', (e) => gz.destroy(e));
    return raw.pipe(gz);
  }
  if (!hasZstd()) {
    raw.destroy();
    throw new UnsupportedError('layer is compressed with zstd, which needs the `zstd` command (Node 20 zlib has no zstd); install zstd');
  }
  raw.destroy();
  const child = spawn('zstd', ['-d', '-c', '-q', layer.path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new UnpackError(`zstd -d failed (exit ${code}): ${stderr.trim()}`));
  });
  child.on('error', (e) => out.destroy(e));
  return out;
}

/** Normalises a tar entry path to a clean relative path ('' for the root); throws UnpackError on `..`. */
export function cleanEntryPath(p: string, layerPath: string): string {
  let s = p.replace(/\\/g, '/');
  while (s.startsWith('/')) s = s.slice(1);
  const parts: string[] = [];
  for (const c of s.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new UnpackError(`layer ${layerPath}: entry "${p}" escapes the root filesystem`);
    parts.push(c);
  }
  return parts.join('/');
}

interface ScanResult {
  diffId: string;
  size: number;
  entries: number;
  /** Paths (relative) to remove from lower layers. */
  removals: string[];
  /** Directories (relative) whose lower children are all removed. */
  opaques: string[];
}

/**
 * Pass 1: reads headers, hashes the uncompressed stream, validates paths, collects whiteouts.
 * Throws UnpackError (bad paths, symlink traversal, corrupt tar), DigestMismatchError (diff_id).
 */
async function scanLayer(root: string, layer: LayerFile): Promise<ScanResult> {
  const hash = createHash('sha256');
  let size = 0;
  let entries = 0;
  const removals: string[] = [];
  const opaques: string[] = [];
  const layerSymlinks = new Set<string>();
  const layerDirs = new Set<string>();
  const diskSymlink = new Map<string, boolean>();
  const pendingChecks: string[] = [];
  let parseError: Error | undefined;

  const parser = new tar.Parser({
    onwarn: (code: string, message: string | Error) => {
      if (code === 'TAR_ENTRY_INVALID' || code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') {
        parseError ??= new UnpackError(`layer ${layer.path}: invalid tar: ${message instanceof Error ? message.message : message}`);
      }
    },
    onReadEntry: (entry: tar.ReadEntry) => {
      entries++;
      try {
        const rel = cleanEntryPath(entry.path, layer.path);
        if (entry.type === 'Link' && entry.linkpath !== undefined) {
          const target = cleanEntryPath(entry.linkpath, layer.path);
          pendingChecks.push(target);
        }
        if (rel === '') return;
        const base = posix.basename(rel);
        const dir = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
        pendingChecks.push(rel);
        // Symlinks created earlier in this layer must not be traversed by later entries.
        for (let d = dir; d !== ''; d = posix.dirname(d) === '.' ? '' : posix.dirname(d)) {
          if (layerSymlinks.has(d) && !layerDirs.has(d)) {
            throw new UnpackError(`layer ${layer.path}: entry "${entry.path}" goes through the symbolic link "${d}"; refusing to extract through symbolic links`);
          }
        }
        if (base === WHITEOUT_OPAQUE) opaques.push(dir);
        else if (base.startsWith(WHITEOUT_PREFIX)) removals.push(posix.join(dir, base.slice(WHITEOUT_PREFIX.length)));
        else if (entry.type === 'SymbolicLink') {
          layerSymlinks.add(rel);
          layerDirs.delete(rel);
        } else if (entry.type === 'Directory') {
          layerDirs.add(rel);
          layerSymlinks.delete(rel);
        }
      } catch (err) {
        parseError ??= err as Error;
      } finally {
        entry.resume();
      }
    },
  });
  const sink = new Transform({
    transform(chunk: Buffer, _e, cb) {
      size += chunk.length;
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(decompressedStream(layer), sink, parser as unknown as Writable);
  } catch (err) {
    if (err instanceof UnsupportedError || err instanceof UnpackError) throw err;
    throw new UnpackError(`layer ${layer.path}: cannot read: ${(err as Error).message}`, err);
  }
  if (parseError) throw parseError;
  const diffId = `sha256:${hash.digest('hex')}`;
  if (layer.diffId && layer.diffId !== diffId) {
    throw new DigestMismatchError(`layer ${layer.path}: diff_id mismatch: config says ${layer.diffId}, uncompressed content is ${diffId}`);
  }
  // Lower layers' symlinks: no entry (nor whiteout target) may have a parent that is a symlink on
  // disk, unless this layer replaces it with a directory first.
  const checkedDirs = new Set<string>();
  for (const rel of pendingChecks) {
    let dir = posix.dirname(rel);
    const chain: string[] = [];
    while (dir !== '.' && dir !== '' && !checkedDirs.has(dir)) {
      chain.push(dir);
      dir = posix.dirname(dir);
    }
    for (const d of chain.reverse()) {
      checkedDirs.add(d);
      if (layerDirs.has(d)) continue;
      let isLink = diskSymlink.get(d);
      if (isLink === undefined) {
        try {
          isLink = (await lstat(join(root, d))).isSymbolicLink();
        } catch {
          isLink = false;
        }
        diskSymlink.set(d, isLink);
      }
      if (isLink) {
        throw new UnpackError(`layer ${layer.path}: path "${rel}" goes through the symbolic link "${d}" of a lower layer; refusing to extract through symbolic links`);
      }
    }
  }
  return { diffId, size, entries, removals, opaques };
}

/** Carries out whiteouts against the lower layers (paths already validated by the scan). */
async function applyWhiteouts(root: string, scan: ScanResult): Promise<void> {
  for (const dir of scan.opaques) {
    const abs = join(root, dir);
    let names: string[];
    try {
      const st = await lstat(abs);
      if (!st.isDirectory()) continue;
      names = await readdir(abs);
    } catch {
      continue;
    }
    await Promise.all(names.map((n) => rm(join(abs, n), { recursive: true, force: true })));
  }
  for (const rel of scan.removals) {
    await rm(join(root, rel), { recursive: true, force: true });
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Pass 2 with GNU tar: `tar -x --numeric-owner [--same-owner] -p --exclude=.wh.*`. */
async function extractGnuTar(root: string, layer: LayerFile): Promise<void> {
  const args = ['-x', '-f', layer.path, '-C', root, '--numeric-owner', '-p', '--delay-directory-restore', '--exclude=.wh.*', '--warning=no-unknown-keyword'];
  if (isRoot()) args.push('--same-owner');
  else args.push('--no-same-owner');
  if (layer.compression === 'gzip') args.push('-z');
  else if (layer.compression === 'zstd') {
    if (!hasZstd()) throw new UnsupportedError('layer is compressed with zstd, which needs the `zstd` command');
    args.push('--zstd');
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new UnpackError(`cannot run tar: ${e.message}`, e)));
    child.on('close', (code) => {
      // Exit 1 = "some files differ" (only with --compare/--diff); anything non-zero is fatal here.
      if (code === 0) resolve();
      else reject(new UnpackError(`layer ${layer.path}: tar -x failed (exit ${code}): ${stderr.trim().split('\n').slice(0, 5).join('; ')}`));
    });
  });
}

/** Pass 2 with node-tar (`preserveOwner` as root, `unlink` so existing symlinks are replaced, not followed). */
async function extractNodeTar(root: string, layer: LayerFile): Promise<void> {
  let failure: Error | undefined;
  const unpack = new tar.Unpack({
    cwd: root,
    preserveOwner: isRoot(),
    unlink: true,
    filter: (p: string) => !posix.basename(p).startsWith(WHITEOUT_PREFIX),
    onwarn: (code: string, message: string | Error) => {
      if (code === 'TAR_ENTRY_UNSUPPORTED' || code === 'TAR_ENTRY_INFO') return; // device nodes: runc creates /dev
      failure ??= new UnpackError(`layer ${layer.path}: ${code}: ${message instanceof Error ? message.message : message}`);
    },
  });
  try {
    await pipeline(decompressedStream(layer), unpack as unknown as Writable);
  } catch (err) {
    throw new UnpackError(`layer ${layer.path}: extraction failed: ${(err as Error).message}`, err);
  }
  if (failure) throw failure;
}

/**
 * Applies one layer onto `root` (which holds the lower layers): scan, whiteouts, extract.
 * Throws UnpackError, DigestMismatchError (diff_id), UnsupportedError (zstd without the CLI).
 */
export async function applyLayer(root: string, layer: LayerFile, extractor: Extractor = defaultExtractor()): Promise<AppliedLayer> {
  if (extractor === 'gnu-tar' && (await readdir(root)).length === 0) {
    // Onto an empty root there is nothing for whiteouts to remove and no lower symlink to traverse,
    // and GNU tar itself refuses `..` members and defers absolute/`..` symlinks until the end, so
    // scanning (validation + diff_id) and extracting can run in parallel; a failed scan still fails
    // the layer (callers discard the directory).
    // Both always run to completion, so no tar process is left writing after a failure.
    const [scan, extracted] = await Promise.allSettled([scanLayer(root, layer), extractGnuTar(root, layer)]);
    if (scan.status === 'rejected') throw scan.reason;
    if (extracted.status === 'rejected') throw extracted.reason;
    return { diffId: scan.value.diffId, size: scan.value.size, entries: scan.value.entries };
  }
  const scan = await scanLayer(root, layer);
  await applyWhiteouts(root, scan);
  if (extractor === 'gnu-tar') await extractGnuTar(root, layer);
  else await extractNodeTar(root, layer);
  return { diffId: scan.diffId, size: scan.size, entries: scan.entries };
}

/** GNU tar when available, else node-tar. */
export function defaultExtractor(): Extractor {
  return hasGnuTar() ? 'gnu-tar' : 'node-tar';
}

/**
 * Applies `layers` in order into `root` (created 0755 if missing). Returns per-layer results;
 * total uncompressed size is the sum of their `size`. Throws as {@link applyLayer}.
 */
export async function unpackLayers(root: string, layers: LayerFile[], extractor: Extractor = defaultExtractor()): Promise<AppliedLayer[]> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  const out: AppliedLayer[] = [];
  for (const l of layers) out.push(await applyLayer(root, l, extractor));
  return out;
}

/** Computes the diff_id and uncompressed size of a layer without extracting it. */
export async function layerDiffId(layer: LayerFile): Promise<{ diffId: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of decompressedStream(layer)) {
    size += (c as Buffer).length;
    hash.update(c as Buffer);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
