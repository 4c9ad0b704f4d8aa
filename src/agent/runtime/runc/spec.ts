/**
 * OCI runtime-spec (config.json) generation for a pod container, after the default `runc spec`
 * template (runc libcontainer/specconv.Example) and containerd's CRI defaults
 * (containerd pkg/cri/opts/spec_linux.go, oci/spec.go): default capabilities, masked and
 * read-only paths, /proc /dev /sys mounts; plus the Kubernetes rules for argv and env.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mount } from '../types.ts';
import type { ImageConfig } from './image-resolver.ts';

/** Default PATH when neither the image nor the pod sets one (containerd oci.defaultUnixEnv). */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** containerd's default capability set for unprivileged containers (oci/spec.go defaultUnixCaps). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability (for privileged containers), Linux 5.9+ numbering up to CAP_CHECKPOINT_RESTORE. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** runc spec's default masked paths. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];

/** runc spec's default read-only paths. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Error for a container that resolves to an empty argv. Message after containerd's "no command specified". */
export class NoCommandError extends Error {
  constructor() {
    super('no command specified');
    this.name = 'NoCommandError';
  }
}

function nonEmpty(a: string[] | null | undefined): string[] {
  if (!a || a.length === 0) return [];
  if (a.length === 1 && a[0] === '') return [];
  return a;
}

/**
 * The process argv per Kubernetes rules (kubelet/containerd, "Define a Command and Arguments"):
 * `command` replaces the image Entrypoint and drops its Cmd; `args` replace Cmd.
 * An Entrypoint of `[""]` counts as empty. Throws NoCommandError when the result is empty.
 */
export function containerArgs(image: ImageConfig, command?: string[], args?: string[]): string[] {
  let entry = nonEmpty(image.Entrypoint);
  let cmd = nonEmpty(image.Cmd);
  if (command && command.length > 0) {
    entry = command;
    cmd = [];
  }
  if (args && args.length > 0) cmd = args;
  const argv = [...entry, ...cmd];
  if (argv.length === 0) throw new NoCommandError();
  return argv;
}

/**
 * The process env: image Env, then HOSTNAME, then the container's envs; a later key replaces an
 * earlier one in place (containerd oci.WithEnv). Adds the default PATH when none is set.
 * Output: `KEY=value` strings.
 */
export function containerEnv(image: ImageConfig, hostname: string, envs: { key: string; value: string }[]): string[] {
  const order: string[] = [];
  const values = new Map<string, string>();
  const set = (k: string, v: string) => {
    if (!values.has(k)) order.push(k);
    values.set(k, v);
  };
  if (!(image.Env ?? []).some((e) => e.startsWith('PATH='))) set('PATH', DEFAULT_PATH.slice(5));
  for (const e of image.Env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) set(e.slice(0, i), e.slice(i + 1));
  }
  set('HOSTNAME', hostname);
  for (const { key, value } of envs) set(key, value);
  return order.map((k) => `${k}=${values.get(k)}`);
}

/**
 * Resolves a user spec (`uid`, `uid:gid`, `name`, `name:group`) against the rootfs's /etc/passwd and
 * /etc/group. `runAsUser`/`runAsGroup` override. Output: `{uid, gid}`. Throws when a name is unknown.
 * Upstream: containerd oci.WithUser / WithUserID (gid from passwd when only a uid is given).
 */
export async function resolveUser(
  rootfs: string,
  imageUser: string | undefined,
  runAsUser?: number,
  runAsGroup?: number,
): Promise<{ uid: number; gid: number }> {
  const passwd = await readTable(join(rootfs, 'etc/passwd'));
  const group = await readTable(join(rootfs, 'etc/group'));
  let uid = 0;
  let gid: number | undefined;
  const [u, g] = (imageUser ?? '').split(':', 2);
  if (runAsUser !== undefined) uid = runAsUser;
  else if (u) {
    if (/^\d+$/.test(u)) uid = Number(u);
    else {
      const row = passwd.find((r) => r[0] === u);
      if (!row) throw new Error(`unable to find user ${u}: no matching entries in passwd file`);
      uid = Number(row[2]);
      if (!g) gid = Number(row[3]);
    }
  }
  if (runAsGroup !== undefined) gid = runAsGroup;
  else if (g) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = group.find((r) => r[0] === g);
      if (!row) throw new Error(`unable to find group ${g}: no matching entries in group file`);
      gid = Number(row[2]);
    }
  }
  if (gid === undefined) {
    const row = passwd.find((r) => Number(r[2]) === uid);
    gid = row ? Number(row[3]) : 0;
  }
  return { uid, gid };
}

