/**
 * ReplicationManager, after pkg/controller/replication/replication_controller.go: upstream runs
 * the ReplicaSet controller's logic over ReplicationControllers (NewReplicationManager wraps
 * NewBaseController with conversion informers). Skiff does the same without conversion: the
 * ReplicaSetController is given the `replicationcontrollers` resource, the v1
 * ReplicationController kind for ControllerRefs, and a selector reader for RC's equality-based
 * `spec.selector` map. Adoption, release, expectations, slow-start, deletion ranking, status and
 * the ReplicaFailure condition are therefore the ReplicaSet ones.
 */
import type { Client, GroupVersionResource } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { Logger } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/record.ts';
import { selectorFromRequirements, type Selector } from '../../client/selectors.ts';
import type { PodControlInterface } from '../shared/pod-control.ts';
import { ReplicaSetController, type RSLike } from '../replicaset/replica-set.ts';

/** `replicationcontrollers` in core/v1. */
export const ReplicationControllerGVR: GroupVersionResource = { group: '', version: 'v1', resource: 'replicationcontrollers' };

/**
 * RC selector (`labels.SelectorFromSet(rc.Spec.Selector)`): one `key=value` requirement per
 * entry of the `spec.selector` map. An absent/empty map gives the empty selector (validation
 * refuses such RCs).
 */
export function replicationControllerSelector(rc: RSLike): Selector {
  const m = ((rc.spec as { selector?: unknown } | undefined)?.selector ?? {}) as Record<string, string>;
  return selectorFromRequirements(Object.entries(m).map(([key, v]) => ({ key, operator: '=' as const, values: [String(v)] })));
}

/** Options for {@link newReplicationManager}. */
export interface ReplicationManagerOptions {
  client: Client;
  factory: SharedInformerFactory;
  /** Records `SuccessfulCreate`/`SuccessfulDelete`/… events (component `replication-controller` upstream). */
  recorder: EventRecorder;
  podControl?: PodControlInterface;
  burstReplicas?: number;
  logger?: Logger;
  /** Clock (ms). */
  now?: () => number;
}

/**
 * NewReplicationManager: a ReplicaSetController over ReplicationControllers (queue name
 * `replicationmanager`). Run it with `run(workers, signal)`.
 */
export function newReplicationManager(opts: ReplicationManagerOptions): ReplicaSetController {
  return new ReplicaSetController({
    ...opts,
    gvr: ReplicationControllerGVR,
    kind: { apiVersion: 'v1', kind: 'ReplicationController' },
    getSelector: replicationControllerSelector,
    name: 'replicationmanager',
  });
}
