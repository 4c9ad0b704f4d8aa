/**
 * Client certificates for users, signed by the cluster CA with the `openssl` CLI (as
 * src/apiserver/pki.ts makes the serving certificate), and a kubeconfig that uses one — what
 * `kubeadm kubeconfig user --client-name alice --org dev` gives upstream users. The apiserver's
 * x509 authenticator (x509.ts) maps Subject CN → user name and each O → a group.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.error?.message}`);
}

/** Escapes a value for openssl's `-subj /O=…/CN=…` syntax (`/`, `+`, `\` get a backslash). */
function subjValue(v: string): string {
  return v.replace(/[\\/+]/g, (c) => `\\${c}`);
}

/**
 * Issues an EC P-256 client certificate (extendedKeyUsage clientAuth) for `user` with one
 * Subject O per group, signed by `caCertPath`/`caKeyPath`, valid `days` days.
 * @returns PEM certificate and key. Throws when openssl fails or the user name is empty.
 */
export function issueClientCertificate(opts: { caCertPath: string; caKeyPath: string; user: string; groups?: string[]; days?: number }): { certPem: string; keyPem: string } {
  if (!opts.user) throw new Error('a user name is required');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-client-cert-'));
  try {
    const subj = [...(opts.groups ?? []).map((g) => `/O=${subjValue(g)}`), `/CN=${subjValue(opts.user)}`].join('');
    writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'client.key'], dir);
    openssl(['req', '-new', '-key', 'client.key', '-subj', subj, '-out', 'client.csr'], dir);
    openssl(['x509', '-req', '-in', 'client.csr', '-CA', opts.caCertPath, '-CAkey', opts.caKeyPath, '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-days', String(opts.days ?? 365), '-sha256', '-extfile', 'client.ext', '-out', 'client.crt'], dir);
    return { certPem: readFileSync(join(dir, 'client.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'client.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A kubeconfig (YAML text) for `user` authenticating with a client certificate: cluster `skiff`
 * (server URL, CA data), user `<user>`, context `<user>@skiff` (current, namespace `namespace`
 * or default).
 */
export function clientCertKubeconfig(opts: { server: string; caPem: string; user: string; certPem: string; keyPem: string; namespace?: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const ctx = `${opts.user}@skiff`;
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'skiff', cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) } }],
    users: [{ name: opts.user, user: { 'client-certificate-data': b64(opts.certPem), 'client-key-data': b64(opts.keyPem) } }],
    contexts: [{ name: ctx, context: { cluster: 'skiff', user: opts.user, namespace: opts.namespace ?? 'default' } }],
    'current-context': ctx,
    preferences: {},
  });
}
