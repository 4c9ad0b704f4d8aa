/**
 * Reading a kubeconfig file into {@link RestClientOptions}, as client-go's clientcmd does for the
 * subset Skiff writes (src/apiserver/pki.ts writeKubeconfig): the current context (or a named one)
 * → its cluster (`server`, `certificate-authority-data` or `certificate-authority`) and user
 * (`token` or `tokenFile`). Client certificates and exec/auth-provider plugins are not supported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { RestClientOptions } from './rest-client.ts';

interface KubeconfigFile {
  clusters?: { name: string; cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users?: { name: string; user?: { token?: string; tokenFile?: string } }[];
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
  'current-context'?: string;
}

/**
 * Loads `file` and resolves `context` (default: `current-context`) into REST client options
 * (`server`, `caPem`, `token`). Relative `certificate-authority` / `tokenFile` paths are resolved
 * against the kubeconfig's directory, as clientcmd does.
 * @throws Error when the file cannot be read or parsed, or the context, cluster or server is missing
 */
export function loadKubeconfig(file: string, context?: string): RestClientOptions {
  const cfg = (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as KubeconfigFile;
  const ctxName = context ?? cfg['current-context'];
  if (!ctxName) throw new Error(`kubeconfig ${file}: no current-context`);
  const ctx = cfg.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${file}: context "${ctxName}" not found`);
  const cluster = cfg.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${file}: cluster "${ctx.cluster ?? ''}" has no server`);
  const user = cfg.users?.find((u) => u.name === ctx.user)?.user;
  const dir = path.dirname(file);
  let caPem: string | undefined;
  if (cluster['certificate-authority-data']) caPem = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  else if (cluster['certificate-authority']) caPem = readFileSync(path.resolve(dir, cluster['certificate-authority']), 'utf8');
  let token = user?.token;
  if (!token && user?.tokenFile) token = readFileSync(path.resolve(dir, user.tokenFile), 'utf8').trim();
  return { server: cluster.server, caPem, token };
}
