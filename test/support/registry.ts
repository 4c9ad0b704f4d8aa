/**
 * Test support: a real OCI registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1
 * with a free port, its own config and a temporary storage directory (never Debian's default
 * config, which listens on all interfaces and requires htpasswd auth — RUNTIME-NOTES §B1), plus
 * pushing from an OCI layout with skopeo.
 *
 *   const reg = await startRegistry();
 *   await reg.push(layoutDir, 'web:1');          // oci:<layoutDir>:1 → 127.0.0.1:PORT/web:1
 *   await reg.stop();
 *
 * With `{ tokenAuth: { username, password } }` the registry uses distribution's `auth: token`
 * scheme: a small token server (node:http, also on 127.0.0.1) issues RS256 JWTs carrying the
 * certificate chain (`x5c`) of a throw-away self-signed certificate that the registry trusts
 * (`rootcertbundle`). Correct basic credentials get the requested `repository:<name>:<actions>`
 * access; no credentials get a token without access (the registry then answers 401
 * insufficient_scope, as Docker Hub does for private repositories); wrong ones get 401.
 *
 * Processes are killed by PID on stop() and when the test process exits.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
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
   * layout tag defaults to the reference's tag) with `skopeo copy --dest-tls-verify=false`
   * (and the token-auth credentials when configured).
   */
  push(ociLayoutDir: string, nameTag: string, ociTag?: string): Promise<void>;
  /** Token-auth mode: requests the token server received (query string and Authorization header). */
  tokenRequests?: { query: string; authorization?: string }[];
  /** Kills the registry (by PID), closes the token server and removes the storage. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions {
  /** Enable distribution's token auth with these credentials. */
  tokenAuth?: { username: string; password: string };
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      if (c.pid && c.exitCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  requests: { query: string; authorization?: string }[];
  server: Server;
}

/** Creates a key + self-signed certificate and a JWT token server in `dir`. */
async function startTokenServer(dir: string, creds: { username: string; password: string }): Promise<TokenServer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await execFileP('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=skiff-test-token-issuer']);
  const key = readFileSync(keyPath, 'utf8');
  const certDer = new X509Certificate(readFileSync(certPath)).raw;
  const service = 'skiff-test-registry';
  const issuer = 'skiff-test-issuer';
  const requests: { query: string; authorization?: string }[] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    requests.push({ query: url.search, authorization: req.headers.authorization });
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization;
    let subject = '';
    if (auth) {
      const [user, ...pw] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
      if (!auth.startsWith('Basic ') || user !== creds.username || pw.join(':') !== creds.password) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      subject = user;
    }
    const access = subject
      ? url.searchParams.getAll('scope').flatMap((s) => {
          const m = /^(repository):(.+):([a-z,*]+)$/.exec(s);
          return m ? [{ type: m[1], name: m[2], actions: m[3]!.split(',') }] : [];
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: subject, aud: service, exp: now + 600, nbf: now - 30, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(signing).sign(key);
    const token = `${signing}.${b64url(sig)}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 600 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { realm: `http://127.0.0.1:${port}/token`, service, issuer, certPath, requests, server };
}

/**
 * Starts `docker-registry serve <config>` on 127.0.0.1:<free port> with storage in a temp dir and
 * waits (polling up to 20 s) until `GET /v2/` answers (200, or 401 with token auth). Rejects if
 * the registry exits or never answers.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  const token = options.tokenAuth ? await startTokenServer(dir, options.tokenAuth) : undefined;
  const closeToken = () => new Promise<void>((r) => (token ? (token.server.closeAllConnections(), token.server.close(() => r())) : r()));
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: error}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      ...(token
        ? [`auth: {token: {realm: "${token.realm}", service: ${token.service}, issuer: ${token.issuer}, rootcertbundle: ${token.certPath}}}`]
        : []),
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
        if (res.status === 200 || (token && res.status === 401)) {
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
          try {
            process.kill(child.pid, 'SIGTERM');
          } catch {
            /* already gone */
          }
          const t = setTimeout(() => {
            try {
              process.kill(child.pid!, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }, 3000);
          await exited;
          clearTimeout(t);
        }
        live.delete(child);
        await closeToken();
        await rm(dir, { recursive: true, force: true });
      };
      return {
        url,
        stop,
        tokenRequests: token?.requests,
        async push(ociLayoutDir: string, nameTag: string, ociTag?: string) {
          const tag = ociTag ?? nameTag.slice(nameTag.lastIndexOf(':') + 1);
          const creds = options.tokenAuth ? ['--dest-creds', `${options.tokenAuth.username}:${options.tokenAuth.password}`] : [];
          await execFileP('skopeo', [
            'copy', '--quiet', '--insecure-policy', '--dest-tls-verify=false', ...creds,
            `oci:${ociLayoutDir}:${tag}`, `docker://${url}/${nameTag}`,
          ]);
        },
      };
    }
    lastErr = stderr;
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    live.delete(child);
  }
  await closeToken();
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
 * `web1` / `web2`). Builds the image first if needed. Options as {@link startRegistry}.
 */
export async function startRegistryWithWebImages(options: StartRegistryOptions = {}): Promise<TestRegistry & { web1: string; web2: string }> {
  const { layout } = buildWebImages();
  const reg = await startRegistry(options);
  try {
    await reg.push(layout, 'web:1');
    await reg.push(layout, 'web:2');
  } catch (err) {
    await reg.stop();
    throw err;
  }
  return { ...reg, web1: `${reg.url}/web:1`, web2: `${reg.url}/web:2` };
}
