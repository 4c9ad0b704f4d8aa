/**
 * Controller manager (kube-controller-manager's role): starts the ReplicaSet, Deployment,
 * garbage-collector and namespace controllers over one shared informer factory, after bootstrapping
 * the system namespaces.
 */
import { ServiceAccountsController } from './serviceaccount/serviceaccounts-controller.ts';
import { setMaxListeners } from 'node:events';
import type { Client, GroupVersionResource } from '../client/interface.ts';
import { SharedInformerFactory } from '../client/informer-factory.ts';
import { defaultLogger, type Logger } from '../client/informer.ts';
import { ClientEventRecorder } from '../client/record.ts';
import { controllerEventRecorder } from './shared/event-recorder.ts';
import { ReplicaSetController } from './replicaset/replica-set.ts';
import { newReplicationManager } from './replicationcontroller/replication-controller.ts';
import { DeploymentController } from './deployment/deployment-controller.ts';
import { GarbageCollector } from './garbagecollector/garbage-collector.ts';
import { NamespaceController, ensureSystemNamespaces } from './namespace/namespace-controller.ts';
import { DefaultGCResources } from './garbagecollector/garbage-collector.ts';
import { StatusError } from '../machinery/errors.ts';
import { startVolumeControllers, type LocalPathOptions } from './volume/start.ts';
import { startNodeLifecycleControllers, type NodeLifecycleOptions } from './nodelifecycle/start.ts';
import { EndpointSliceController } from './endpointslice/endpointslice-controller.ts';
import { EndpointsController } from './endpoints/endpoints-controller.ts';
import { ServiceLBController } from './servicelb/servicelb-controller.ts';
import { JobController } from './job/job-controller.ts';
import { CronJobController } from './cronjob/cronjob-controller.ts';
import { DaemonSetsController } from './daemonset/daemonset-controller.ts';
import { StatefulSetController } from './statefulset/stateful-set.ts';
import { ResourceQuotaController } from './resourcequota/resource-quota-controller.ts';
import { PodGCController, type PodGCControllerOptions } from './podgc/gc-controller.ts';
import { ClusterRoleAggregationController } from './clusterroleaggregation/clusterrole-aggregation-controller.ts';
import { RootCACertPublisher } from './rootcacertpublisher/publisher.ts';

/**
 * The subset of `gvrs` the server serves (a LIST with limit 1 does not fail with 404), standing in
 * for discovery. Other errors keep the resource (they are likely transient).
 */
export async function filterServedResources(client: Client, gvrs: GroupVersionResource[]): Promise<GroupVersionResource[]> {
  const out: GroupVersionResource[] = [];
  for (const gvr of gvrs) {
    try {
      await client.list(gvr, undefined, { limit: 1 });
      out.push(gvr);
    } catch (e) {
      if (e instanceof StatusError && (e.code === 404 || e.code === 405)) continue;
      out.push(gvr);
    }
  }
  return out;
}

/** Controller names accepted in {@link ControllerManagerOptions.controllers}. */
export type ControllerName = 'replicaset' | 'deployment' | 'garbagecollector' | 'namespace' | 'persistentvolume-binder' | 'endpointslice' | 'endpoint' | 'serviceaccount' | 'job' | 'service-lb' | 'replicationcontroller' | 'node-lifecycle' | 'daemonset' | 'statefulset' | 'cronjob' | 'resourcequota' | 'podgc' | 'clusterrole-aggregation' | 'root-ca-cert-publisher';

