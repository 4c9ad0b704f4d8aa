/**
 * The scheduler, after pkg/scheduler/scheduler.go, eventhandlers.go and schedule_one.go.
 *
 * Wiring: one pod informer (all pods; terminal pods are ignored), one node informer, and a
 * namespace informer (labels for InterPodAffinity namespaceSelector terms).
 * - Unassigned pods whose `spec.schedulerName` is ours (default `default-scheduler`) and that are
 *   not being deleted go to the {@link SchedulingQueue}.
 * - Assigned, non-terminal pods are accounted in the {@link SchedulerCache} (their requests count
 *   against their node); deleting one frees room, so unschedulable pods are retried.
 * - Node add, and node updates that change what scheduling looks at (allocatable, labels, taints,
 *   unschedulable), retry unschedulable pods; a pod getting assigned retries only pods rejected by
 *   InterPodAffinity or PodTopologySpread (upstream queueing hints).
 *
 * scheduleOne (one pod at a time): pop → skip if the pod is gone/assigned/terminating → filter all
 * nodes → score the feasible ones → pick the best (ties random) → **assume** the pod on that node
 * in the cache (so the next decision sees it) → bind asynchronously with POST pods/<name>/binding.
 * On success: a Normal `Scheduled` event "Successfully assigned <ns>/<name> to <node>". On bind
 * failure the assumption is forgotten and the pod retried with back-off.
 * When no node fits: the pod's `PodScheduled` condition becomes False with reason `Unschedulable`
 * and upstream's message ("0/3 nodes are available: …. preemption: …"), written with a
 * strategic-merge patch of pods/status, plus a Warning `FailedScheduling` event with the same
 * message; the pod waits in unschedulablePods until a cluster event (or 5 minutes).
 * Errors (not fit errors) use reason `SchedulerError` and back-off.
 */
import type { Node, ObjectReference, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { GVR, type Client, type KubeObject } from '../client/interface.ts';
import { SharedInformer, unwrapTombstone, defaultLogger, type DeletedFinalStateUnknown, type Logger } from '../client/informer.ts';
import type { SharedInformerFactory } from '../client/informer-factory.ts';
import { ClientEventRecorder, type EventRecorder } from '../client/record.ts';
import type { Clock } from '../client/workqueue.ts';
import { rfc3339 } from '../client/object-util.ts';
import { StatusError } from '../machinery/errors.ts';
import { SchedulerCache } from './cache.ts';
import { SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.ts';
import type { Framework } from './framework/runtime.ts';
import { FitError } from './framework/types.ts';
import { newDefaultFramework } from './plugins/registry.ts';
import { Name as InterPodAffinityName } from './plugins/inter-pod-affinity/inter-pod-affinity.ts';
import { Name as PodTopologySpreadName } from './plugins/pod-topology-spread/pod-topology-spread.ts';
import { volumeInformers, type VolumeInformers } from './volume-informers.ts';
import { NoNodesAvailableError, schedulePod } from './schedule-one.ts';

/** Upstream's default scheduler name (`spec.schedulerName` default). */
export const DefaultSchedulerName = 'default-scheduler';

/** Options for {@link Scheduler}. */
export interface SchedulerOptions {
  /** The API client (in-process in `skiff server`). */
  client: Client;
  /** Pods with this `spec.schedulerName` are ours. Default `default-scheduler`. */
  schedulerName?: string;
  /** Event recorder; default a ClientEventRecorder with component = schedulerName. */
  recorder?: EventRecorder;
  /** Share informers with controllers; default: the scheduler makes its own. */
  informerFactory?: SharedInformerFactory;
  /** Plugins; default {@link newDefaultFramework}. */
  framework?: Framework;
  logger?: Logger;
  /** Clock for the queue's back-off (ms). */
  clock?: Clock;
  /** Random source for tie-breaking, in [0, 1). */
  random?: () => number;
  /** Back-off bounds in ms (default 1000 → 10000, as upstream). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Queue flush period in ms (default 1000). */
  flushIntervalMs?: number;
}

/** Pod/Node as stored by informers (kubernetes-types objects carry no index signature). */
type KPod = Pod & KubeObject;
type KNode = Node & KubeObject;

const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isAssigned = (pod: Pod) => !!pod.spec?.nodeName;

/**
 * True when a pending pod changed in a way that may affect scheduling: anything but status,
 * resourceVersion, generation and managedFields (upstream isPodUpdated).
 */
function isPodUpdated(oldPod: Pod, newPod: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = p.metadata ?? {};
    return JSON.stringify([meta, p.spec]);
  };
  return strip(oldPod) !== strip(newPod);
}

/**
 * The event's involvedObject for a pod. Built explicitly because objects from LIST carry no
 * kind/apiVersion, and `kubectl describe` finds events by involvedObject kind/name/namespace/uid.
 */
function podRef(pod: Pod): ObjectReference {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name,
    ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
  };
}

