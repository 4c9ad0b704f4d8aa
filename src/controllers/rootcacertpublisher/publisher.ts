/**
 * The root-ca-cert-publisher controller, after pkg/controller/certificates/rootcacertpublisher/
 * publisher.go: every namespace has a ConfigMap `kube-root-ca.crt` whose `data["ca.crt"]` is the
 * cluster CA bundle (PEM) and whose `kubernetes.io/description` annotation says what it is for.
 * Pods' `kube-api-access-*` volumes project it as `ca.crt`. A deleted or edited ConfigMap is
 * restored; creating in a terminating or vanished namespace is not retried.
 */
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { defaultLogger, unwrapTombstone, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { isNotFound, StatusError } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';

/** Name of the published ConfigMap (RootCACertConfigMapName). */
export const RootCACertConfigMapName = 'kube-root-ca.crt';
/** Annotation key of the description (DescriptionAnnotation). */
export const DescriptionAnnotation = 'kubernetes.io/description';
/** The description (upstream's Description text). */
export const Description =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** Options of {@link RootCACertPublisher}. */
export interface RootCACertPublisherOptions {
  client: Client;
  factory: SharedInformerFactory;
  /** The CA bundle (PEM text) to publish. */
  rootCA: string;
  logger?: Logger;
}

function namespaceTerminating(e: unknown): boolean {
  return e instanceof StatusError && (e.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

/** Publishes the root CA ConfigMap in every namespace; keys are namespace names. */
export class RootCACertPublisher extends BaseController {
  private readonly client: Client;
  private readonly rootCA: string;
  readonly nsInformer: SharedInformer;
  readonly cmInformer: SharedInformer;

  constructor(opts: RootCACertPublisherOptions) {
    super('root-ca-cert-publisher', (key) => this.syncNamespace(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.rootCA = opts.rootCA;
    this.nsInformer = opts.factory.forResource(GVR.namespaces);
    this.cmInformer = opts.factory.forResource(GVR.configmaps);
    const enqueueNs = (ns: KubeObject) => ns.metadata?.name && this.queue.add(ns.metadata.name);
    this.nsInformer.addEventHandler({ onAdd: enqueueNs, onUpdate: (_o, n) => enqueueNs(n) });
    const enqueueCM = (cm: KubeObject) => {
      const o = unwrapTombstone(cm);
      if (o.metadata?.name === RootCACertConfigMapName && o.metadata.namespace) this.queue.add(o.metadata.namespace);
    };
    this.cmInformer.addEventHandler({ onUpdate: (_o, n) => enqueueCM(n), onDelete: enqueueCM });
  }

  /** Waits for the informers, then runs workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.nsInformer.waitForSync(signal)) || !(await this.cmInformer.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /**
   * Creates or repairs `kube-root-ca.crt` in namespace `name` (upstream syncNamespace).
   * @throws API errors other than NotFound / namespace terminating (the key is retried)
   */
  async syncNamespace(name: string): Promise<void> {
    const ns = this.nsInformer.lister.get(undefined, name);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
    const data = { 'ca.crt': this.rootCA };
    const cm = this.cmInformer.lister.get(name, RootCACertConfigMapName) as (KubeObject & { data?: Record<string, string> }) | undefined;
    if (!cm) {
      try {
        await this.client.create(GVR.configmaps, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RootCACertConfigMapName, namespace: name, annotations: { [DescriptionAnnotation]: Description } }, data } as KubeObject);
      } catch (e) {
        if (isNotFound(e) || namespaceTerminating(e) || (e as { code?: number }).code === 409) return;
        throw e;
      }
      return;
    }
    const cur = cm.data ?? {};
    const same = Object.keys(cur).length === 1 && cur['ca.crt'] === this.rootCA;
    if (same && cm.metadata?.annotations?.[DescriptionAnnotation]) return;
    const updated = structuredClone(cm);
    updated.data = data;
    updated.metadata = { ...updated.metadata, annotations: { ...(updated.metadata?.annotations ?? {}), [DescriptionAnnotation]: Description } };
    await this.client.update(GVR.configmaps, name, updated);
  }
}
