/**
 * Where `skiff server` keeps its state under the data dir (default `/var/lib/skiff` as root,
 * else `~/.local/share/skiff`). One place so the CLI, the server and the agent agree.
 */
import os from 'node:os';
import path from 'node:path';

/** Default data dir: `/var/lib/skiff` as root, else `$XDG_DATA_HOME/skiff` or `~/.local/share/skiff`. */
export function defaultDataDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/skiff';
  const xdg = process.env.XDG_DATA_HOME;
  return path.join(xdg && xdg.length > 0 ? xdg : path.join(os.homedir(), '.local', 'share'), 'skiff');
}

/** Absolute paths of everything under a data dir. */
export function dataPaths(dataDir: string) {
  const root = path.resolve(dataDir);
  return {
    root,
    /** SQLite revisioned log. */
    db: path.join(root, 'server', 'db', 'state.db'),
    /** Control-plane state: `pki/` (CA, serving certificate and key) and `token` (admin bearer token, mode 0600). */
    server: path.join(root, 'server'),
    /** Admin kubeconfig written at every start. */
    kubeconfig: path.join(root, 'kubeconfig.yaml'),
    /** Content-addressed image store. */
    images: path.join(root, 'agent', 'images'),
    /** Tarballs dropped here are imported when the agent starts (as k3s' agent/images). */
    imageImportDir: path.join(root, 'agent', 'images-import'),
    /** Runtime state: sandboxes, bundles, CNI cache and IPAM. */
    runtime: path.join(root, 'agent', 'runtime'),
    /** `runc --root`. */
    runcRoot: path.join(root, 'agent', 'runc'),
    /** Kubelet root: pods/<uid>/volumes, logs. */
    kubelet: path.join(root, 'agent', 'kubelet'),
  };
}
