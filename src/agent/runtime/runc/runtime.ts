/**
 * RuncRuntime: the real CRI-like RuntimeService. A pod sandbox is a named network namespace with CNI
 * networking (loopback for `lo`, bridge + host-local + portmap for `eth0`) and generated
 * /etc/hosts, /etc/resolv.conf, /etc/hostname files; there is no pause process. A container is an
 * OCI bundle whose rootfs is an overlay over the image's unpacked rootfs, created and monitored by a
 * detached conmon (which runs `runc create`, writes CRI-format logs and the exit code), then started
 * with `runc start`.
 *
 * Everything lives on disk so a restarted agent re-adopts what is running:
 *   <stateDir>/sandboxes/<id>/{sandbox.json,hosts,resolv.conf,hostname}
 *   <stateDir>/containers/<id>/{container.json,config.json,rootfs/,upper/,work/,exit/<id>,pid,conmon.pid,runc.log}
 *   <stateDir>/cni/{results/,ipam/}
 * and runc's own state under `runcRoot` (never the default /run/runc).
 *
 * Upstream behaviour followed: CRI-O (conmon + runc, internal/oci/runtime_oci.go), containerd CRI
 * (StopContainer: stop signal, timeout, SIGKILL; RemoveContainer forces), kubelet (resources, hosts file).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readFile, readdir, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run, runOk } from '../../network/exec.ts';
import {
  CniRunner,
  defaultNetworkConfigList,
  loopbackConfigList,
  resultIPv4,
  type CniNetworkConfigList,
} from '../../network/cni.ts';
import { createNetns, deleteNetns, listNetns, netnsName, netnsPath } from '../../network/netns.ts';
import { managedHostsFileContent } from '../../network/hosts-file.ts';
import type {
  ContainerConfig,
  ContainerState,
  ContainerStatus,
  ExecSession,
  ExecSyncResult,
  PodSandboxConfig,
  PodSandboxStatus,
  RuntimeService,
} from '../types.ts';
import { oomKilled, removeCgroupTree } from './cgroups.ts';
import type { ImageResolver, ResolvedImage } from './image-resolver.ts';
import { buildSpec, containerArgs, containerEnv, resolveUser } from './spec.ts';

/** Options of {@link RuncRuntime}. */
export interface RuncRuntimeOptions {
  /** Directory for all runtime state (sandboxes, bundles, CNI cache, IPAM). Created if missing. */
  stateDir: string;
  /** runc `--root` (runc's state). Never /run/runc: that root holds containers that are not ours. */
  runcRoot: string;
  /** Name prefix for netns (`<prefix>-…`), the CNI network name and the loopback network. */
  prefix: string;
  images: ImageResolver;
  cni: {
    /** Linux bridge name, ≤15 chars (default network: `skiff0`). */
    bridge: string;
    /** The node's pod CIDR, e.g. 10.88.0.0/24. */
    subnet: string;
    /** Gateway (bridge) IP; default first host of the subnet. */
    gateway?: string;
    /** CNI plugin directory; default /usr/lib/cni. */
    pluginDir?: string;
  };
  /** cgroup v1 parent of pod cgroups, e.g. `/skiff`; container cgroup = `<cgroupParent>/<podUid>/<containerId>`. */
  cgroupParent: string;
  /** Default: `conmon` from PATH. */
  conmonPath?: string;
  /** Default: `runc` from PATH. */
  runcPath?: string;
}

/** Thrown for an unknown sandbox or container id (CRI: gRPC NotFound). */
export class RuntimeNotFoundError extends Error {
  readonly code = 'NotFound';
  constructor(kind: 'sandbox' | 'container', id: string) {
    super(`${kind} ${JSON.stringify(id)} not found`);
    this.name = 'RuntimeNotFoundError';
  }
}

/** On-disk sandbox record. */
interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAt: number;
  netnsName: string;
  netnsPath: string;
  ip?: string;
  /** 'ready' after CNI ADD; 'notready' once stopped (CNI DEL done). */
  state: 'ready' | 'notready';
  /** cgroup v1 path of the pod (parent of its containers' cgroups). */
  podCgroup: string;
}

/** On-disk container record. */
interface ContainerRecord {
  id: string;
  sandboxId: string;
  podUid: string;
  metadata: { name: string; attempt: number };
  image: string;
  imageRef: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  cgroupsPath: string;
  stopSignal: string;
  createdAt: number;
  startedAt: number;
  /** Filled once the exit is observed (stable across later reads). */
  exit?: { code: number; finishedAt: number; reason: string; message: string };
}

interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function writeJsonAtomic(path: string, v: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(v, null, 1));
  await rename(`${path}.tmp`, path);
}

function matchLabels(labels: Record<string, string>, sel?: Record<string, string>): boolean {
  if (!sel) return true;
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/** True when `pid` exists and is not a zombie (an exited conmon may wait a while for init to reap it). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * State letter (field 3) and start time in clock ticks since boot (field 22, as a decimal string)
 * of `pid` from /proc/<pid>/stat; undefined when there is no such process.
 */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces or ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (f.length < 20) return undefined;
  return { state: f[0], startTime: f[19] };
}

