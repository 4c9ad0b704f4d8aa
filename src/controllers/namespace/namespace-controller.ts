/**
 * Namespace bootstrap and deletion, after pkg/controller/namespace (namespace_controller.go and
 * deletion/namespaced_resources_deleter.go).
 *
 * - `ensureSystemNamespaces(client)` creates default, kube-system, kube-public and kube-node-lease
 *   (AlreadyExists is fine), as the apiserver's bootstrap controller does.
 * - NamespaceController: for a namespace with deletionTimestamp it marks it Terminating, deletes
 *   every object of the known namespaced resources in it, reports the
 *   NamespaceDeletionContentFailure / NamespaceContentRemaining / NamespaceFinalizersRemaining
 *   conditions, requeues while content remains, and finally removes the `kubernetes` finalizer
 *   through `namespaces/<name>/finalize` (the apiserver then deletes the namespace).
 *   Resources the server does not serve (404/405 on LIST) are skipped, standing in for discovery.
 */
import { GVR, type Client, type GroupVersionResource, type KubeObject } from '../../client/interface.ts';
import { defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { rfc3339 } from '../../client/object-util.ts';
import { isNotFound, StatusError } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';

export { SystemNamespaces, ensureSystemNamespaces } from './bootstrap.ts';

/** The namespace finalizer owned by this controller. */
export const FinalizerKubernetes = 'kubernetes';

const g = (group: string, resource: string, version = 'v1'): GroupVersionResource => ({ group, version, resource });

/** Namespaced resources whose content is deleted with a namespace (deletion order: workloads first). */
export const DefaultNamespacedResources: GroupVersionResource[] = [
  GVR.deployments,
  g('apps', 'statefulsets'),
  g('apps', 'daemonsets'),
  g('batch', 'cronjobs'),
  g('batch', 'jobs'),
  GVR.replicasets,
  g('', 'replicationcontrollers'),
  GVR.pods,
  GVR.services,
  GVR.endpoints,
  GVR.endpointslices,
  GVR.configmaps,
  GVR.secrets,
  GVR.serviceaccounts,
  g('', 'persistentvolumeclaims'),
  g('', 'podtemplates'),
  g('', 'limitranges'),
  g('', 'resourcequotas'),
  g('policy', 'poddisruptionbudgets'),
  g('networking.k8s.io', 'ingresses'),
  g('networking.k8s.io', 'networkpolicies'),
  g('rbac.authorization.k8s.io', 'roles'),
  g('rbac.authorization.k8s.io', 'rolebindings'),
  g('autoscaling', 'horizontalpodautoscalers', 'v2'),
  GVR.leases,
  GVR.events,
];

/** Options for {@link NamespaceController}. */
export interface NamespaceControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  resources?: GroupVersionResource[];
  logger?: Logger;
  /** Delay before re-checking a namespace whose content is still going away (ms, default 2000). */
  requeueMs?: number;
  now?: () => number;
}

interface NsCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** NamespaceController; see module comment. */
export class NamespaceController extends BaseController {
  private readonly client: Client;
  readonly nsInformer: SharedInformer;
  private readonly resources: GroupVersionResource[];
  private readonly requeueMs: number;
  private readonly now: () => number;

  constructor(opts: NamespaceControllerOptions) {
    super('namespace', (key) => this.syncNamespace(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.resources = opts.resources ?? DefaultNamespacedResources;
    this.requeueMs = opts.requeueMs ?? 2000;
    this.now = opts.now ?? (() => Date.now());
    this.nsInformer = opts.factory.forResource(GVR.namespaces);
    this.nsInformer.addEventHandler({
      onAdd: (ns) => {
        if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name!);
      },
      onUpdate: (_o, ns) => {
        if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name!);
      },
    });
  }

