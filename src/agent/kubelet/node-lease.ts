/**
 * The node heartbeat Lease, after pkg/kubelet/nodelease + component-helpers' lease controller:
 * `coordination.k8s.io/v1` Lease `kube-node-lease/<node>` with `holderIdentity: <node>`,
 * `leaseDurationSeconds: 40`, `renewTime` (MicroTime, RFC3339 with microseconds) renewed every
 * 10 s (a quarter of the duration), and an ownerReference to the Node so it goes with the Node.
 * A missing Lease is re-created; a 409 re-reads and retries.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/errors.ts';
import { wait } from './node-status.ts';

/** Namespace of node leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** MicroTime rendering: `2026-11-30T03:20:00.123000Z`. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Options of {@link NodeLeaseController}. */
export interface NodeLeaseOptions {
  client: Client;
  nodeName: string;
  /** Default 40. */
  leaseDurationSeconds?: number;
  /** Renew period, ms (default 10000). */
  renewIntervalMs?: number;
  /** The Node (for the ownerReference); looked up when absent. */
  getNode?: () => Node | undefined;
  now?: () => number;
}

/** Keeps the node's Lease renewed. */
export class NodeLeaseController {
  private lease?: KubeObject;
  private readonly now: () => number;

  constructor(private readonly o: NodeLeaseOptions) {
    this.now = o.now ?? Date.now;
  }

  private async ownerRefs(): Promise<unknown[]> {
    let node = this.o.getNode?.();
    if (!node?.metadata?.uid) node = (await this.o.client.get(GVR.nodes, undefined, this.o.nodeName).catch(() => undefined)) as Node | undefined;
    if (!node?.metadata?.uid) return [];
    return [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: node.metadata.uid }];
  }

  /** One renew: create if missing, else update renewTime (retrying conflicts). Returns the Lease. */
  async sync(): Promise<KubeObject> {
    for (let i = 0; i < 5; i++) {
      try {
        if (!this.lease) {
          try {
            this.lease = await this.o.client.get(GVR.leases, NODE_LEASE_NAMESPACE, this.o.nodeName);
          } catch (e) {
            if (!isNotFound(e)) throw e;
            const lease: KubeObject = {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.o.nodeName, namespace: NODE_LEASE_NAMESPACE, ownerReferences: (await this.ownerRefs()) as never },
              spec: { holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.leaseDurationSeconds ?? 40, renewTime: microTime(this.now()) },
            };
            try {
              this.lease = await this.o.client.create(GVR.leases, NODE_LEASE_NAMESPACE, lease);
              return this.lease;
            } catch (err) {
              if (!isAlreadyExists(err)) throw err;
              continue;
            }
          }
        }
        const cur = this.lease!;
        const md = { ...cur.metadata };
        if (!md.ownerReferences?.length) md.ownerReferences = (await this.ownerRefs()) as never;
        const next: KubeObject = {
          ...cur,
          metadata: md,
          spec: {
            ...(cur.spec as object),
            holderIdentity: this.o.nodeName,
            leaseDurationSeconds: this.o.leaseDurationSeconds ?? 40,
            renewTime: microTime(this.now()),
          },
        };
        this.lease = await this.o.client.update(GVR.leases, NODE_LEASE_NAMESPACE, next);
        return this.lease;
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) {
          this.lease = undefined;
          continue;
        }
        throw e;
      }
    }
    throw new Error(`lease ${NODE_LEASE_NAMESPACE}/${this.o.nodeName} kept conflicting`);
  }

  /** Renews until `signal` aborts (errors are logged and retried at the next period). */
  async run(signal: AbortSignal, log: (m: string, x?: unknown) => void = () => undefined): Promise<void> {
    while (!signal.aborted) {
      await this.sync().catch((e) => log('lease renew failed', (e as Error).message));
      await wait(this.o.renewIntervalMs ?? 10_000, signal);
    }
  }
}
