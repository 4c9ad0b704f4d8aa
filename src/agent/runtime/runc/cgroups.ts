/**
 * cgroup v1 housekeeping the runtime must do itself: `runc delete` removes only the container's leaf
 * cgroup, so pod-level directories (`<controller>/<cgroupParent>/<podUid>`) are rmdir'ed here, in every
 * mounted hierarchy. Also reads the memory controller's OOM-kill counter.
 */
import { readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Mount points of every cgroup hierarchy (v1 controllers, named hierarchies and the v2 unified mount), from /proc/self/mountinfo. */
export async function cgroupMounts(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const fstype = post.split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(unescapeMount(pre.split(' ')[4]));
  }
  return out;
}

function unescapeMount(p: string): string {
  return p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Removes the cgroup directory `path` (e.g. `/skiff/<podUid>`) and any child cgroups, deepest first,
 * in every hierarchy. Missing directories are ignored; a cgroup that still has tasks (EBUSY) is left and
 * reported in the returned list of paths that could not be removed.
 */
export async function removeCgroupTree(path: string): Promise<string[]> {
  const rel = path.replace(/^\/+/, '');
  if (!rel) throw new Error('refusing to remove the root cgroup');
  const left: string[] = [];
  for (const mp of await cgroupMounts()) await rmTree(join(mp, rel), left);
  return left;
}

async function rmTree(dir: string, left: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) if (e.isDirectory()) await rmTree(join(dir, e.name), left);
  try {
    await rmdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') left.push(dir);
  }
}

/** Paths (absolute, per hierarchy) under which `path` exists as a cgroup directory. */
export async function existingCgroupDirs(path: string): Promise<string[]> {
  const rel = path.replace(/^\/+/, '');
  const out: string[] = [];
  for (const mp of await cgroupMounts()) {
    try {
      await readdir(join(mp, rel));
      out.push(join(mp, rel));
    } catch {
      /* absent */
    }
  }
  return out;
}

/** True when the memory cgroup at `path` recorded an OOM kill (`oom_kill N` > 0 in memory.oom_control, kernel ≥4.13). */
export async function oomKilled(path: string): Promise<boolean> {
  try {
    const text = await readFile(join('/sys/fs/cgroup/memory', path.replace(/^\/+/, ''), 'memory.oom_control'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return !!m && Number(m[1]) > 0;
  } catch {
    return false;
  }
}