/** Mount points (from /proc/self/mountinfo) at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = f[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === dir || mp.startsWith(`${dir}/`)) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Unmounts `path` (all stacked mounts); falls back to a lazy unmount when busy. Idempotent. */
async function unmountAll(path: string): Promise<void> {
  for (let i = 0; i < 10 && (await mountsUnder(path)).includes(path); i++) {
    const r = await run('umount', [path]);
    if (r.code !== 0) {
      if (i >= 3) await run('umount', ['-l', path]);
      else await sleep(50);
    }
  }
  if ((await mountsUnder(path)).includes(path)) throw new Error(`cannot unmount ${path}`);
}

/**
 * The runc + conmon + CNI implementation of {@link RuntimeService}.
 * All methods throw RuntimeNotFoundError for unknown ids except the idempotent stop/remove ones.
 */
export class RuncRuntime implements RuntimeService {
  readonly opts: RuncRuntimeOptions;
  private readonly runc: string;
  private readonly conmon: string;
  private readonly cniRunner: CniRunner;
  private readonly network: CniNetworkConfigList;
  private readonly loopback: CniNetworkConfigList;

  /** Does no I/O; directories are created on first use. */
  constructor(opts: RuncRuntimeOptions) {
    if (!opts.runcRoot || opts.runcRoot.replace(/\/+$/, '') === '/run/runc') {
      throw new Error('RuncRuntime needs its own runcRoot (not the default /run/runc)');
    }
    if (!/^\/[^/]/.test(opts.cgroupParent)) throw new Error(`cgroupParent must be an absolute non-root path: ${opts.cgroupParent}`);
    this.opts = opts;
    // conmon needs an absolute runtime path.
    this.runc = which(opts.runcPath ?? 'runc');
    this.conmon = which(opts.conmonPath ?? 'conmon');
    this.cniRunner = new CniRunner({ pluginDir: opts.cni.pluginDir, cacheDir: join(opts.stateDir, 'cni') });
    this.network = defaultNetworkConfigList({
      name: opts.prefix,
      bridge: opts.cni.bridge,
      subnet: opts.cni.subnet,
      gateway: opts.cni.gateway,
      ipamDataDir: join(opts.stateDir, 'cni', 'ipam'),
    });
    this.loopback = loopbackConfigList(`${opts.prefix}-lo`);
  }

  private sandboxDir(id: string): string {
    return join(this.opts.stateDir, 'sandboxes', id);
  }

  private containerDir(id: string): string {
    return join(this.opts.stateDir, 'containers', id);
  }

  private runcArgs(...args: string[]): string[] {
    return ['--root', this.opts.runcRoot, ...args];
  }

  // ---------------------------------------------------------------- sandboxes

