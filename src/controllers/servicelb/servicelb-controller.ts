/**
 * ServiceLB, after k3s pkg/cloudprovider/servicelb.go (the default LoadBalancer provider of a
 * single-binary cluster): a Service of `type: LoadBalancer` without `spec.loadBalancerClass` is
 * "provisioned" on the nodes themselves — its `status.loadBalancer.ingress` lists the addresses of
 * the Ready nodes (ExternalIP when a node has one, else InternalIP), sorted, with `ipMode: VIP`;
 * traffic to them is then handled by the node proxy (src/agent/network/proxy). When a Service
 * stops being a LoadBalancer its ingress is cleared. No Ready node → stays `<pending>`.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import { defaultLogger, splitMetaNamespaceKey, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import type { K } from '../../client/object-util.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { keyOf } from '../shared/controller-utils.ts';
import type { ServiceObj } from '../endpointslice/utils.ts';

type NodeObj = K<Node>;

/** Options for {@link ServiceLBController}. */
export interface ServiceLBControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
}

/** The ingress addresses of `nodes`: Ready ones, ExternalIP else InternalIP, sorted, deduplicated. */
export function nodeIngressIPs(nodes: NodeObj[]): string[] {
  const out = new Set<string>();
  for (const n of nodes) {
    if (n.metadata?.deletionTimestamp) continue;
    if (!(n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const addrs = n.status?.addresses ?? [];
    const ext = addrs.filter((a) => a.type === 'ExternalIP' && a.address && !a.address.includes(':'));
    const int = addrs.filter((a) => a.type === 'InternalIP' && a.address && !a.address.includes(':'));
    for (const a of ext.length ? ext : int) out.add(a.address);
  }
  return [...out].sort();
}

/** Whether ServiceLB serves this Service (LoadBalancer without a loadBalancerClass). */
export function isServiceLB(svc: ServiceObj): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec?.loadBalancerClass;
}

/** The ServiceLB controller; see the module comment. */
export class ServiceLBController extends BaseController {
  readonly client: Client;
  readonly serviceInformer: SharedInformer<ServiceObj>;
  readonly nodeInformer: SharedInformer<NodeObj>;
  private readonly recorder: EventRecorder;

  constructor(opts: ServiceLBControllerOptions) {
    super('service-lb', (key) => this.syncService(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.serviceInformer = opts.factory.forResource<ServiceObj>(GVR.services);
    this.nodeInformer = opts.factory.forResource<NodeObj>(GVR.nodes);
    this.serviceInformer.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, n) => this.queue.add(keyOf(n)),
    });
    const allLB = () => {
      for (const s of this.serviceInformer.lister.list()) if (isServiceLB(s)) this.queue.add(keyOf(s));
    };
    this.nodeInformer.addEventHandler({
      onAdd: allLB,
      onUpdate: (o, n) => {
        if (JSON.stringify(nodeIngressIPs([o])) !== JSON.stringify(nodeIngressIPs([n]))) allLB();
      },
      onDelete: () => allLB(),
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.serviceInformer.waitForSync(signal)) || !(await this.nodeInformer.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** Writes `status.loadBalancer` of one Service through `/status` when it differs. */
  async syncService(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.serviceInformer.lister.get(namespace, name);
    if (!svc) return;
    const cur = svc.status?.loadBalancer?.ingress ?? [];
    let want: Array<{ ip: string; ipMode: 'VIP' }> = [];
    if (isServiceLB(svc)) want = nodeIngressIPs(this.nodeInformer.lister.list()).map((ip) => ({ ip, ipMode: 'VIP' as const }));
    else if (svc.spec?.type === 'LoadBalancer' || cur.length === 0) return; // another provider's, or nothing to clear
    if (JSON.stringify(cur.map((i) => i.ip)) === JSON.stringify(want.map((i) => i.ip))) return;
    const next: ServiceObj = { ...svc, status: { ...(svc.status ?? {}), loadBalancer: want.length ? { ingress: want } : {} } };
    try {
      await this.client.update(GVR.services, namespace, next, { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.recorder.eventf(svc, 'Normal', 'UpdatedLoadBalancer', 'Updated LoadBalancer with new IPs: [%s] -> [%s]', cur.map((i) => i.ip ?? '').join(' '), want.map((i) => i.ip).join(' '));
  }
}
