/**
 * Test support: a real `skiff server` child process with a per-run data dir, port, resource
 * prefix and pod CIDR, driven by the real /usr/bin/kubectl. Everything the run creates on the
 * host carries the prefix; `stop()` (also run on process exit) ends the server by PID with
 * `--cleanup-on-exit` semantics (SIGTERM), and `kill9()` simulates a crash.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { buildWebImages } from './registry.ts';

const execFileP = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A per-run identity: prefix (host resource names), pod and service CIDRs, and data dir. */
export interface RunIdentity {
  prefix: string;
  clusterCIDR: string;
  /** Per-run Service range, so concurrent servers do not replace each other's route and ClusterIPs. */
  serviceCIDR: string;
  dataDir: string;
  nodeName: string;
}

/** Makes a fresh per-run identity (random prefix `sk<4 hex>`, pods in a random 10.2xx.y.0/24, Services in a random 10.1xx.y.0/24, temp data dir). */
export function newRunIdentity(): RunIdentity {
  const hex = randomBytes(2).toString('hex');
  const b = randomBytes(4);
  return {
    prefix: `sk${hex}`,
    clusterCIDR: `10.${200 + (b[0]! % 50)}.${b[1]}.0/24`,
    serviceCIDR: `10.${150 + (b[2]! % 50)}.${b[3]}.0/24`,
    dataDir: mkdtempSync(path.join(tmpdir(), `skiff-test-${hex}-`)),
    nodeName: `node-${hex}`,
  };
}

