/**
 * Test support: a real OCI registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1
 * with a free port, its own config and a temporary storage directory (never Debian's default
 * config, which listens on all interfaces and requires htpasswd auth — RUNTIME-NOTES §B1), plus
 * pushing from an OCI layout with skopeo.
 *
 *   const reg = await startRegistry();
 *   await reg.push('.data/images/oci:1' layout dir, 'web:1');   // → 127.0.0.1:PORT/web:1
 *   await reg.stop();
 *
 * The registry process is killed by PID on stop() and when the test process exits.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT` (a reference domain: `${url}/web:1`). */
  url: string;
  /**
   * Pushes tag `ociTag` of the OCI layout `ociLayoutDir` as `<url>/<nameTag>` (`name:tag`; the
   * layout tag defaults to the reference's tag) with `skopeo copy --dest-tls-verify=false`.
   */
  push(ociLayoutDir: string, nameTag: string, ociTag?: string): Promise<void>;
  /** Kills the registry (by PID) and removes its storage. Idempotent. */
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
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

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) if (c.pid && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
}

/**
 * Starts `docker-registry serve <config>` on 127.0.0.1:<free port> with storage in a temp dir and
 * waits (polling up to 20 s) until `GET /v2/` answers 200. Rejects if the registry exits or never
 * answers.
 */
export async function startRegistry(): Promise<TestRegistry> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: error}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      '',
    ].join('\n');
    const cfgPath = join(dir, 'config.yml');
    await writeFile(cfgPath, config);
    const child = spawn('docker-registry', ['serve', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
    live.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const url = `127.0.0.1:${port}`;
    const deadline = Date.now() + 20000;
    let ok = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`http://${url}/v2/`);
        await res.body?.cancel();
        if (res.status === 200) {
          ok = true;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ok) {
      const stop = async () => {
        if (child.exitCode === null && child.pid) {
          const exited = new Promise((r) => child.once('exit', r));
          try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
          const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
          await exited;
          clearTimeout(t);
        }
        live.delete(child);
        await rm(dir, { recursive: true, force: true });
      };
      return {
        url,
        stop,
        async push(ociLayoutDir: string, nameTag: string, ociTag?: string) {
          const tag = ociTag ?? nameTag.slice(nameTag.lastIndexOf(':') + 1);
          await execFileP('skopeo', [
            'copy', '--quiet', '--insecure-policy', '--dest-tls-verify=false',
            `oci:${ociLayoutDir}:${tag}`, `docker://${url}/${nameTag}`,
          ]);
        },
      };
    }
    lastErr = stderr;
    if (child.exitCode === null && child.pid) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    live.delete(child);
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start: ${lastErr.trim()}`);
}

const repoRoot = resolve(import.meta.dirname, '../..');

/** Outputs of scripts/build-image.sh. */
export interface WebImages {
  /** OCI layout dir with tags `1` and `2`. */
  layout: string;
  /** OCI archive naming skiff.local/web:1 and skiff.local/web:2 (for importImage / `skiff images import`). */
  archive: string;
}

/** Runs scripts/build-image.sh (a no-op when up to date) and returns its output paths. Throws if the build fails. */
export function buildWebImages(): WebImages {
  execFileSync('bash', [join(repoRoot, 'scripts/build-image.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { layout: join(repoRoot, '.data/images/oci'), archive: join(repoRoot, '.data/images/skiff-web.tar') };
}

/**
 * Starts a registry holding the test web image: `<url>/web:1` and `<url>/web:2` (references in
 * `web1` / `web2`). Builds the image first if needed.
 */
export async function startRegistryWithWebImages(): Promise<TestRegistry & { web1: string; web2: string }> {
  const { layout } = buildWebImages();
  const reg = await startRegistry();
  try {
    await reg.push(layout, 'web:1');
    await reg.push(layout, 'web:2');
  } catch (err) {
    await reg.stop();
    throw err;
  }
  return { ...reg, web1: `${reg.url}/web:1`, web2: `${reg.url}/web:2` };
}
