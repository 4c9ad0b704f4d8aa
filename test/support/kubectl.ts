/**
 * Test support for integration tests that run the real /usr/bin/kubectl against an apiserver:
 * one runner (isolated HOME and cache dir, no ambient KUBECONFIG), an in-process HTTPS apiserver
 * with an admin kubeconfig ({@link startKubectlServer}) and the small `web` Deployment manifest they share.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIServer, type APIServerOptions } from '../../src/apiserver/server.ts';
import { KubeletConnections } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensureAdminToken, ensurePKI, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { GVR } from '../../src/client/interface.ts';
import { isAlreadyExists } from '../../src/machinery/errors.ts';
import type { Backend } from '../../src/storage/backend.ts';
import { SqliteBackend } from '../../src/storage/sqlite/sqlite-backend.ts';

/** Exit code and output of one kubectl run. */
export type KubectlRun = { code: number; stdout: string; stderr: string };

/**
 * Runs `kubectl --kubeconfig <kubeconfig> --cache-dir <home>/cache …args` with HOME=`home`,
 * feeding `input` on stdin when given. Never rejects: a failure is a non-zero `code`.
 */
export function runKubectl(kubeconfig: string, home: string, args: string[], input?: string): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const child = execFile(
      '/usr/bin/kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), ...args],
      { timeout: 90_000, env: { ...process.env, HOME: home, KUBECONFIG: '' } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Deployment `web` (label app=web), 2 replicas of `nginx:1` exposing `containerPort`. */
export function webDeploymentManifest(containerPort: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
        ports:
        - containerPort: ${containerPort}
`;
}

/** An in-process apiserver on HTTPS with an admin kubeconfig, for real-kubectl integration tests. */
export interface KubectlServer {
  /** Temp dir holding PKI, kubeconfig, kubectl's HOME/cache and {@link KubectlServer.file}s. */
  dir: string;
  api: APIServer;
  backend: Backend;
  /** Admin kubeconfig (token user `admin`, group system:masters). */
  kubeconfig: string;
  /** `https://127.0.0.1:<port>`. */
  url: string;
  token: string;
  caPem: string;
  /** Runs /usr/bin/kubectl against the server ({@link runKubectl}). */
  kubectl(args: string[], input?: string): Promise<KubectlRun>;
  /** Writes `text` to `<dir>/<name>` and returns the path. */
  file(name: string, text: string): string;
  /** Stops the server, closes the backend and removes the dir; idempotent enough for `after`. */
  stop(): Promise<void>;
}

/**
 * Starts an {@link APIServer} over `openBackend(dir)` (default: in-memory SQLite) on 127.0.0.1 with a
 * fresh PKI and admin token, writes its kubeconfig and creates the `default` namespace.
 * `apiOptions` are merged into the APIServer options (e.g. `authorizationMode: 'RBAC'`).
 */
export async function startKubectlServer(opts: { dirPrefix: string; openBackend?: (dir: string) => Backend | Promise<Backend>; apiOptions?: Partial<APIServerOptions> }): Promise<KubectlServer> {
  const dir = mkdtempSync(join(tmpdir(), opts.dirPrefix));
  const pki = ensurePKI(dir);
  const token = ensureAdminToken(dir);
  const backend = await (opts.openBackend ?? (() => SqliteBackend.open(':memory:')))(dir);
  const api = new APIServer({
    backend,
    kubelets: new KubeletConnections(),
    authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }),
    ...opts.apiOptions,
  });
  const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
  await api.inProcessClient().create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).catch((e: unknown) => {
    if (!isAlreadyExists(e)) throw e;
  });
  return {
    dir,
    api,
    backend,
    kubeconfig,
    url,
    token,
    caPem: pki.caPem,
    kubectl: (args, input) => runKubectl(kubeconfig, dir, args, input),
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    async stop() {
      await api.stop();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
