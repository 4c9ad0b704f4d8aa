/**
 * In-memory RuntimeService / ImageService for the kubelet's unit tests (like upstream's
 * pkg/kubelet/container/testing fakes and the CRI fake runtime). Not a simulated node: containers
 * only change state when a test says so (`exitContainer`) or through a scripted `onStart` hook.
 * Every call is recorded in `calls` (`"startContainer <id>"`, `"stopContainer <id> <timeout>"`, …).
 */
import { mkdir, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type {
  AuthConfig,
  ContainerConfig,
  ContainerStatus,
  ExecSession,
  ExecSyncResult,
  Image,
  ImageService,
  PodSandboxConfig,
  PodSandboxStatus,
  RuntimeService,
} from '../../runtime/types.ts';

function matches(labels: Record<string, string>, sel?: Record<string, string>): boolean {
  return !sel || Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/** Fake RuntimeService. */
export class FakeRuntime implements RuntimeService {
  readonly calls: string[] = [];
  readonly sandboxes = new Map<string, PodSandboxStatus & { config: PodSandboxConfig }>();
  readonly containers = new Map<string, ContainerStatus & { config: ContainerConfig }>();
  private seq = 0;
  private ipSeq = 1;
  /** Called after a container started (e.g. to make it exit). */
  onStart?: (c: ContainerStatus & { config: ContainerConfig }) => void;
  /** Handles execSync (probes); default exit 0. */
  onExecSync?: (containerId: string, cmd: string[]) => ExecSyncResult | Promise<ExecSyncResult>;
  /** Exit code given to stopped containers (default 137). */
  stopExitCode = 137;
  now: () => number = Date.now;

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = `sb${++this.seq}`;
    this.calls.push(`runPodSandbox ${config.metadata.name} ${config.metadata.attempt}`);
    this.sandboxes.set(id, {
      id,
      metadata: config.metadata,
      state: 'SANDBOX_READY',
      createdAt: this.now(),
      ip: `10.88.0.${++this.ipSeq}`,
      labels: config.labels,
      annotations: config.annotations,
      config,
    });
    return id;
  }
  async stopPodSandbox(id: string): Promise<void> {
    this.calls.push(`stopPodSandbox ${id}`);
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    for (const c of this.containers.values()) if (c.podSandboxId === id && c.state === 'CONTAINER_RUNNING') this.exitContainer(c.id, 137, 'Error');
    sb.state = 'SANDBOX_NOTREADY';
  }
  async removePodSandbox(id: string): Promise<void> {
    this.calls.push(`removePodSandbox ${id}`);
    for (const c of [...this.containers.values()]) if (c.podSandboxId === id) this.containers.delete(c.id);
    this.sandboxes.delete(id);
  }
  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new Error(`sandbox ${id} not found`);
    return strip(sb);
  }
  async listPodSandbox(filter?: { labelSelector?: Record<string, string> }): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].filter((s) => matches(s.labels, filter?.labelSelector)).map(strip);
  }
  async createContainer(podSandboxId: string, config: ContainerConfig): Promise<string> {
    const id = `c${++this.seq}`;
    this.calls.push(`createContainer ${config.metadata.name} ${config.metadata.attempt}`);
    this.containers.set(id, {
      id,
      podSandboxId,
      metadata: config.metadata,
      state: 'CONTAINER_CREATED',
      createdAt: this.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
      image: config.image,
      imageRef: `sha256:${'0'.repeat(63)}1`,
      labels: config.labels,
      annotations: config.annotations,
      logPath: config.logPath,
      config,
    });
    return id;
  }
  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container ${id} not found`);
    this.calls.push(`startContainer ${c.metadata.name} ${c.metadata.attempt}`);
    c.state = 'CONTAINER_RUNNING';
    c.startedAt = this.now();
    await mkdir(path.dirname(c.logPath), { recursive: true });
    await appendFile(c.logPath, `${new Date(this.now()).toISOString()} stdout F started ${c.metadata.name} attempt ${c.metadata.attempt}\n`);
    this.onStart?.(c);
  }
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.calls.push(`stopContainer ${this.containers.get(id)?.metadata.name ?? id} ${timeoutSeconds}`);
    const c = this.containers.get(id);
    if (c && (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED')) this.exitContainer(id, this.stopExitCode, 'Error');
  }
  async removeContainer(id: string): Promise<void> {
    this.calls.push(`removeContainer ${this.containers.get(id)?.metadata.name ?? id}`);
    this.containers.delete(id);
  }
  async listContainers(filter?: { podSandboxId?: string; labelSelector?: Record<string, string> }): Promise<ContainerStatus[]> {
    return [...this.containers.values()]
      .filter((c) => matches(c.labels, filter?.labelSelector) && (!filter?.podSandboxId || c.podSandboxId === filter.podSandboxId))
      .map(strip);
  }
  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container ${id} not found`);
    return strip(c);
  }
  async execSync(containerId: string, cmd: string[]): Promise<ExecSyncResult> {
    this.calls.push(`execSync ${containerId} ${cmd.join(' ')}`);
    if (this.onExecSync) return this.onExecSync(containerId, cmd);
    return { exitCode: 0, stdout: Buffer.from(''), stderr: Buffer.from('') };
  }
  async exec(containerId: string, cmd: string[]): Promise<ExecSession> {
    this.calls.push(`exec ${containerId} ${cmd.join(' ')}`);
    const stdout = new PassThrough();
    const stdin = new PassThrough();
    let resolveExit!: (n: number) => void;
    const exit = new Promise<number>((r) => (resolveExit = r));
    // Echoes stdin to stdout; exits 0 when stdin ends, or with the number given as `exit N`.
    if (cmd[0] === 'exit') {
      stdout.end();
      resolveExit(Number(cmd[1] ?? 0));
    } else {
      stdin.on('data', (d) => stdout.write(d));
      stdin.on('end', () => {
        stdout.end();
        resolveExit(0);
      });
    }
    return { stdin, stdout, stderr: null, exit, resize: () => undefined, kill: () => resolveExit(137) };
  }
  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    return { runtimeName: 'runc', runtimeVersion: '1.1.5' };
  }

  /** Makes a running container exit now with `exitCode`. */
  exitContainer(id: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.containers.get(id);
    if (!c) return;
    c.state = 'CONTAINER_EXITED';
    c.exitCode = exitCode;
    c.reason = reason;
    c.finishedAt = this.now();
  }

  /** Containers named `name`, creation order. */
  byName(name: string): (ContainerStatus & { config: ContainerConfig })[] {
    return [...this.containers.values()].filter((c) => c.metadata.name === name);
  }
}