async function readTable(path: string): Promise<string[][]> {
  try {
    return (await readFile(path, 'utf8'))
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** Kubelet's MilliCPUToShares: 1000m → 1024 shares, minimum 2 (pkg/kubelet/cm/helpers_linux.go). */
export function milliCpuToShares(milli: number | undefined): number {
  if (!milli || milli <= 0) return 2;
  return Math.max(2, Math.floor((milli * 1024) / 1000));
}

/** CFS period in µs (kubelet's QuotaPeriod). */
export const CFS_PERIOD_US = 100_000;

/** Kubelet's MilliCPUToQuota: limit millicores → quota µs per 100 ms period, minimum 1000 µs; undefined = no limit. */
export function milliCpuToQuota(milli: number | undefined): number | undefined {
  if (!milli || milli <= 0) return undefined;
  return Math.max(1000, Math.floor((milli * CFS_PERIOD_US) / 1000));
}

/** Everything {@link buildSpec} needs, already resolved. */
export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  hostname: string;
  /** Absolute path of the mounted rootfs (overlay). */
  rootfs: string;
  /** Pod netns path (/var/run/netns/…). */
  netnsPath: string;
  /** cgroup v1 path relative to each controller's root, e.g. /skiff/<podUid>/<containerId>. */
  cgroupsPath: string;
  /** Files in the sandbox dir bind-mounted at /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
  mounts: Mount[];
  resources?: { cpuRequestMillis?: number; cpuLimitMillis?: number; memoryLimitBytes?: number; pidsLimit?: number };
  privileged?: boolean;
  readOnlyRootfs?: boolean;
  annotations?: Record<string, string>;
}

/** OCI runtime spec object (loosely typed: runtime-spec config.json). */
export type OciSpec = Record<string, any>;

/**
 * Builds config.json for one container. Starts from runc's `runc spec` defaults (written here, not by
 * spawning runc), then: process from the input; root = the overlay, rw unless readOnlyRootfs;
 * namespaces pid/ipc/uts/mount + network joined by path; cgroupsPath and resources;
 * /etc/{hosts,resolv.conf,hostname} and the pod's bind mounts (rbind, ro when readonly).
 */
export function buildSpec(i: SpecInput): OciSpec {
  const caps = i.privileged ? ALL_CAPABILITIES : DEFAULT_CAPABILITIES;
  const mounts: OciSpec[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', i.privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: i.etcFiles.hosts, options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: i.etcFiles.resolvConf, options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/etc/hostname', type: 'bind', source: i.etcFiles.hostname, options: ['rbind', 'rprivate', 'rw'] },
  ];
  for (const m of i.mounts) {
    const prop = m.propagation === 'rshared' || m.propagation === 'rslave' ? m.propagation : 'rprivate';
    mounts.push({ destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', prop, m.readonly ? 'ro' : 'rw'] });
  }
  const resources: OciSpec = { devices: [{ allow: false, access: 'rwm' }] };
  if (i.privileged) resources.devices = [{ allow: true, access: 'rwm' }];
  const r = i.resources ?? {};
  resources.cpu = { shares: milliCpuToShares(r.cpuRequestMillis ?? r.cpuLimitMillis) };
  const quota = milliCpuToQuota(r.cpuLimitMillis);
  if (quota !== undefined) {
    resources.cpu.quota = quota;
    resources.cpu.period = CFS_PERIOD_US;
  }
  if (r.memoryLimitBytes && r.memoryLimitBytes > 0) resources.memory = { limit: r.memoryLimitBytes };
  if (r.pidsLimit && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: i.uid, gid: i.gid },
      args: i.args,
      env: i.env,
      cwd: i.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    root: { path: i.rootfs, readonly: !!i.readOnlyRootfs },
    hostname: i.hostname,
    mounts,
    annotations: i.annotations ?? {},
    linux: {
      cgroupsPath: i.cgroupsPath,
      resources,
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network', path: i.netnsPath },
      ],
      maskedPaths: i.privileged ? [] : MASKED_PATHS,
      readonlyPaths: i.privileged ? [] : READONLY_PATHS,
    },
  };
}