/** Options for {@link startControllers}. */
export interface ControllerManagerOptions {
  /** Which controllers to start (default: all). */
  controllers?: ControllerName[];
  /** Workers per controller (default 5, as upstream's --concurrent-*-syncs; GC 20 upstream, 5 here). */
  workers?: number;
  logger?: Logger;
  /** Informer resync period in ms (default 0 = none; the informer relists on errors anyway). */
  resyncMs?: number;
  /** Share an existing factory (e.g. with the scheduler); it is started by this function. */
  factory?: SharedInformerFactory;
  /** Resources the garbage collector monitors. */
  gcResources?: GroupVersionResource[];
  /** Namespaced resources emptied on namespace deletion. */
  namespaceResources?: GroupVersionResource[];
  /** Give up waiting for informer sync after this many ms (default 60 000); controllers keep starting. */
  syncTimeoutMs?: number;
  /** Run the local-path provisioner for this node (StorageClass `local-path` is created at start). */
  localPathProvisioner?: LocalPathOptions;
  /** Node lifecycle timing (grace period, monitor period); tests shorten it. */
  nodeLifecycle?: NodeLifecycleOptions;
  /** Full resync period of the resourcequota controller (ms; default 300 000, upstream's --resource-quota-sync-period). */
  resourceQuotaSyncPeriodMs?: number;
  /** PodGC settings (--terminated-pod-gc-threshold etc.); tests shorten the periods. */
  podGC?: Pick<PodGCControllerOptions, 'terminatedPodThreshold' | 'gcCheckPeriodMs' | 'quarantineTimeMs'>;
  /** The cluster CA bundle (PEM) the root-ca-cert-publisher puts in every namespace's `kube-root-ca.crt`; without it that controller does not run. */
  rootCA?: string;
}

/**
 * Bootstraps the system namespaces (retrying with back-off until it works or `signal` aborts),
 * starts the controllers, and resolves once their informers have synced. The controllers keep
 * running until `signal` aborts; their errors are logged and retried, never thrown here.
 */