function strip<T extends { config?: unknown }>(o: T): Omit<T, 'config'> {
  const { config: _c, ...rest } = o;
  return JSON.parse(JSON.stringify(rest));
}

/** Fake ImageService: `present` images resolve; `failPulls` maps an image to a pull error message. */
export class FakeImages implements ImageService {
  readonly present = new Map<string, Image>();
  readonly failPulls = new Map<string, string>();
  readonly pulls: string[] = [];
  /** Images that need these credentials (else the pull fails with `unauthorized`). */
  readonly requireAuth = new Map<string, { username: string; password: string }>();
  /** Credentials seen per pull, in order. */
  readonly auths: (AuthConfig | undefined)[] = [];

  async pullImage(image: string, auth?: AuthConfig): Promise<string> {
    this.pulls.push(image);
    this.auths.push(auth);
    const err = this.failPulls.get(image);
    if (err) throw new Error(err);
    const need = this.requireAuth.get(image);
    if (need && (auth?.username !== need.username || auth?.password !== need.password)) throw new Error('unauthorized: authentication required');
    const img: Image = { id: `sha256:${'a'.repeat(63)}${this.present.size}`, repoTags: [image], repoDigests: [], size: 1234 };
    this.present.set(image, img);
    return img.id;
  }
  async imageStatus(image: string): Promise<Image | undefined> {
    return this.present.get(image);
  }
  async listImages(): Promise<Image[]> {
    return [...this.present.values()];
  }
  async removeImage(image: string): Promise<void> {
    this.present.delete(image);
  }
  async importImage(): Promise<Image[]> {
    return [];
  }
}
