/**
 * TLS material and kubeconfig for `skiff server`: a self-signed CA and a serving certificate
 * (SANs 127.0.0.1, ::1, localhost, the host name, plus extras) made with the `openssl` CLI, kept in
 * `<dataDir>/pki/` and reused when present; and a kubeconfig writer (cluster/context `skiff`,
 * user `admin`, bearer token). Follows k3s' layout idea (server-ca.crt, serving-kube-apiserver.crt).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';

/** The server's TLS material (PEM text) and where it lives. */
export interface PKI {
  caPem: string;
  certPem: string;
  keyPem: string;
  caPath: string;
  certPath: string;
  keyPath: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.error?.message}`);
}

/**
 * Ensures `<dataDir>/pki/{ca.crt,ca.key,server.crt,server.key}` exist (EC P-256, 10 years),
 * generating them with openssl when missing. `extraSANs` are DNS names or IPs added to the
 * serving cert. Throws when openssl fails.
 */
export function ensurePKI(dataDir: string, extraSANs: string[] = []): PKI {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPath = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  if (!existsSync(caPath) || !existsSync(caKey)) {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey], dir);
    openssl(['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '3650', '-subj', `/CN=skiff-server-ca@${Math.floor(Date.now() / 1000)}`, '-out', caPath], dir);
    chmodSync(caKey, 0o600);
  }
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const sans = new Set(['IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1', 'DNS:localhost', `DNS:${hostname()}`, 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local']);
    for (const s of extraSANs) sans.add(/^[0-9.]+$|:/.test(s) ? `IP:${s}` : `DNS:${s}`);
    const ext = join(dir, 'server.ext');
    writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${[...sans].join(',')}\n`);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath], dir);
    const csr = join(dir, 'server.csr');
    openssl(['req', '-new', '-key', keyPath, '-subj', '/CN=kube-apiserver', '-out', csr], dir);
    openssl(['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', ext, '-out', certPath], dir);
    chmodSync(keyPath, 0o600);
  }
  return { caPem: readFileSync(caPath, 'utf8'), certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), caPath, certPath, keyPath };
}

/**
 * Reads `<dataDir>/token` (the static admin bearer token), creating a random 32-byte hex one
 * (mode 0600) when missing.
 */
export function ensureAdminToken(dataDir: string): string {
  const p = join(dataDir, 'token');
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const t = randomBytes(32).toString('hex');
  writeFileSync(p, `${t}\n`, { mode: 0o600 });
  return t;
}

/**
 * Writes a kubeconfig (YAML) at `path`: cluster `skiff` (server URL, CA data base64), user
 * `admin` (bearer token), context `skiff` (current). Creates parent directories; mode 0600.
 */
export function writeKubeconfig(path: string, opts: { server: string; caPem: string; token: string }): void {
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'skiff', cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') } }],
    users: [{ name: 'admin', user: { token: opts.token } }],
    contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: 'admin', namespace: 'default' } }],
    'current-context': 'skiff',
    preferences: {},
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, YAML.stringify(cfg), { mode: 0o600 });
}