  /**
   * Creates the pod netns, runs CNI ADD (lo and eth0 with hostPort mappings, concurrently) and writes the pod's
   * hosts/resolv.conf/hostname files. Returns the new sandbox id (64 hex). On failure everything made is undone.
   */
  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = randomBytes(32).toString('hex');
    const dir = this.sandboxDir(id);
    await mkdir(dir, { recursive: true });
    const nsName = netnsName(this.opts.prefix, config.metadata.uid, id);
    const rec: SandboxRecord = {
      id,
      config,
      createdAt: Date.now(),
      netnsName: nsName,
      netnsPath: netnsPath(nsName),
      state: 'notready',
      podCgroup: config.cgroupParent ?? `${this.opts.cgroupParent}/${config.metadata.uid}`,
    };
    await writeJsonAtomic(join(dir, 'sandbox.json'), rec);
    try {
      await createNetns(nsName);
      // lo and eth0 are independent attachments in the same netns: add them concurrently (as
      // containerd's go-cni attaches networks), and wait for both before judging the outcome.
      const lo = this.cniRunner.addNetworkList(this.loopback, { containerId: id, netns: rec.netnsPath, ifName: 'lo' });
      const eth0 = this.cniRunner.addNetworkList(this.network, {
        containerId: id,
        netns: rec.netnsPath,
        ifName: 'eth0',
        args: [
          ['IgnoreUnknown', '1'],
          ['K8S_POD_NAMESPACE', config.metadata.namespace],
          ['K8S_POD_NAME', config.metadata.name],
          ['K8S_POD_INFRA_CONTAINER_ID', id],
          ['K8S_POD_UID', config.metadata.uid],
        ],
        capabilityArgs: {
          portMappings: config.portMappings.map((p) => ({
            hostPort: p.hostPort,
            containerPort: p.containerPort,
            protocol: p.protocol.toLowerCase(),
            hostIP: p.hostIP ?? '',
          })),
        },
      });
      const [loRes, eth0Res] = await Promise.allSettled([lo, eth0]);
      if (loRes.status === 'rejected') throw loRes.reason;
      if (eth0Res.status === 'rejected') throw eth0Res.reason;
      rec.ip = resultIPv4(eth0Res.value, 'eth0');
      const hostname = config.hostname || config.metadata.name;
      await Promise.all([
        writeFile(join(dir, 'hostname'), `${hostname}\n`),
        writeFile(join(dir, 'hosts'), hostsFile(rec.ip, hostname)),
        resolvConf(config.dnsConfig).then((text) => writeFile(join(dir, 'resolv.conf'), text)),
      ]);
      rec.state = 'ready';
      await writeJsonAtomic(join(dir, 'sandbox.json'), rec);
      return id;
    } catch (e) {
      await this.teardownNetwork(rec).catch(() => {});
      await deleteNetns(nsName).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private async readSandbox(id: string): Promise<SandboxRecord | undefined> {
    if (!/^[0-9a-f]+$/.test(id)) return undefined;
    return readJson<SandboxRecord>(join(this.sandboxDir(id), 'sandbox.json'));
  }

  private async teardownNetwork(rec: SandboxRecord): Promise<void> {
    let err: unknown;
    await this.cniRunner
      .delNetworkList(this.network, { containerId: rec.id, netns: rec.netnsPath, ifName: 'eth0' })
      .catch((e) => (err = e));
    await this.cniRunner
      .delNetworkList(this.loopback, { containerId: rec.id, netns: rec.netnsPath, ifName: 'lo' })
      .catch((e) => (err ??= e));
    if (err) throw err;
  }

  /** Kills every container of the sandbox (no grace) and runs CNI DEL; the netns is kept until removal. Idempotent. */
  async stopPodSandbox(podSandboxId: string): Promise<void> {
    const rec = await this.readSandbox(podSandboxId);
    if (!rec) return;
    for (const c of await this.containerRecords()) {
      if (c.sandboxId === podSandboxId) await this.stopContainer(c.id, 0);
    }
    if (rec.state === 'ready' || (await this.cniRunner.getCachedResult(this.network.name, rec.id, 'eth0'))) {
      await this.teardownNetwork(rec);
    }
    rec.state = 'notready';
    await writeJsonAtomic(join(this.sandboxDir(rec.id), 'sandbox.json'), rec);
  }

  /** Stops the sandbox, removes its containers, deletes the netns and the pod cgroup dirs, then its state. Idempotent. */
  async removePodSandbox(podSandboxId: string): Promise<void> {
    const rec = await this.readSandbox(podSandboxId);
    if (!rec) return;
    await this.stopPodSandbox(podSandboxId);
    for (const c of await this.containerRecords()) {
      if (c.sandboxId === podSandboxId) await this.removeContainer(c.id);
    }
    await deleteNetns(rec.netnsName);
    // runc delete removes only the leaf: remove <ctrl>/<podCgroup> in every hierarchy.
    await removeCgroupTree(rec.podCgroup);
    await rm(this.sandboxDir(podSandboxId), { recursive: true, force: true });
  }

  /** Status from the record; NOTREADY once stopped or when the netns is gone. Throws RuntimeNotFoundError. */
  async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    const rec = await this.readSandbox(podSandboxId);
    if (!rec) throw new RuntimeNotFoundError('sandbox', podSandboxId);
    return this.sandboxStatus(rec);
  }

  private sandboxStatus(rec: SandboxRecord): PodSandboxStatus {
    const ready = rec.state === 'ready' && existsSync(rec.netnsPath);
    return {
      id: rec.id,
      metadata: rec.config.metadata,
      state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      createdAt: rec.createdAt,
      ip: rec.ip,
      netnsPath: rec.netnsPath,
      labels: rec.config.labels,
      annotations: rec.config.annotations,
    };
  }

