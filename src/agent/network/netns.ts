/**
 * Named network namespaces for pod sandboxes, managed with iproute2 (`ip netns add/del`), which
 * bind-mounts each namespace at /var/run/netns/<name> so it outlives every process in it.
 * Names are `<prefix>-<short pod uid>-<short sandbox id>`, so everything a runtime made can be
 * found again by its prefix (re-adoption, cleanup).
 *
 * Upstream: CRI-O / containerd pin the sandbox netns the same way (pkg/netns: bind mount under /var/run/netns).
 */
import { readdir } from 'node:fs/promises';
import { run, runOk } from './exec.ts';

/** Directory where iproute2 keeps named network namespaces. */
export const NETNS_DIR = '/var/run/netns';

/**
 * Builds a netns name `<prefix>-<12 hex of pod uid>-<8 of sandbox id>`.
 * Inputs: the runtime prefix (e.g. `skiff`), the pod UID (dashes removed), the sandbox id.
 */
export function netnsName(prefix: string, podUid: string, sandboxId: string): string {
  const short = podUid.replace(/-/g, '').slice(0, 12) || 'nouid';
  return `${prefix}-${short}-${sandboxId.slice(0, 8)}`;
}

/** Absolute path of a named netns (what CNI_NETNS and the OCI network namespace path take). */
export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/**
 * Creates the named netns (`ip netns add`). Returns its path. Throws if it already exists
 * or `ip` fails.
 */
export async function createNetns(name: string): Promise<string> {
  await runOk('ip', ['netns', 'add', name]);
  return netnsPath(name);
}

/** Deletes the named netns (`ip netns del`). Idempotent: a missing netns is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  const r = await run('ip', ['netns', 'del', name]);
  if (r.code !== 0 && !(await listNetns('')).every((n) => n !== name)) {
    throw new Error(`ip netns del ${name}: ${r.stderr.trim()}`);
  }
}

/** Lists named netns whose name starts with `${prefix}-` (all of them when prefix is ''). */
export async function listNetns(prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(NETNS_DIR);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => prefix === '' || n.startsWith(`${prefix}-`)).sort();
}