export async function startControllers(client: Client, signal: AbortSignal, opts: ControllerManagerOptions = {}): Promise<void> {
  const log = opts.logger ?? defaultLogger;
  const enabled = new Set<ControllerName>(opts.controllers ?? ['replicaset', 'deployment', 'garbagecollector', 'namespace', 'persistentvolume-binder', 'endpointslice', 'endpoint', 'serviceaccount', 'job', 'service-lb', 'replicationcontroller', 'node-lifecycle', 'daemonset', 'statefulset', 'cronjob', 'resourcequota', 'podgc', 'clusterrole-aggregation', 'root-ca-cert-publisher']);
  const workers = opts.workers ?? 5;

  for (let delay = 100; !signal.aborted; delay = Math.min(delay * 2, 5000)) {
    try {
      await ensureSystemNamespaces(client);
      break;
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : e }, 'bootstrapping system namespaces failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  if (signal.aborted) return;

  const factory = opts.factory ?? new SharedInformerFactory(client, { defaultResyncMs: opts.resyncMs ?? 0, logger: log });
  const runs: { name: string; run: () => Promise<void> }[] = [];
  if (enabled.has('replicaset')) {
    const c = new ReplicaSetController({ client, factory, recorder: controllerEventRecorder(client, 'replicaset-controller', log, { apiVersion: 'apps/v1', kind: 'ReplicaSet' }), logger: log });
    runs.push({ name: 'replicaset', run: () => c.run(workers, signal) });
  }
  if (enabled.has('replicationcontroller')) {
    const c = newReplicationManager({ client, factory, recorder: controllerEventRecorder(client, 'replication-controller', log, { apiVersion: 'v1', kind: 'ReplicationController' }), logger: log });
    runs.push({ name: 'replicationcontroller', run: () => c.run(workers, signal) });
  }
  if (enabled.has('deployment')) {
    const c = new DeploymentController({ client, factory, recorder: controllerEventRecorder(client, 'deployment-controller', log, { apiVersion: 'apps/v1', kind: 'Deployment' }), logger: log });
    runs.push({ name: 'deployment', run: () => c.run(workers, signal) });
  }
  if (enabled.has('garbagecollector')) {
    const resources = await filterServedResources(client, opts.gcResources ?? DefaultGCResources);
    const c = new GarbageCollector({ client, factory, resources, logger: log, recorder: new ClientEventRecorder(client, { component: 'garbage-collector-controller', logger: log }) });
    runs.push({ name: 'garbagecollector', run: () => c.run(workers, signal) });
  }
  if (enabled.has('namespace')) {
    const c = new NamespaceController({ client, factory, resources: opts.namespaceResources, logger: log });
    runs.push({ name: 'namespace', run: () => c.run(Math.min(workers, 2), signal) });
  }
  if (enabled.has('endpointslice')) {
    const c = new EndpointSliceController({ client, factory, recorder: controllerEventRecorder(client, 'endpoint-slice-controller', log, { apiVersion: 'v1', kind: 'Service' }), logger: log });
    runs.push({ name: 'endpointslice', run: () => c.run(workers, signal) });
  }
  if (enabled.has('service-lb')) {
    const c = new ServiceLBController({ client, factory, recorder: controllerEventRecorder(client, 'service-lb-controller', log, { apiVersion: 'v1', kind: 'Service' }), logger: log });
    runs.push({ name: 'service-lb', run: () => c.run(Math.min(workers, 2), signal) });
  }
  if (enabled.has('endpoint')) {
    const c = new EndpointsController({ client, factory, recorder: controllerEventRecorder(client, 'endpoint-controller', log, { apiVersion: 'v1', kind: 'Endpoints' }), logger: log });
    runs.push({ name: 'endpoint', run: () => c.run(workers, signal) });
  }
  if (enabled.has('job')) {
    const c = new JobController({ client, factory, recorder: controllerEventRecorder(client, 'job-controller', log, { apiVersion: 'batch/v1', kind: 'Job' }), logger: log });
    runs.push({ name: 'job', run: () => c.run(workers, signal) });
  }
  if (enabled.has('daemonset')) {
    const c = new DaemonSetsController({ client, factory, recorder: controllerEventRecorder(client, 'daemonset-controller', log, { apiVersion: 'apps/v1', kind: 'DaemonSet' }), logger: log });
    runs.push({ name: 'daemonset', run: () => c.run(workers, signal) });
  }
  if (enabled.has('statefulset')) {
    const c = new StatefulSetController({ client, factory, recorder: controllerEventRecorder(client, 'statefulset-controller', log, { apiVersion: 'apps/v1', kind: 'StatefulSet' }), logger: log });
    runs.push({ name: 'statefulset', run: () => c.run(workers, signal) });
  }
  if (enabled.has('cronjob')) {
    const c = new CronJobController({ client, factory, recorder: controllerEventRecorder(client, 'cronjob-controller', log, { apiVersion: 'batch/v1', kind: 'CronJob' }), logger: log });
    runs.push({ name: 'cronjob', run: () => c.run(workers, signal) });
  }
  if (enabled.has('resourcequota')) {
    const c = new ResourceQuotaController({ client, factory, logger: log, resyncPeriodMs: opts.resourceQuotaSyncPeriodMs });
    runs.push({ name: 'resourcequota', run: () => c.run(Math.min(workers, 2), signal) });
  }
  if (enabled.has('serviceaccount')) {
    const c = new ServiceAccountsController({ client, factory, logger: log });
    runs.push({ name: 'serviceaccount', run: () => c.run(Math.min(workers, 2), signal) });
  }
  if (enabled.has('podgc')) {
    const c = new PodGCController({ client, factory, logger: log, ...opts.podGC });
    runs.push({ name: 'podgc', run: () => c.run(signal) });
  }
  if (enabled.has('clusterrole-aggregation') && (await filterServedResources(client, [{ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' }])).length) {
    const c = new ClusterRoleAggregationController({ client, factory, logger: log });
    runs.push({ name: 'clusterrole-aggregation', run: () => c.run(1, signal) });
  }
  if (enabled.has('root-ca-cert-publisher') && opts.rootCA) {
    const c = new RootCACertPublisher({ client, factory, rootCA: opts.rootCA, logger: log });
    runs.push({ name: 'root-ca-cert-publisher', run: () => c.run(Math.min(workers, 2), signal) });
  }
  if (enabled.has('node-lifecycle')) runs.push(...startNodeLifecycleControllers(client, factory, log, Math.min(workers, 2), signal, opts.nodeLifecycle));
  if (enabled.has('persistentvolume-binder')) runs.push(...(await startVolumeControllers(client, factory, log, workers, signal, opts.localPathProvisioner)));
  factory.start(signal);
  for (const r of runs) {
    r.run().catch((e) => log.error({ controller: r.name, err: e }, 'controller stopped with an error'));
  }
  const timeout = AbortSignal.timeout(opts.syncTimeoutMs ?? 60_000);
  const waitSignal = AbortSignal.any([signal, timeout]);
  setMaxListeners(0, waitSignal);
  const synced = await factory.waitForCacheSync(waitSignal);
  if (!synced && !signal.aborted) log.warn({}, 'controller informers did not sync in time; continuing');
}