  /** Every sandbox on disk (this runtime's state dir), filtered by labels. */
  async listPodSandbox(filter?: { labelSelector?: Record<string, string> }): Promise<PodSandboxStatus[]> {
    const out: PodSandboxStatus[] = [];
    for (const id of await readdirSafe(join(this.opts.stateDir, 'sandboxes'))) {
      const rec = await this.readSandbox(id);
      if (rec && matchLabels(rec.config.labels, filter?.labelSelector)) out.push(this.sandboxStatus(rec));
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  // ---------------------------------------------------------------- containers

  /**
   * Mounts the overlay rootfs, writes config.json and has a detached conmon run `runc create`
   * (waiting for its pid file). Throws RuntimeNotFoundError for an unknown sandbox, Error when the
   * sandbox is not ready, the image cannot be resolved, or runc fails (runc's log in the message).
   */
  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sb = await this.readSandbox(podSandboxId);
    if (!sb) throw new RuntimeNotFoundError('sandbox', podSandboxId);
    if (sb.state !== 'ready') throw new Error(`sandbox ${podSandboxId} is not ready`);
    const image = await this.opts.images.resolve(config.image);
    const id = randomBytes(32).toString('hex');
    const dir = this.containerDir(id);
    const rootfs = join(dir, 'rootfs');
    const cgroupsPath = `${sb.podCgroup}/${id}`;
    const hostname = sandboxConfig.hostname || sb.config.hostname || sb.config.metadata.name;
    await mkdir(dir, { recursive: true });
    await Promise.all(['upper', 'work', 'exit', 'rootfs'].map((d) => mkdir(join(dir, d))));
    const rec: ContainerRecord = {
      id,
      sandboxId: podSandboxId,
      podUid: sb.config.metadata.uid,
      metadata: config.metadata,
      image: config.image,
      imageRef: image.id,
      labels: config.labels,
      annotations: config.annotations,
      logPath: config.logPath,
      cgroupsPath,
      stopSignal: image.config.StopSignal || 'SIGTERM',
      createdAt: Date.now(),
      startedAt: 0,
    };
    await writeJsonAtomic(join(dir, 'container.json'), rec);
    try {
      // The overlay mount (a mount(8) process) runs while the OCI spec is prepared; both settle
      // before anything is judged, so a failure never leaves a mount behind a removed bundle.
      const mounted = runOk('mount', [
        '-t', 'overlay', 'overlay', '-o',
        `lowerdir=${image.rootfs},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
        rootfs,
      ]);
      const prepared = this.writeBundleConfig(podSandboxId, sb, config, image, hostname, rootfs, cgroupsPath, dir);
      const [m, p] = await Promise.allSettled([mounted, prepared]);
      if (m.status === 'rejected') throw m.reason;
      if (p.status === 'rejected') throw p.reason;
      await this.spawnConmon(rec, dir);
      return id;
    } catch (e) {
      await this.removeContainer(id).catch(() => {});
      throw e;
    }
  }

  /** Writes `<dir>/config.json` (the OCI spec) and creates the log directory. Throws on an unresolvable user. */
  private async writeBundleConfig(
    podSandboxId: string,
    sb: SandboxRecord,
    config: ContainerConfig,
    image: ResolvedImage,
    hostname: string,
    rootfs: string,
    cgroupsPath: string,
    dir: string,
  ): Promise<void> {
    const sc = config.linux?.securityContext;
    const user = await resolveUser(image.rootfs, image.config.User, sc?.runAsUser, sc?.runAsGroup);
    const sbDir = this.sandboxDir(podSandboxId);
    const spec = buildSpec({
      args: containerArgs(image.config, config.command, config.args),
      env: containerEnv(image.config, hostname, config.envs),
      cwd: config.workingDir || image.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      hostname,
      rootfs,
      netnsPath: sb.netnsPath,
      cgroupsPath,
      etcFiles: { hosts: join(sbDir, 'hosts'), resolvConf: join(sbDir, 'resolv.conf'), hostname: join(sbDir, 'hostname') },
      mounts: config.mounts,
      resources: config.linux?.resources,
      privileged: sc?.privileged,
      readOnlyRootfs: sc?.readOnlyRootfs,
    });
    await Promise.all([
      writeFile(join(dir, 'config.json'), JSON.stringify(spec, null, 1)),
      mkdir(dirname(config.logPath), { recursive: true }),
    ]);
  }

  /**
   * Starts conmon detached (own session, stdio to a file, unref'd) so containers survive the agent.
   * conmon forks into the background and runs `runc create`; runc writes `<bundle>/pid` when done.
   */
  private async spawnConmon(rec: ContainerRecord, dir: string): Promise<void> {
    await mkdir(join(this.opts.stateDir, 's'), { recursive: true });
    const args = [
      '--api-version', '1',
      '-c', rec.id, '-u', rec.id, '-n', `${rec.metadata.name}_${rec.id.slice(0, 12)}`,
      '-r', this.runc,
      '--runtime-arg', `--root=${this.opts.runcRoot}`,
      '--runtime-arg', `--log=${join(dir, 'runc.log')}`,
      '-b', dir,
      '-p', join(dir, 'pid'),
      '-P', join(dir, 'conmon.pid'),
      '-l', `k8s-file:${rec.logPath}`,
      '--exit-dir', join(dir, 'exit'),
      '--socket-dir-path', join(this.opts.stateDir, 's'),
      '--log-level', 'warn',
    ];
    const logFd = await open(join(dir, 'conmon.log'), 'a');
    const child = spawn(this.conmon, args, { cwd: dir, detached: true, stdio: ['ignore', logFd.fd, logFd.fd] });
    const firstExit = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
    // conmon daemonizes (forks and the first process exits), so the monitor is not our child: it
    // survives this process. Keep the handle referenced until that first exit.
    const code = await firstExit.finally(() => logFd.close());
    if (code !== 0) throw new Error(`conmon exited ${code}: ${await this.diag(dir)}`);
    // conmon returns before runc create finishes: wait for the container pid file (RUNTIME-NOTES §B4).
    // An inotify watch on the bundle wakes the wait as soon as runc writes it; the loop still polls
    // (slowly while the watch works) to notice a dead conmon, a missed event or the deadline.
    const pidFile = join(dir, 'pid');
    let changed = false;
    let wake = () => {};
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, () => {
        changed = true;
        wake();
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        changed = false;
        if (existsSync(pidFile)) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for runc create: ${await this.diag(dir)}`);
        const conmonPid = Number((await readFile(join(dir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
        if (conmonPid && !isAlive(conmonPid) && !existsSync(pidFile)) {
          throw new Error(`runc create failed: ${await this.diag(dir)}`);
        }
        if (changed) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, watcher ? 50 : 5);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = () => {};
      }
    } finally {
      watcher?.close();
    }
  }

  private async diag(dir: string): Promise<string> {
    const a = await readFile(join(dir, 'runc.log'), 'utf8').catch(() => '');
    const b = await readFile(join(dir, 'conmon.log'), 'utf8').catch(() => '');
    return `${a.trim().split('\n').slice(-3).join(' | ')} ${b.trim().split('\n').slice(-3).join(' | ')}`.trim() || 'no diagnostics';
  }

  private async readContainer(id: string): Promise<ContainerRecord | undefined> {
    if (!/^[0-9a-f]+$/.test(id)) return undefined;
    return readJson<ContainerRecord>(join(this.containerDir(id), 'container.json'));
  }

  private async containerRecords(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const id of await readdirSafe(join(this.opts.stateDir, 'containers'))) {
      const rec = await this.readContainer(id).catch(() => undefined);
      if (rec) out.push(rec);
    }
    return out;
  }

  /**
   * The container's runc state, computed from runc's own state directory the way `runc state` does
   * (libcontainer runType), without spawning runc: none when `<runcRoot>/<id>/state.json` is missing;
   * `stopped` when the init process (`init_process_pid`) is gone, a zombie, or a different process
   * (start time ≠ `init_process_start`); `created` while runc's `exec.fifo` exists (removed by
   * `runc start`); `running` otherwise (a frozen container also counts as running, as CRI maps
   * paused to CONTAINER_RUNNING). Falls back to `runc state` when state.json is unreadable.
   */
  private async runcState(id: string): Promise<RuncState | undefined> {
    if (!/^[0-9a-f]+$/.test(id)) return undefined;
    const dir = join(this.opts.runcRoot, id);
    let text: string;
    try {
      text = await readFile(join(dir, 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.runcStateExec(id);
    }
    let st: { init_process_pid?: unknown; init_process_start?: unknown };
    try {
      st = JSON.parse(text) as typeof st;
    } catch {
      // runc rewrites state.json atomically; an unparseable file is not ours to interpret.
      return this.runcStateExec(id);
    }
    const pid = st.init_process_pid;
    const start = st.init_process_start;
    if (typeof pid !== 'number' || (typeof start !== 'number' && typeof start !== 'string')) return this.runcStateExec(id);
    const proc = procStat(pid);
    if (!proc || proc.state === 'Z' || proc.state === 'X' || proc.state === 'x' || proc.startTime !== String(start)) {
      return { id, pid: 0, status: 'stopped' };
    }
    const created = await stat(join(dir, 'exec.fifo')).then(
      () => true,
      () => false,
    );
    return { id, pid, status: created ? 'created' : 'running' };
  }

  /** `runc state <id>` (spawns runc); undefined when runc does not know the container. */
  private async runcStateExec(id: string): Promise<RuncState | undefined> {
    const r = await run(this.runc, this.runcArgs('state', id));
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as RuncState;
  }

  /** `runc start`; records startedAt. Throws RuntimeNotFoundError, or Error when runc refuses (e.g. not in created state). */
  async startContainer(containerId: string): Promise<void> {
    const rec = await this.readContainer(containerId);
    if (!rec) throw new RuntimeNotFoundError('container', containerId);
    await runOk(this.runc, this.runcArgs('start', containerId));
    rec.startedAt = Date.now();
    await writeJsonAtomic(join(this.containerDir(containerId), 'container.json'), rec);
  }

  /** The conmon exit file: exit code (128+n for a signal) and finishedAt = file mtime (ms). */
  private async exitFile(id: string): Promise<{ code: number; finishedAt: number } | undefined> {
    const p = join(this.containerDir(id), 'exit', id);
    try {
      const [text, st] = await Promise.all([readFile(p, 'utf8'), stat(p)]);
      if (text.trim() === '') return undefined;
      return { code: Number(text.trim()), finishedAt: Math.floor(st.mtimeMs) };
    } catch {
      return undefined;
    }
  }

  private async status(rec: ContainerRecord): Promise<ContainerStatus> {
    let state: ContainerState;
    let exit = rec.exit;
    if (!exit) {
      const runcState = await this.runcState(rec.id);
      let ef = await this.exitFile(rec.id);
      const running = ['created', 'creating', 'running', 'paused'].includes(runcState?.status ?? '');
      if (!ef && !running && (rec.startedAt > 0 || runcState)) {
        // runc already reports the container stopped; conmon writes the exit file a moment later.
        const conmonPid = Number((await readFile(join(this.containerDir(rec.id), 'conmon.pid'), 'utf8').catch(() => '')).trim());
        for (let i = 0; !ef && i < 100 && conmonPid && isAlive(conmonPid); i++) {
          await sleep(20);
          ef = await this.exitFile(rec.id);
        }
        ef ??= await this.exitFile(rec.id);
      }
      if (ef) {
        let reason = ef.code === 0 ? 'Completed' : 'Error';
        if (ef.code === 137 && (await oomKilled(rec.cgroupsPath))) reason = 'OOMKilled';
        exit = { code: ef.code, finishedAt: ef.finishedAt, reason, message: '' };
        rec.exit = exit;
        await writeJsonAtomic(join(this.containerDir(rec.id), 'container.json'), rec).catch(() => {});
      } else if (runcState?.status === 'created' || runcState?.status === 'creating') {
        state = 'CONTAINER_CREATED';
      } else if (runcState?.status === 'running' || runcState?.status === 'paused') {
        state = 'CONTAINER_RUNNING';
      } else if (rec.startedAt === 0 && !runcState) {
        state = 'CONTAINER_CREATED';
      } else {
        // Stopped but conmon left no exit code (conmon killed, or the node rebooted).
        exit = { code: 255, finishedAt: 0, reason: 'Error', message: 'exit code not recorded (container monitor lost)' };
      }
    }
    if (exit) state = 'CONTAINER_EXITED';
    return {
      id: rec.id,
      podSandboxId: rec.sandboxId,
      metadata: rec.metadata,
      state: state!,
      createdAt: rec.createdAt,
      startedAt: rec.startedAt,
      finishedAt: exit?.finishedAt ?? 0,
      exitCode: exit?.code ?? 0,
      reason: exit?.reason ?? '',
      message: exit?.message ?? '',
      image: rec.image,
      imageRef: rec.imageRef,
      labels: rec.labels,
      annotations: rec.annotations,
      logPath: rec.logPath,
    };
  }

  /** Status from runc state + the conmon exit file + the stored record. Throws RuntimeNotFoundError. */
  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const rec = await this.readContainer(containerId);
    if (!rec) throw new RuntimeNotFoundError('container', containerId);
    return this.status(rec);
  }

  /** Every container on disk (so a restarted agent re-adopts running ones), filtered by sandbox and labels. */
  async listContainers(filter?: { podSandboxId?: string; labelSelector?: Record<string, string> }): Promise<ContainerStatus[]> {
    const recs = (await this.containerRecords()).filter(
      (r) => (!filter?.podSandboxId || r.sandboxId === filter.podSandboxId) && matchLabels(r.labels, filter?.labelSelector),
    );
    const out = await Promise.all(recs.map((r) => this.status(r)));
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  private async runcList(): Promise<Map<string, RuncState>> {
    const r = await run(this.runc, this.runcArgs('list', '--format', 'json'));
    const m = new Map<string, RuncState>();
    if (r.code !== 0) return m;
    for (const s of (JSON.parse(r.stdout || 'null') as RuncState[] | null) ?? []) m.set(s.id, s);
    return m;
  }

  /** Polls until conmon wrote the exit file (or runc reports the container gone/stopped and conmon is dead). */
  private async waitExit(rec: ContainerRecord, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (let i = 0; ; i++) {
      if (await this.exitFile(rec.id)) return true;
      if (i % 10 === 9) {
        const s = await this.runcState(rec.id);
        if (!s || s.status === 'stopped') {
          const conmonPid = Number((await readFile(join(this.containerDir(rec.id), 'conmon.pid'), 'utf8').catch(() => '')).trim());
          if (!conmonPid || !isAlive(conmonPid)) return true;
        }
      }
      if (Date.now() >= deadline) return false;
      await sleep(20);
    }
  }

  /**
   * Sends the stop signal (image StopSignal, default SIGTERM), waits up to `timeoutSeconds`, then
   * SIGKILL and waits for the exit (containerd CRI StopContainer). timeout 0 = SIGKILL at once. Idempotent.
   */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const rec = await this.readContainer(containerId);
    if (!rec) return;
    const s = await this.runcState(containerId);
    if (!s || s.status === 'stopped') {
      await this.waitExit(rec, 2000);
      return;
    }
    if (timeoutSeconds > 0 && s.status === 'running') {
      await run(this.runc, this.runcArgs('kill', containerId, rec.stopSignal.replace(/^SIG/, '')));
      if (await this.waitExit(rec, timeoutSeconds * 1000)) return;
    }
    await run(this.runc, this.runcArgs('kill', '--all', containerId, 'KILL'));
    if (!(await this.waitExit(rec, 30_000))) throw new Error(`container ${containerId} did not exit after SIGKILL`);
  }

  /**
   * Force-removes a container: runc delete --force, unmounts the overlay, rmdirs its cgroup in every
   * hierarchy and deletes the bundle. The log file is kept. Idempotent.
   */
  async removeContainer(containerId: string): Promise<void> {
    const rec = await this.readContainer(containerId);
    const dir = this.containerDir(containerId);
    if (!existsSync(dir)) return;
    await run(this.runc, this.runcArgs('delete', '--force', containerId));
    if (rec) {
      // conmon exits right after the container; give it a moment to write the exit file and leave.
      const conmonPid = Number((await readFile(join(dir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
      for (let i = 0; conmonPid && isAlive(conmonPid) && i < 100; i++) await sleep(20);
      await removeCgroupTree(rec.cgroupsPath);
    }
    for (const mp of await mountsUnder(dir)) await unmountAll(mp);
    if ((await mountsUnder(dir)).length > 0) throw new Error(`mounts remain under ${dir}`);
    // conmon's attach-socket entry (<stateDir>/s/<id>); rm does not follow symlinks.
    await rm(join(this.opts.stateDir, 's', containerId), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- exec

  private async ensureRunning(containerId: string): Promise<void> {
    const rec = await this.readContainer(containerId);
    if (!rec) throw new RuntimeNotFoundError('container', containerId);
    const s = await this.runcState(containerId);
    if (s?.status !== 'running') throw new Error(`container ${containerId} is not running`);
  }

  /**
   * `runc exec` (env/cwd/user from the container's config.json), collecting stdout/stderr.
   * On timeout the exec'd process is SIGKILLed (by its pid file) and the promise rejects.
   */
  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    await this.ensureRunning(containerId);
    const pidFile = join(this.containerDir(containerId), `exec-${randomBytes(6).toString('hex')}.pid`);
    const child = spawn(this.runc, this.runcArgs('exec', '--pid-file', pidFile, containerId, ...cmd), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer =
      timeoutSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            void killByPidFile(pidFile).finally(() => child.kill('SIGKILL'));
          }, timeoutSeconds * 1000)
        : undefined;
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, sig) => resolve(c ?? (sig ? 137 : 255)));
    }).finally(() => {
      if (timer) clearTimeout(timer);
      void rm(pidFile, { force: true });
    });
    if (timedOut) throw new Error(`command ${JSON.stringify(cmd)} timed out after ${timeoutSeconds}s`);
    return { exitCode: code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  }

  /**
   * Streaming `runc exec` (CRI Exec as containerd runs it). stdin/stdout/stderr are pipes.
   *
   * tty=true: `runc exec -t` (foreground) allocates the container's pty itself but insists on a
   * terminal on its own stdio (it opens /dev/tty otherwise), and Node cannot allocate one. So runc runs
   * under util-linux `script -q -e` (Debian essential package), which gives it a pty; stdout then carries
   * the terminal output (CRLF line ends, echo), stderr is null, and the exit code is the command's.
   * That outer pty starts cooked (echo, ECHOCTL) until runc puts it in raw mode, so stdin is held back
   * until the command has started (runc's --pid-file exists, written after runc made its stdin raw):
   * otherwise early input (kubectl's first bytes, e.g. a NUL) is echoed twice, once by the outer pty
   * (`^@^@`). As containerd's CRI exec (WithEnv TERM=xterm for tty), a tty exec gets `TERM=xterm`.
   * `resize` sets the outer pty's size with `stty`, which sends SIGWINCH to runc, which resizes the
   * container's pty. Without `stdin` the terminal input stays open but unused.
   *
   * Output is held until the command has started, so runc's own error lines never reach the caller.
   * When runc could not start the command (exit 255, no pid file; runc's JSON log names the error),
   * `exit` rejects with containerd's wording: `failed to exec in container: failed to start exec
   * "<64-hex exec id>": OCI runtime exec failed: <runc message>: unknown`.
   * kill() SIGKILLs the exec'd process (from runc's --pid-file) and runc.
   */
  async exec(containerId: string, cmd: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecSession> {
    await this.ensureRunning(containerId);
    const execId = randomBytes(32).toString('hex');
    const pidFile = join(this.containerDir(containerId), `exec-${execId.slice(0, 12)}.pid`);
    const logFile = join(this.containerDir(containerId), `exec-${execId.slice(0, 12)}.log`);
    const args = this.runcArgs('--log', logFile, '--log-format', 'json', 'exec', '--pid-file', pidFile, ...(options.tty ? ['-t', '--env', 'TERM=xterm'] : []), containerId, ...cmd);
    const child = options.tty
      ? spawn('script', ['-q', '-e', '-c', [this.runc, ...args].map(shellQuote).join(' '), '/dev/null'], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, SHELL: '/bin/sh', TERM: process.env.TERM ?? 'xterm' },
        })
      : spawn(this.runc, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, sig) => resolve(c ?? (sig ? 137 : 255)));
    });
    const started = waitForFile(pidFile, exited.then(() => undefined, () => undefined));
    const stdout = new PassThrough();
    const stderr = options.tty ? null : new PassThrough();
    const stdin = options.tty && options.stdin ? new PassThrough() : null;
    const exit = (async () => {
      let code: number;
      try {
        code = await exited;
      } catch (e) {
        child.stdout?.resume();
        child.stderr?.resume();
        stdout.end();
        stderr?.end();
        throw e;
      }
      const ok = await started;
      const runcError = !ok && code === 255 ? await readRuncLogError(logFile) : undefined;
      if (runcError !== undefined) {
        // The command never ran: what reached stdout/stderr is runc's own report.
        child.stdout?.resume();
        child.stderr?.resume();
        stdout.end();
        stderr?.end();
        stdin?.resume();
        throw new Error(`failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: ${runcError}: unknown`);
      }
      if (!ok) release();
      return code;
    })().finally(() => {
      void rm(pidFile, { force: true });
      void rm(logFile, { force: true });
      if (options.tty) child.stdin?.destroy();
    });
    let released = false;
    function release(): void {
      if (released) return;
      released = true;
      child.stdout!.pipe(stdout);
      if (stderr) child.stderr!.pipe(stderr);
      if (stdin && child.stdin) stdin.pipe(child.stdin);
    }
    void started.then((ok) => {
      if (ok) release();
    });
    exit.catch(() => undefined);
    return {
      stdin: options.tty ? stdin : options.stdin ? child.stdin : null,
      stdout,
      stderr,
      exit,
      resize: (width: number, height: number) => {
        if (!options.tty || !child.pid) return;
        const pid = child.pid;
        void (async () => {
          // script's child (runc, via the shell) holds the pty slave on fd 0; it may not exist yet.
          for (let i = 0; i < 100 && child.exitCode === null; i++) {
            const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/);
            const tty = kids[0] ? await readlink(`/proc/${kids[0]}/fd/0`).catch(() => '') : '';
            if (tty.startsWith('/dev/pts/')) {
              await run('stty', ['-F', tty, 'rows', String(height), 'cols', String(width)]);
              return;
            }
            await sleep(20);
          }
        })();
      },
      kill: () => {
        void killByPidFile(pidFile).finally(() => child.kill('SIGKILL'));
      },
    };
  }

