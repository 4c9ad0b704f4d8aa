/**
 * Test support for the runc runtime: a busybox-static rootfs and an ImageResolver over it, per-run
 * names (prefix, bridge, subnet), and host-state probes used to verify cleanup.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageConfig, ImageResolver, ResolvedImage } from './image-resolver.ts';

/**
 * Builds a minimal image rootfs in `dir` from /bin/busybox (busybox-static): bin/busybox plus a
 * symlink per applet (never one over busybox itself), /etc/passwd and /etc/group, /www/index.html
 * with `indexHtml`, and empty /tmp /proc /sys /dev.
 */
export async function buildBusyboxRootfs(dir: string, indexHtml = 'hello from pod\n'): Promise<void> {
  for (const d of ['bin', 'etc', 'tmp', 'www', 'proc', 'sys', 'dev', 'data']) await mkdir(join(dir, d), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'busybox') continue;
    await symlink('busybox', join(dir, 'bin', a)).catch(() => {});
  }
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await writeFile(join(dir, 'www/index.html'), indexHtml);
  await chmod(join(dir, 'tmp'), 0o1777);
}

/** An ImageResolver that maps every image reference to one rootfs with the given config. */
export class StaticImageResolver implements ImageResolver {
  constructor(
    readonly rootfs: string,
    readonly config: ImageConfig = { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/' },
    readonly id = `sha256:${'ab'.repeat(32)}`,
  ) {}

  /** Returns the same image for any reference. */
  async resolve(_image: string): Promise<ResolvedImage> {
    return { id: this.id, rootfs: this.rootfs, config: this.config };
  }
}

/** Per-run names: prefix `sk<4 hex>`, bridge `<prefix>br0`, and a random /24 in 10.200.0.0/13 … 10.207.x.0/24. */
export function perRunNames(): { prefix: string; bridge: string; subnet: string; cgroupParent: string } {
  const hex = randomBytes(2).toString('hex');
  const prefix = `sk${hex}`;
  const b = randomBytes(2);
  const subnet = `10.${200 + (b[0] % 8)}.${b[1]}.0/24`;
  return { prefix, bridge: `${prefix}br0`, subnet, cgroupParent: `/${prefix}` };
}

/** Host state that a runtime with this prefix might have left: netns, links, mounts under stateDir, cgroups, runc containers, nat rules. */
export async function leftovers(o: { prefix: string; bridge: string; stateDir: string; runcRoot: string; cgroupParent: string; subnet: string }): Promise<string[]> {
  const out: string[] = [];
  const ns = await readdir('/var/run/netns').catch(() => [] as string[]);
  for (const n of ns) if (n.startsWith(`${o.prefix}-`)) out.push(`netns ${n}`);
  const links = execFileSync('ip', ['-o', 'link', 'show']).toString();
  if (links.includes(` ${o.bridge}:`) || links.includes(`master ${o.bridge} `)) out.push(`link ${o.bridge} or its veths`);
  const mi = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mi.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && mp.startsWith(o.stateDir)) out.push(`mount ${mp}`);
  }
  for (const ctrl of await readdir('/sys/fs/cgroup')) {
    const p = join('/sys/fs/cgroup', ctrl, o.cgroupParent);
    if (await readdir(p).then(() => true, () => false)) out.push(`cgroup ${p}`);
  }
  const list = execFileSync('runc', ['--root', o.runcRoot, 'list', '-q']).toString().trim();
  if (list) out.push(`runc containers ${list}`);
  const nat = execFileSync('iptables', ['-t', 'nat', '-S']).toString();
  const base = o.subnet.split('.').slice(0, 3).join('.') + '.';
  for (const l of nat.split('\n')) if (l.includes(base) || l.includes(`"${o.prefix}"`)) out.push(`iptables ${l}`);
  return out;
}