  /** Waits for the informer, then runs workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.nsInformer.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** Deletes the content of a terminating namespace, then finalizes it. @throws on API errors. */
  async syncNamespace(name: string): Promise<void> {
    let ns: KubeObject;
    try {
      ns = await this.client.get(GVR.namespaces, undefined, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    const status = (ns.status ?? {}) as { phase?: string; conditions?: NsCondition[] };
    if (status.phase !== 'Terminating') {
      ns = await this.client.update(GVR.namespaces, undefined, { ...ns, status: { ...status, phase: 'Terminating' } }, { subresource: 'status' });
    }
    const remaining = new Map<string, number>();
    const finalizersRemaining = new Map<string, number>();
    const failures: string[] = [];
    for (const gvr of this.resources) {
      let items: KubeObject[];
      try {
        items = (await this.client.list(gvr, name)).items;
      } catch (e) {
        if (e instanceof StatusError && (e.code === 404 || e.code === 405)) continue; // not served
        failures.push(`${gvr.resource}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (items.length === 0) continue;
      const label = gvr.group ? `${gvr.resource}.${gvr.group}` : gvr.resource;
      remaining.set(label, items.length);
      for (const o of items) {
        for (const f of o.metadata?.finalizers ?? []) finalizersRemaining.set(f, (finalizersRemaining.get(f) ?? 0) + 1);
        if (o.metadata?.deletionTimestamp) continue;
        try {
          await this.client.delete(gvr, name, o.metadata!.name!, { propagationPolicy: 'Background' });
        } catch (e) {
          if (!isNotFound(e)) failures.push(`${label} "${o.metadata?.name}": ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    // Re-count after the deletes: most objects go at once.
    for (const gvr of this.resources) {
      const label = gvr.group ? `${gvr.resource}.${gvr.group}` : gvr.resource;
      if (!remaining.has(label)) continue;
      try {
        const n = (await this.client.list(gvr, name)).items.length;
        if (n === 0) remaining.delete(label);
        else remaining.set(label, n);
      } catch {
        /* keep the earlier count */
      }
    }
    await this.updateConditions(ns, remaining, finalizersRemaining, failures);
    if (remaining.size > 0 || failures.length > 0) {
      this.queue.addAfter(name, this.requeueMs);
      return;
    }
    await this.finalizeNamespace(name);
  }

  private async updateConditions(ns: KubeObject, remaining: Map<string, number>, finalizers: Map<string, number>, failures: string[]): Promise<void> {
    const t = rfc3339(this.now());
    const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const conds: NsCondition[] = [
      failures.length
        ? { type: 'NamespaceDeletionContentFailure', status: 'True', lastTransitionTime: t, reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}` }
        : { type: 'NamespaceDeletionContentFailure', status: 'False', lastTransitionTime: t, reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
      remaining.size
        ? {
            type: 'NamespaceContentRemaining',
            status: 'True',
            lastTransitionTime: t,
            reason: 'SomeResourcesRemain',
            message: `Some resources are remaining: ${sorted(remaining).map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}`,
          }
        : { type: 'NamespaceContentRemaining', status: 'False', lastTransitionTime: t, reason: 'ContentRemoved', message: 'All content successfully removed' },
      finalizers.size && remaining.size
        ? {
            type: 'NamespaceFinalizersRemaining',
            status: 'True',
            lastTransitionTime: t,
            reason: 'SomeFinalizersRemain',
            message: `Some content in the namespace has finalizers remaining: ${sorted(finalizers).map(([f, n]) => `${f} in ${n} resource instances`).join(', ')}`,
          }
        : { type: 'NamespaceFinalizersRemaining', status: 'False', lastTransitionTime: t, reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    ];
    const status = (ns.status ?? {}) as { conditions?: NsCondition[] };
    const old = status.conditions ?? [];
    // Keep lastTransitionTime when a condition's status did not change.
    for (const c of conds) {
      const prev = old.find((o) => o.type === c.type);
      if (prev && prev.status === c.status) c.lastTransitionTime = prev.lastTransitionTime;
    }
    const same = conds.every((c) => {
      const prev = old.find((o) => o.type === c.type);
      return prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message;
    });
    if (same) return;
    try {
      const fresh = await this.client.get(GVR.namespaces, undefined, ns.metadata!.name!);
      const others = (((fresh.status ?? {}) as { conditions?: NsCondition[] }).conditions ?? []).filter((o) => !conds.some((c) => c.type === o.type));
      await this.client.update(GVR.namespaces, undefined, { ...fresh, status: { ...(fresh.status as object), phase: 'Terminating', conditions: [...others, ...conds] } }, { subresource: 'status' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Removes the `kubernetes` finalizer via /finalize (falling back to a plain update if /finalize is not served). */
  private async finalizeNamespace(name: string): Promise<void> {
    let ns: KubeObject;
    try {
      ns = await this.client.get(GVR.namespaces, undefined, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const spec = (ns.spec ?? {}) as { finalizers?: string[] };
    if (!spec.finalizers?.includes(FinalizerKubernetes)) return;
    const next = { ...ns, spec: { ...spec, finalizers: spec.finalizers.filter((f) => f !== FinalizerKubernetes) } };
    try {
      await this.client.update(GVR.namespaces, undefined, next, { subresource: 'finalize' });
      return;
    } catch (e) {
      if (!(e instanceof StatusError) || ![400, 404, 405].includes(e.code)) throw e;
    }
    // /finalize not served (or the namespace vanished): fall back to a plain update if it still exists.
    try {
      const fresh = await this.client.get(GVR.namespaces, undefined, name);
      const fs = ((fresh.spec ?? {}) as { finalizers?: string[] }).finalizers ?? [];
      await this.client.update(GVR.namespaces, undefined, { ...fresh, spec: { ...(fresh.spec as object), finalizers: fs.filter((f) => f !== FinalizerKubernetes) } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