/** A running server child process. */
export interface TestCluster {
  id: RunIdentity;
  url: string;
  kubeconfig: string;
  proc: ChildProcess;
  /** Output of the server so far (stdout + stderr), for failure messages. */
  output(): string;
  /** Runs kubectl with this cluster's kubeconfig; resolves with stdout, rejects with stderr on non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Like kubectl() but resolves with {code, stdout, stderr} instead of rejecting. */
  kubectlRaw(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGTERM and wait for exit (the server was started with --cleanup-on-exit unless told otherwise). */
  stop(): Promise<void>;
  /** SIGKILL, no cleanup (crash). */
  kill9(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/**
 * Starts `skiff server` for `id` and waits for its ready line (up to `timeoutMs`).
 * `extraArgs` are appended (e.g. ['--import-images', tar]).
 */
export async function startCluster(id: RunIdentity, opts: { extraArgs?: string[]; cleanupOnExit?: boolean; timeoutMs?: number } = {}): Promise<TestCluster> {
  const args = [
    '--import',
    'tsx',
    path.join(repoRoot, 'src', 'cli', 'main.ts'),
    'server',
    '--data-dir',
    id.dataDir,
    '--https-listen-port',
    '0',
    '--node-name',
    id.nodeName,
    '--cluster-cidr',
    id.clusterCIDR,
    '--service-cidr',
    id.serviceCIDR,
    '--resource-prefix',
    id.prefix,
    '--log-level',
    'warn',
    ...(opts.cleanupOnExit === false ? [] : ['--cleanup-on-exit']),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    live.delete(proc);
    resolve(code);
  }));

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let url = '';
  while (!url) {
    const m = /skiff is ready: (\S+)/.exec(out);
    if (m) url = m[1]!;
    else if (proc.exitCode !== null) throw new Error(`skiff server exited with ${proc.exitCode}:\n${out}`);
    else if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`skiff server not ready in time:\n${out}`);
    } else await new Promise((r) => setTimeout(r, 100));
  }
  const kubeconfig = path.join(id.dataDir, 'kubeconfig.yaml');
  const cacheDir = path.join(id.dataDir, 'kubectl-cache');

  const kubectlRaw = async (kargs: string[], o: { input?: string; timeoutMs?: number } = {}) => {
    return await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        '/usr/bin/kubectl',
        ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...kargs],
        { timeout: o.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (o.input !== undefined) child.stdin!.end(o.input);
    });
  };

  return {
    id,
    url,
    kubeconfig,
    proc,
    output: () => out,
    kubectlRaw,
    async kubectl(kargs, o) {
      const r = await kubectlRaw(kargs, o);
      if (r.code !== 0) throw new Error(`kubectl ${kargs.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(t);
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with the last error/value). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 120_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Host state that carries the run's prefix: netns, links, mounts, cgroup dirs, runc containers, iptables lines. */
export async function leftovers(id: RunIdentity): Promise<string[]> {
  const found: string[] = [];
  const sh = async (cmd: string, args: string[]) => {
    try {
      return (await execFileP(cmd, args)).stdout;
    } catch {
      return '';
    }
  };
  for (const l of (await sh('ip', ['netns', 'list'])).split('\n')) if (l.startsWith(`${id.prefix}-`)) found.push(`netns ${l}`);
  for (const l of (await sh('ip', ['-o', 'link', 'show'])).split('\n')) if (l.includes(id.prefix)) found.push(`link ${l.split(':')[1]?.trim()}`);
  for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) if (l.includes(id.dataDir)) found.push(`mount ${l.split(' ')[1]}`);
  for (const ctrl of ['memory', 'cpu', 'pids', 'cpuacct', 'blkio', 'devices', 'freezer']) {
    if (existsSync(`/sys/fs/cgroup/${ctrl}/${id.prefix}`)) {
      const entries = (await sh('find', [`/sys/fs/cgroup/${ctrl}/${id.prefix}`, '-mindepth', '1', '-type', 'd'])).trim();
      if (entries) found.push(`cgroup ${ctrl}: ${entries.split('\n').length} dirs`);
    }
  }
  const runcRoot = path.join(id.dataDir, 'agent', 'runc');
  if (existsSync(runcRoot)) {
    const list = (await sh('runc', ['--root', runcRoot, 'list', '-q'])).trim();
    if (list) found.push(`runc containers: ${list.replace(/\n/g, ' ')}`);
  }
  for (const l of (await sh('iptables-save', [])).split('\n')) if (l.includes(id.prefix)) found.push(`iptables ${l}`);
  return found;
}

/** Removes the run's data dir (after the server is stopped). */
export function removeRunDir(id: RunIdentity): void {
  rmSync(id.dataDir, { recursive: true, force: true });
}

/** A cluster started by {@link useCluster}; read its fields inside tests and hooks. */
export interface ClusterHandle {
  /** The run's identity (prefix, CIDRs, data dir). Throws before the `before` hook ran. */
  readonly id: RunIdentity;
  /** The running server. Throws before the `before` hook ran. */
  readonly c: TestCluster;
}

/**
 * Registers `before`/`after` hooks in the enclosing `describe` that start one real `skiff server`
 * for its tests (a fresh {@link newRunIdentity}; with `webImages`, the offline test image
 * skiff.local/web:1 and :2 imported at start) and afterwards stop it, remove its data dir and
 * fail if any host resource with the run's prefix is left ({@link leftovers}).
 * `extraArgs` are more `skiff server` flags.
 */
export function useCluster(opts: { webImages?: boolean; extraArgs?: string[]; timeoutMs?: number } = {}): ClusterHandle {
  let id: RunIdentity | undefined;
  let c: TestCluster | undefined;
  before(async () => {
    const extraArgs = [...(opts.webImages ? ['--import-images', buildWebImages().archive] : []), ...(opts.extraArgs ?? [])];
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs, timeoutMs: opts.timeoutMs });
  });
  after(async () => {
    try {
      await c?.stop();
    } finally {
      const left = id ? await leftovers(id) : [];
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });
  return {
    get id() {
      if (!id) throw new Error('useCluster: the cluster is not started yet (use it inside tests or later hooks)');
      return id;
    },
    get c() {
      if (!c) throw new Error('useCluster: the cluster is not started yet (use it inside tests or later hooks)');
      return c;
    },
  };
}
