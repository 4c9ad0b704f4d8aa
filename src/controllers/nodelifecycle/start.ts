/**
 * Wiring of the node lifecycle and taint-eviction controllers for the controller manager
 * (upstream starts them as `node-lifecycle-controller` and `taint-eviction-controller`).
 */
import type { Client } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { Logger } from '../../client/informer.ts';
import { ClientEventRecorder } from '../../client/record.ts';
import { controllerEventRecorder } from '../shared/event-recorder.ts';
import { NodeLifecycleController } from './node-lifecycle-controller.ts';
import { TaintEvictionController } from './taint-eviction-controller.ts';

/** Options of the node lifecycle controller (upstream kube-controller-manager flags). */
export interface NodeLifecycleOptions {
  /** ms without a heartbeat before a node is Unknown (default 50 000, --node-monitor-grace-period). */
  gracePeriodMs?: number;
  /** ms a new node that never posted Ready gets (default 60 000, --node-startup-grace-period). */
  startupGracePeriodMs?: number;
  /** ms between health passes (default 5000, --node-monitor-period). */
  monitorPeriodMs?: number;
  /** Nodes tainted NoExecute per second per zone (default 0.1, --node-eviction-rate). */
  evictionRate?: number;
  /** Rate in partially disrupted large zones (default 0.01, --secondary-node-eviction-rate). */
  secondaryEvictionRate?: number;
  /** Zone size for the secondary rate (default 50, --large-cluster-size-threshold). */
  largeClusterSizeThreshold?: number;
  /** Not-ready fraction of a partially disrupted zone (default 0.55, --unhealthy-zone-threshold). */
  unhealthyZoneThreshold?: number;
}

/**
 * Builds both controllers on `factory` (not started) and returns their run functions, each running
 * until `signal` aborts.
 */
export function startNodeLifecycleControllers(
  client: Client,
  factory: SharedInformerFactory,
  log: Logger,
  workers: number,
  signal: AbortSignal,
  opts: NodeLifecycleOptions = {},
): { name: string; run: () => Promise<void> }[] {
  const nlc = new NodeLifecycleController({ client, factory, logger: log, recorder: new ClientEventRecorder(client, { component: 'node-controller', logger: log }), ...opts });
  const tec = new TaintEvictionController({ client, factory, logger: log, recorder: controllerEventRecorder(client, 'taint-eviction-controller', log, { apiVersion: 'v1', kind: 'Pod' }) });
  return [
    { name: 'node-lifecycle', run: () => nlc.run(signal) },
    { name: 'taint-eviction', run: () => tec.run(workers, signal) },
  ];
}