  /** `runc --version` → {runtimeName: 'runc', runtimeVersion: '1.1.5'} (build metadata like `+ds1` dropped). */
  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const out = await runOk(this.runc, ['--version']);
    const m = /runc version (\S+)/.exec(out);
    return { runtimeName: 'runc', runtimeVersion: (m?.[1] ?? 'unknown').replace(/\+.*$/, '') };
  }

  // ---------------------------------------------------------------- cleanup

  /**
   * Removes everything this runtime made: all sandboxes and containers (force), any runc container
   * left in runcRoot, netns named `<prefix>-…`, CNI attachments still cached, mounts under stateDir,
   * the cgroup tree under cgroupParent (and recorded pod cgroups), the bridge, and the CNI/IPAM state.
   * Best effort: keeps going past errors and throws an AggregateError at the end if any occurred.
   * Does not touch ip_forward or shared iptables chains (CNI-HOSTPORT-*), which other users may rely on.
   */
  async cleanupAll(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    const podCgroups = new Set<string>();
    for (const id of await readdirSafe(join(this.opts.stateDir, 'sandboxes'))) {
      const rec = await this.readSandbox(id).catch(() => undefined);
      if (rec) podCgroups.add(rec.podCgroup);
      await attempt(() => this.removePodSandbox(id));
    }
    for (const id of await readdirSafe(join(this.opts.stateDir, 'containers'))) {
      await attempt(() => this.removeContainer(id));
    }
    for (const id of (await this.runcList()).keys()) {
      await attempt(() => runOk(this.runc, this.runcArgs('delete', '--force', id)));
    }
    for (const f of await readdirSafe(join(this.opts.stateDir, 'cni', 'results'))) {
      await attempt(async () => {
        const c = await readJson<{ config: CniNetworkConfigList; containerId: string; netns: string; ifName: string }>(
          join(this.opts.stateDir, 'cni', 'results', f),
        );
        if (c) await this.cniRunner.delNetworkList(c.config, { containerId: c.containerId, netns: c.netns, ifName: c.ifName });
      });
    }
    for (const ns of await listNetns(this.opts.prefix)) await attempt(() => deleteNetns(ns));
    for (const mp of await mountsUnder(this.opts.stateDir)) await attempt(() => unmountAll(mp));
    for (const cg of podCgroups) await attempt(() => removeCgroupTree(cg));
    await attempt(async () => {
      const left = await removeCgroupTree(this.opts.cgroupParent);
      if (left.length) throw new Error(`cgroups still busy: ${left.join(', ')}`);
    });
    await attempt(async () => {
      const r = await run('ip', ['link', 'show', this.opts.cni.bridge]);
      if (r.code === 0) await runOk('ip', ['link', 'del', this.opts.cni.bridge]);
    });
    for (const sub of ['sandboxes', 'containers', 'cni', 's']) {
      if ((await mountsUnder(join(this.opts.stateDir, sub))).length === 0) {
        await attempt(() => rm(join(this.opts.stateDir, sub), { recursive: true, force: true }));
      }
    }
    if (errors.length) throw new AggregateError(errors, `cleanupAll: ${errors.length} error(s): ${errors.map(String).join('; ')}`);
  }
}

