/**
 * Test support: a private etcd (Debian's etcd-server 3.4, /usr/bin/etcd) on 127.0.0.1 with free
 * client and peer ports and a temp data dir, started as in RUNTIME-NOTES §B1. `stop()` (also run
 * on process exit) kills it by PID and removes the data dir. Nothing else on the host is touched.
 * `openTestBackend()` picks SQLite or a private etcd from `SKIFF_TEST_DATASTORE`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Backend } from '../../src/storage/backend.ts';
import { EtcdBackend } from '../../src/storage/etcd/etcd-backend.ts';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';

/** A running private etcd. */
export interface TestEtcd {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  /** The etcd process id. */
  pid: number;
  /** Output of etcd so far (stdout + stderr), for failure messages. */
  output(): string;
  /** SIGKILLs etcd by PID, waits for it to exit and removes its data dir; idempotent. */
  stop(): Promise<void>;
}

/** Debian's etcd-server binary. */
const ETCD_BIN = '/usr/bin/etcd';

const live = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [p, dir] of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** GET `${endpoint}/health` until it answers `"health":"true"` or the process exits / `timeoutMs` passes. */
async function waitHealthy(endpoint: string, proc: ChildProcess, out: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}):\n${out()}`);
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.ok && /"health"\s*:\s*"true"/.test(body)) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`etcd at ${endpoint} not healthy in ${timeoutMs} ms:\n${out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One start attempt on fresh free ports. */
async function startOnce(timeoutMs: number): Promise<TestEtcd> {
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const name = `skiff-test-${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', name,
    '--data-dir', path.join(dataDir, 'data'),
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `${name}=${peer}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
  const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(proc, dataDir);
  let out = '';
  const append = (d: Buffer) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    live.delete(proc);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(endpoint, proc, () => out, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, pid: proc.pid!, output: () => out, stop };
}

/**
 * Starts a private etcd on 127.0.0.1 (free client + peer ports, temp data dir) and resolves once
 * `/health` reports healthy. Retries up to 3 times (a "free" port can be taken between probe and
 * bind). Rejects with etcd's output when it never becomes healthy within `timeoutMs` per attempt
 * (default 30 s).
 */
export async function startEtcd(opts: { timeoutMs?: number } = {}): Promise<TestEtcd> {
  if (!existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} not found: install Debian's etcd-server (apt-get install -y etcd-server)`);
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts.timeoutMs ?? 30_000);
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** A backend for a test plus its cleanup (closes it and stops its private etcd, if any). */
export interface TestBackend {
  backend: Backend;
  kind: 'sqlite' | 'etcd';
  cleanup(): Promise<void>;
}

/**
 * Opens the store a test should run against: an EtcdBackend on a fresh private etcd when the
 * environment has `SKIFF_TEST_DATASTORE=etcd`, else an in-memory SqliteBackend (the default). Lets
 * any API test run against both backends (`SKIFF_TEST_DATASTORE=etcd npm test`) without change.
 */
export async function openTestBackend(): Promise<TestBackend> {
  if (process.env.SKIFF_TEST_DATASTORE === 'etcd') {
    const etcd = await startEtcd();
    try {
      const backend = await EtcdBackend.connect({ endpoints: [etcd.endpoint] });
      return {
        backend,
        kind: 'etcd',
        cleanup: async () => {
          await backend.close();
          await etcd.stop();
        },
      };
    } catch (err) {
      await etcd.stop();
      throw err;
    }
  }
  const backend = SqliteBackend.open(':memory:');
  return { backend, kind: 'sqlite', cleanup: () => backend.close() };
}
