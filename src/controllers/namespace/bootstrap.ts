/**
 * Namespace bootstrap, after the apiserver's system-namespaces controller
 * (pkg/controlplane/controller/systemnamespaces): makes sure default, kube-system, kube-public and
 * kube-node-lease exist.
 */
import { GVR, type Client } from '../../client/interface.ts';
import { isAlreadyExists } from '../../machinery/errors.ts';

/** Namespaces every cluster has. */
export const SystemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Creates the system namespaces if missing. @throws the first error other than AlreadyExists.
 */
export async function ensureSystemNamespaces(client: Client): Promise<void> {
  for (const name of SystemNamespaces) {
    try {
      await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: {} });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}