/** Absolute path of `cmd` via PATH (plus /usr/sbin, /sbin); `cmd` itself when it contains a slash or is not found. */
function which(cmd: string): string {
  if (cmd.includes('/')) return cmd;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return cmd;
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** POSIX-shell single-quoting of one argument. */
/**
 * Resolves true once `path` exists, false when `until` settles first (checked once more then).
 * An inotify watch on the parent directory wakes the check; a 100 ms poll covers missed events.
 */
async function waitForFile(path: string, until: Promise<void>): Promise<boolean> {
  let done = false;
  let wake = () => {};
  void until.then(() => {
    done = true;
    wake();
  });
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), () => wake());
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  try {
    for (;;) {
      if (existsSync(path)) return true;
      if (done) return existsSync(path);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, watcher ? 100 : 10);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = () => {};
    }
  } finally {
    watcher?.close();
  }
}

/**
 * The last `level: error` message of runc's `--log-format json` log (e.g. `exec failed: unable to
 * start container process: exec: "x": executable file not found in $PATH`), or undefined.
 */
async function readRuncLogError(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  let msg: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const j = JSON.parse(line) as { level?: string; msg?: string };
      if ((j.level === 'error' || j.level === 'fatal') && j.msg) msg = j.msg;
    } catch {
      /* not a JSON line */
    }
  }
  return msg;
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_\/=.,:@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

async function killByPidFile(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** The pod's /etc/hosts, after the kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent). */
export function hostsFile(ip: string | undefined, hostname: string): string {
  return managedHostsFileContent(ip, hostname);
}

/** resolv.conf from the pod's DNS config, or the host's /etc/resolv.conf when undefined. */
export async function resolvConf(dns: PodSandboxConfig['dnsConfig']): Promise<string> {
  if (!dns) return readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const lines: string[] = [];
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
