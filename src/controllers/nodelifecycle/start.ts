/**
 * Wiring of the node lifecycle and taint-eviction controllers for the controller manager
 * (upstream starts them as `node-lifecycle-controller` and `taint-eviction-controller`).
 */
import type { Client } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { Logger } from '../../client/informer.ts';
import { ClientEventRecorder } from '../../client/record.ts';
import { NodeLifecycleController } from './node-lifecycle-controller.ts';
import { TaintEvictionController } from './taint-eviction-controller.ts';

/** Timing options of the node lifecycle controller (upstream --node-monitor-*). */
export interface NodeLifecycleOptions {
  /** ms without a heartbeat before a node is Unknown (default 40 000, --node-monitor-grace-period). */
  gracePeriodMs?: number;
  /** ms between health passes (default 5000, --node-monitor-period). */
  monitorPeriodMs?: number;
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
  const nlc = new NodeLifecycleController({ client, factory, logger: log, gracePeriodMs: opts.gracePeriodMs, monitorPeriodMs: opts.monitorPeriodMs });
  const tec = new TaintEvictionController({ client, factory, logger: log, recorder: new ClientEventRecorder(client, { component: 'taint-eviction-controller', logger: log }) });
  return [
    { name: 'node-lifecycle', run: () => nlc.run(signal) },
    { name: 'taint-eviction', run: () => tec.run(workers, signal) },
  ];
}
