/**
 * Atomic projection of a set of files into a volume directory, after upstream's
 * pkg/volume/util/atomic_writer.go (used by the configMap, secret, downwardAPI and projected plugins).
 *
 * Layout of `targetDir` after a write:
 * ```
 * ..2026_11_30_05_38_06.123456789/   the payload (dir mode 0755, files with their own modes)
 * ..data -> ..2026_11_30_05_38_06.123456789
 * key    -> ..data/key               one symlink per top-level path element
 * dir    -> ..data/dir               (nested paths `dir/file` share the `dir` link)
 * ```
 * An update writes a new timestamped dir, then swaps `..data` by renaming a `..data_tmp` symlink
 * over it (rename(2) is atomic), removes user-visible links of paths that disappeared, and deletes
 * the old timestamped dir. A reader following `key` therefore sees either the old or the new
 * content, never a mix. A bind mount of one file (subPath) pins the old inode and so never sees
 * updates, exactly as upstream. Paths beginning with `..` are reserved.
 */
import { randomInt } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readlink, readdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One projected file: content and permission bits (e.g. 0o644). */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';

/**
 * validatePath: a payload path must be non-empty, relative, ≤4096 characters, have no `..`
 * element, no element over 255 characters, and not start with `..`.
 * @returns the error message (upstream wording) or undefined when valid
 */
export function validatePayloadPath(p: string): string | undefined {
  if (p === '') return `invalid path: must not be empty: ${JSON.stringify(p)}`;
  if (path.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  if (p.length > 4096) return 'invalid path: must be less than or equal to 4096 characters';
  const items = p.split('/');
  for (const it of items) {
    if (it === '..') return `invalid path: must not contain '..': ${p}`;
    if (it.length > 255) return 'invalid path: filenames must be less than or equal to 255 characters';
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

/** `..YYYY_MM_DD_HH_MM_SS.` in UTC (Go layout `..2006_01_02_15_04_05.`), the prefix of a timestamped dir. */
export function timestampDirPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/**
 * Writes `payload` (relative path → file) into `targetDir` atomically (see the module comment).
 * Does nothing when the current version already holds exactly this payload.
 * @returns true when a new version was written
 * @throws Error for an invalid payload path (message as upstream validatePath) or a filesystem error
 */
export async function atomicWrite(targetDir: string, payload: Map<string, FileProjection>, now: () => Date = () => new Date()): Promise<boolean> {
  const clean = new Map<string, FileProjection>();
  for (const [p, f] of payload) {
    const err = validatePayloadPath(p);
    if (err) throw new Error(err);
    clean.set(path.normalize(p), f);
  }
  await mkdir(targetDir, { recursive: true });
  const dataDirPath = path.join(targetDir, DATA_DIR);
  const oldTsDir = await readlink(dataDirPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'EINVAL') return '';
    throw e;
  });
  const oldTsPath = oldTsDir ? path.join(targetDir, oldTsDir) : '';
  let toRemove = new Set<string>();
  if (oldTsDir) {
    toRemove = await pathsToRemove(clean, oldTsPath);
    if (!toRemove.size && !(await shouldWritePayload(clean, oldTsPath))) return false;
  }
  const tsDir = await newTimestampDir(targetDir, now());
  try {
    for (const [rel, f] of clean) {
      const full = path.join(tsDir, rel);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, f.data, { mode: f.mode });
      await chmod(full, f.mode);
    }
    await createUserVisibleFiles(targetDir, clean);
    const tmpLink = path.join(targetDir, NEW_DATA_DIR);
    await rm(tmpLink, { force: true });
    await symlink(path.basename(tsDir), tmpLink);
    await rename(tmpLink, dataDirPath);
  } catch (e) {
    await rm(path.join(targetDir, NEW_DATA_DIR), { force: true });
    await rm(tsDir, { recursive: true, force: true });
    throw e;
  }
  // Only top-level links are user-visible; nested paths vanish with the old timestamped dir.
  for (const p of toRemove) if (!p.includes('/')) await unlink(path.join(targetDir, p)).catch(() => undefined);
  if (oldTsPath) await rm(oldTsPath, { recursive: true, force: true });
  return true;
}

/** newTimestampDir: `<prefix><random digits>` (as Go's os.MkdirTemp), mode 0755 regardless of the umask. */
async function newTimestampDir(targetDir: string, now: Date): Promise<string> {
  for (;;) {
    const dir = path.join(targetDir, `${timestampDirPrefix(now)}${randomInt(1e9)}`);
    try {
      await mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    await chmod(dir, 0o755);
    return dir;
  }
}

async function shouldWritePayload(payload: Map<string, FileProjection>, oldTsDir: string): Promise<boolean> {
  for (const [rel, f] of payload) {
    const cur = await readFile(path.join(oldTsDir, rel)).catch(() => undefined);
    if (!cur || !cur.equals(f.data)) return true;
    // A mode change alone also needs a new version (upstream compares content only; modes only
    // change with the pod spec, which upstream handles by remounting).
    const st = await lstat(path.join(oldTsDir, rel));
    if ((st.mode & 0o7777) !== f.mode) return true;
  }
  return false;
}

async function pathsToRemove(payload: Map<string, FileProjection>, oldTsDir: string): Promise<Set<string>> {
  const existing = await walk(oldTsDir);
  const keep = new Set<string>();
  for (const p of payload.keys()) {
    for (let s = p; s && s !== '.'; s = path.dirname(s)) keep.add(s);
  }
  return new Set(existing.filter((p) => !keep.has(p)));
}

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
  }
  return out;
}

/** `first -> ..data/first` for the first element of every payload path; a plain file/dir left by an older layout is replaced. */
async function createUserVisibleFiles(targetDir: string, payload: Map<string, FileProjection>): Promise<void> {
  const firsts = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of firsts) {
    const visible = path.join(targetDir, name);
    const st = await lstat(visible).catch(() => undefined);
    if (st?.isSymbolicLink()) continue;
    if (st) await rm(visible, { recursive: true, force: true });
    await symlink(path.join(DATA_DIR, name), visible);
  }
}