/** Serialises the parts of a node scheduling looks at, to detect relevant updates. */
function nodeSchedulingProperties(node: Node): string {
  return JSON.stringify([
    node.status?.allocatable ?? node.status?.capacity ?? {},
    node.metadata?.labels ?? {},
    node.spec?.taints ?? [],
    !!node.spec?.unschedulable,
  ]);
}

/** The scheduler; see the file comment. */
export class Scheduler {
  readonly schedulerName: string;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly framework: Framework;
  private readonly log: Logger;
  private readonly random: () => number;
  private podInformer: SharedInformer<KPod> | undefined;
  private nodeInformer: SharedInformer<KNode> | undefined;
  /** Namespaces, for InterPodAffinity's namespaceSelector (not waited for). */
  private nsInformer: SharedInformer<KubeObject> | undefined;
  private readonly bindings = new Set<Promise<void>>();
  /** PVCs, PVs and StorageClasses for VolumeBinding (not waited for). */
  private volumeInformers: VolumeInformers | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    this.client = opts.client;
    this.schedulerName = opts.schedulerName ?? DefaultSchedulerName;
    this.recorder = opts.recorder ?? new ClientEventRecorder(opts.client, { component: this.schedulerName, logger: opts.logger });
    this.framework =
      opts.framework ??
      newDefaultFramework({
        namespaceLabels: (ns) => this.nsInformer?.lister.get(undefined, ns)?.metadata?.labels as Record<string, string> | undefined,
        volumes: {
          claim: (ns, name) => this.volumeInformers?.claims.lister.get(ns, name),
          volume: (name) => this.volumeInformers?.volumes.lister.get(undefined, name),
          volumes: () => this.volumeInformers?.volumes.store.list() ?? [],
          storageClass: (name) => this.volumeInformers?.classes.lister.get(undefined, name),
        },
      });
    this.log = opts.logger ?? defaultLogger;
    this.random = opts.random ?? Math.random;
    this.queue = new SchedulingQueue({
      clock: opts.clock,
      initialBackoffMs: opts.initialBackoffMs,
      maxBackoffMs: opts.maxBackoffMs,
      flushIntervalMs: opts.flushIntervalMs,
    });
  }

  /**
   * Runs until `signal` aborts: starts the informers, waits for their first sync, then schedules
   * pods one at a time. Resolves after the loop and in-flight bindings have stopped. Never rejects
   * for per-pod failures (they are logged, evented and retried).
   */
  async start(signal: AbortSignal): Promise<void> {
    const factory = this.opts.informerFactory;
    this.podInformer = factory ? factory.forResource<KPod>(GVR.pods) : new SharedInformer<KPod>(this.client, GVR.pods, { logger: this.opts.logger });
    this.nodeInformer = factory ? factory.forResource<KNode>(GVR.nodes) : new SharedInformer<KNode>(this.client, GVR.nodes, { logger: this.opts.logger });
    this.nsInformer = factory ? factory.forResource(GVR.namespaces) : new SharedInformer(this.client, GVR.namespaces, { logger: this.opts.logger });
    this.registerHandlers(this.podInformer, this.nodeInformer);
    const runs: Promise<void>[] = [];
    this.volumeInformers = volumeInformers(this.client, factory, this.queue, signal, runs, this.opts.logger);
    if (factory) factory.start(signal);
    else runs.push(this.podInformer.run(signal), this.nodeInformer.run(signal), this.nsInformer.run(signal));
    const synced = (await this.podInformer.waitForSync(signal)) && (await this.nodeInformer.waitForSync(signal));
    if (synced) {
      this.queue.run();
      const onAbort = () => this.queue.close();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        while (!signal.aborted) {
          const qp = await this.queue.pop(signal);
          if (!qp) break;
          try {
            this.scheduleOne(qp);
          } catch (err) {
            this.log.error({ err, pod: qp.key }, 'scheduleOne failed');
          }
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        this.queue.close();
      }
    }
    await Promise.allSettled([...this.bindings]);
    await Promise.all(runs);
  }

  /** Resolves when every binding started so far has finished (tests). */
  async waitForBindings(): Promise<void> {
    await Promise.allSettled([...this.bindings]);
  }

  private responsibleForPod(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? DefaultSchedulerName) === this.schedulerName;
  }

  private registerHandlers(pods: SharedInformer<KPod>, nodes: SharedInformer<KNode>): void {
    pods.addEventHandler({
      onAdd: (pod) => this.onPodAdd(pod),
      onUpdate: (oldPod, newPod) => this.onPodUpdate(oldPod, newPod),
      onDelete: (obj) => this.onPodDelete(unwrapTombstone(obj as KPod | DeletedFinalStateUnknown<KPod>)),
    });
    nodes.addEventHandler({
      onAdd: (node) => {
        this.cache.addNode(node);
        this.queue.moveAllToActiveOrBackoffQueue('NodeAdd');
      },
      onUpdate: (oldNode, newNode) => {
        this.cache.updateNode(newNode);
        if (nodeSchedulingProperties(oldNode) !== nodeSchedulingProperties(newNode)) {
          this.queue.moveAllToActiveOrBackoffQueue('NodeUpdate');
        }
      },
      onDelete: (obj) => this.cache.removeNode(unwrapTombstone(obj as KNode | DeletedFinalStateUnknown<KNode>)),
    });
  }

  /**
   * A pod got assigned: only pods rejected by InterPodAffinity or PodTopologySpread can benefit
   * (upstream AssignedPodAdd queueing hints).
   */
  private onAssignedPodAdded(): void {
    this.queue.moveAllToActiveOrBackoffQueue(
      'AssignedPodAdd',
      (p) => p.unschedulablePlugins.has(InterPodAffinityName) || p.unschedulablePlugins.has(PodTopologySpreadName),
    );
  }

  private onPodAdd(pod: Pod): void {
    if (isTerminal(pod)) return;
    if (isAssigned(pod)) {
      this.cache.addPod(pod);
      this.onAssignedPodAdded();
      return;
    }
    if (this.responsibleForPod(pod) && !pod.metadata?.deletionTimestamp) this.queue.add(pod);
  }

  private onPodUpdate(oldPod: Pod, newPod: Pod): void {
    if (isAssigned(newPod)) {
      if (isTerminal(newPod)) {
        if (!isAssigned(oldPod)) this.queue.delete(oldPod);
        this.cache.removePod(newPod);
        this.queue.moveAllToActiveOrBackoffQueue('AssignedPodDelete');
      } else {
        this.cache.updatePod(newPod);
        if (!isAssigned(oldPod)) {
          this.queue.delete(oldPod);
          this.onAssignedPodAdded();
        }
      }
      return;
    }
    if (!this.responsibleForPod(newPod)) return;
    if (isTerminal(newPod) || newPod.metadata?.deletionTimestamp) {
      this.queue.delete(newPod);
      return;
    }
    if (!this.queue.update(newPod, isPodUpdated(oldPod, newPod))) this.queue.add(newPod);
  }

  private onPodDelete(pod: Pod): void {
    if (isAssigned(pod)) {
      this.cache.removePod(pod);
      this.queue.moveAllToActiveOrBackoffQueue('AssignedPodDelete');
    } else {
      this.queue.delete(pod);
    }
  }

  /** One scheduling cycle for a popped pod (synchronous up to the assume; binding runs async). */
  private scheduleOne(qp: QueuedPodInfo): void {
    const ns = qp.pod.metadata?.namespace;
    const name = qp.pod.metadata?.name ?? '';
    const pod = this.podInformer?.lister.get(ns, name);
    if (!pod || isAssigned(pod) || pod.metadata?.deletionTimestamp || isTerminal(pod) || this.cache.isAssumedPod(pod)) {
      this.queue.done(qp);
      return;
    }
    qp.pod = pod;
    const cycle = this.queue.cycle;
    let host: string;
    try {
      host = schedulePod(this.framework, pod, this.cache.nodeInfos(), this.random).suggestedHost;
    } catch (err) {
      this.handleSchedulingFailure(qp, cycle, err);
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec!, nodeName: host } };
    this.cache.assumePod(assumed);
    const p = this.bind(qp, assumed, host, cycle).finally(() => this.bindings.delete(p));
    this.bindings.add(p);
  }

  private async bind(qp: QueuedPodInfo, assumed: Pod, host: string, cycle: number): Promise<void> {
    const ns = assumed.metadata!.namespace!;
    const name = assumed.metadata!.name!;
    try {
      await this.client.createSubresource(GVR.pods, ns, name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace: ns, ...(assumed.metadata?.uid ? { uid: assumed.metadata.uid } : {}) },
        target: { apiVersion: 'v1', kind: 'Node', name: host },
      });
    } catch (err) {
      this.cache.forgetPod(assumed);
      const code = err instanceof StatusError ? err.status.code : 0;
      if (code === 404) {
        // The pod is gone; nothing to retry.
        this.queue.done(qp);
        return;
      }
      if (code === 409 && /already assigned/.test(err instanceof Error ? err.message : '')) {
        this.queue.done(qp);
        return;
      }
      this.handleSchedulingFailure(qp, cycle, new Error(`Binding rejected: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    this.cache.finishBinding(assumed);
    this.queue.done(qp);
    this.recorder.eventf(podRef(assumed), 'Normal', 'Scheduled', 'Successfully assigned %v/%v to %v', ns, name, host);
  }

  /** Records the failure (event + PodScheduled condition) and requeues the pod. */
  private handleSchedulingFailure(qp: QueuedPodInfo, cycle: number, err: unknown): void {
    const fit = err instanceof FitError || err instanceof NoNodesAvailableError;
    const message = err instanceof Error ? err.message : String(err);
    const reason = fit ? 'Unschedulable' : 'SchedulerError';
    if (err instanceof FitError) qp.unschedulablePlugins = new Set(err.diagnosis.unschedulablePlugins);
    if (!fit) this.log.warn({ pod: qp.key, err: message }, 'error scheduling pod; retrying');
    this.queue.addUnschedulableIfNotPresent(qp, cycle, fit);
    const pod = qp.pod;
    this.recorder.event(podRef(pod), 'Warning', 'FailedScheduling', message);
    void this.updatePodScheduledCondition(pod, reason, message);
  }

  /** Sets PodScheduled=False with reason/message via a strategic-merge patch of pods/status (skipped when unchanged). */
  private async updatePodScheduledCondition(pod: Pod, reason: string, message: string): Promise<void> {
    const conditions = [...(pod.status?.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === 'PodScheduled');
    const old = i >= 0 ? conditions[i] : undefined;
    if (old && old.status === 'False' && old.reason === reason && old.message === message) return;
    const cond: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastProbeTime: null as unknown as undefined,
      lastTransitionTime: old && old.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(),
    };
    if (i >= 0) conditions[i] = cond;
    else conditions.push(cond);
    try {
      await this.client.patch(
        GVR.pods,
        pod.metadata?.namespace,
        pod.metadata?.name ?? '',
        'application/strategic-merge-patch+json',
        { status: { conditions } },
        { subresource: 'status' },
      );
    } catch (err) {
      this.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: err instanceof Error ? err.message : err }, 'failed to update pod condition');
    }
  }
}
