/**
 * ServiceAccountsController, after pkg/controller/serviceaccount/serviceaccounts_controller.go:
 * every active namespace has a ServiceAccount named `default`; it is created when a namespace
 * appears and re-created when it is deleted. Terminating namespaces are skipped (creating in them
 * is refused by NamespaceLifecycle anyway).
 */
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { defaultLogger, unwrapTombstone, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';

/** Names of the ServiceAccounts ensured in every namespace (upstream default: `default`). */
export const DefaultServiceAccounts = ['default'];

/** Options of {@link ServiceAccountsController}. */
export interface ServiceAccountsControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  serviceAccounts?: string[];
  logger?: Logger;
}

/** Ensures the default ServiceAccount(s) in every active namespace; keys are namespace names. */
export class ServiceAccountsController extends BaseController {
  private readonly client: Client;
  private readonly names: string[];
  readonly nsInformer: SharedInformer;
  readonly saInformer: SharedInformer;

  constructor(opts: ServiceAccountsControllerOptions) {
    super('serviceaccount', (key) => this.syncNamespace(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.names = opts.serviceAccounts ?? DefaultServiceAccounts;
    this.nsInformer = opts.factory.forResource(GVR.namespaces);
    this.saInformer = opts.factory.forResource(GVR.serviceaccounts);
    const enqueueNs = (ns: KubeObject) => ns.metadata?.name && this.queue.add(ns.metadata.name);
    this.nsInformer.addEventHandler({ onAdd: enqueueNs, onUpdate: (_o, n) => enqueueNs(n) });
    // A deleted default ServiceAccount is re-created: enqueue its namespace.
    this.saInformer.addEventHandler({
      onDelete: (sa) => {
        const o = unwrapTombstone(sa);
        const ns = o.metadata?.namespace;
        if (ns && this.names.includes(o.metadata?.name ?? '')) this.queue.add(ns);
      },
    });
  }

  /** Waits for the informers, then runs workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.nsInformer.waitForSync(signal)) || !(await this.saInformer.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** Creates the missing default ServiceAccounts of namespace `name`. @throws on API errors other than AlreadyExists/NotFound. */
  async syncNamespace(name: string): Promise<void> {
    const ns = this.nsInformer.lister.get(undefined, name);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
    for (const sa of this.names) {
      if (this.saInformer.lister.get(name, sa)) continue;
      try {
        await this.client.create(GVR.serviceaccounts, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: name } });
      } catch (e) {
        // AlreadyExists: our cache was behind. NotFound/Forbidden: the namespace went away meanwhile.
        if (isAlreadyExists(e) || isNotFound(e) || (e as { code?: number }).code === 403) continue;
        throw e;
      }
    }
  }
}
