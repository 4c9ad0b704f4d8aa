/**
 * ResourceQuotaController, after pkg/controller/resourcequota/resource_quota_controller.go
 * (syncResourceQuota, replenishment via the QuotaMonitor, periodic full resync): keys are
 * `<namespace>/<name>` of ResourceQuotas. A sync sets `status.hard` to `spec.hard` and recomputes
 * `status.used` for every hard resource from the live objects of the namespace (informers for
 * pods, services, claims, configmaps, secrets, replication controllers and quotas; a LIST for
 * other `count/<resource>.<group>` names), with the quota's evaluators (terminal pods do not count
 * toward compute resources or `pods`, as upstream's QuotaV1Pod). The status is written only when it
 * changed, with the quota's resourceVersion as precondition (so it never overwrites a concurrent
 * admission charge; a 409 retries).
 *
 * Triggers: a quota added, or updated with `spec.hard` ≠ `status.hard`; an evaluated object
 * deleted, or updated so that its usage changed (e.g. a pod becoming Succeeded) — all quotas of its
 * namespace; and every quota every `resyncPeriodMs` (default 5 minutes, upstream's
 * `--resource-quota-sync-period`). Objects being added are charged by admission, not here.
 */
import type { Client, GroupVersionResource, KubeObject } from '../../client/interface.ts';
import { defaultLogger, unwrapTombstone, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import { rec } from '../../api/common/meta.ts';
import { RESOURCES } from '../../api/resource-table.ts';
import { calculateUsage, evaluatorFor } from '../../api/core/v1/resourcequota/evaluators.ts';
import { addResources, fromResourceList, maskResources, resourcesEqual, toResourceList, type ResourceList } from '../../api/core/v1/resourcequota/helpers.ts';
import { BaseController } from '../shared/base-controller.ts';

/** Resources watched for replenishment (upstream's default quota registry, core evaluators). */
export const QuotaWatchedResources: GroupVersionResource[] = [
  { group: '', version: 'v1', resource: 'pods' },
  { group: '', version: 'v1', resource: 'services' },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  { group: '', version: 'v1', resource: 'configmaps' },
  { group: '', version: 'v1', resource: 'secrets' },
  { group: '', version: 'v1', resource: 'replicationcontrollers' },
  { group: '', version: 'v1', resource: 'resourcequotas' },
];

const RESOURCEQUOTAS: GroupVersionResource = { group: '', version: 'v1', resource: 'resourcequotas' };

/** Options of {@link ResourceQuotaController}. */
export interface ResourceQuotaControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  logger?: Logger;
  /** Full resync period (ms, default 300 000). */
  resyncPeriodMs?: number;
  /** Clock (Unix ms), for pods whose deletion grace period ran out. */
  now?: () => number;
}

/**
 * `count/<resource>[.<group>]` → group/resource (`count/deployments.apps` → apps/deployments), or
 * undefined for other names.
 */
export function parseObjectCountName(name: string): { group: string; resource: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

/** Keeps every ResourceQuota's status in step with the objects of its namespace. */
export class ResourceQuotaController extends BaseController {
  private readonly client: Client;
  readonly quotaInformer: SharedInformer;
  private readonly informers = new Map<string, SharedInformer>();
  private readonly resyncPeriodMs: number;
  private readonly now: () => number;

  constructor(opts: ResourceQuotaControllerOptions) {
    super('resourcequota', (key) => this.syncResourceQuotaFromKey(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.resyncPeriodMs = opts.resyncPeriodMs ?? 300_000;
    this.now = opts.now ?? Date.now;
    this.quotaInformer = opts.factory.forResource(RESOURCEQUOTAS);
    const key = (q: KubeObject) => `${q.metadata?.namespace ?? ''}/${q.metadata?.name ?? ''}`;
    this.quotaInformer.addEventHandler({
      onAdd: (q) => this.queue.add(key(q)),
      onUpdate: (old, q) => {
        const hard = toResourceList(rec(q.spec).hard);
        if (!resourcesEqual(hard, toResourceList(rec(old.spec).hard)) || !resourcesEqual(hard, toResourceList(rec(q.status).hard))) this.queue.add(key(q));
      },
    });
    for (const gvr of QuotaWatchedResources) {
      const inf = gvr.resource === 'resourcequotas' ? this.quotaInformer : opts.factory.forResource(gvr);
      this.informers.set(`${gvr.group}/${gvr.resource}`, inf);
      const evaluator = evaluatorFor(gvr.group, gvr.resource);
      inf.addEventHandler({
        onUpdate: (old, obj) => {
          if (old === obj) return;
          const before = evaluator.usage(old, this.now());
          const after = evaluator.usage(obj, this.now());
          if (!resourcesEqual(before, after)) this.enqueueNamespace(obj.metadata?.namespace);
        },
        onDelete: (o) => this.enqueueNamespace(unwrapTombstone(o).metadata?.namespace),
      });
    }
  }

  /** Enqueues every quota of `namespace` (replenishment). */
  enqueueNamespace(namespace: string | undefined): void {
    if (!namespace) return;
    for (const q of this.quotaInformer.lister.list(namespace)) this.queue.add(`${namespace}/${q.metadata?.name ?? ''}`);
  }

  /** Enqueues every quota (full resync). */
  enqueueAll(): void {
    for (const q of this.quotaInformer.lister.list()) this.queue.add(`${q.metadata?.namespace ?? ''}/${q.metadata?.name ?? ''}`);
  }

  /** Waits for the informers, then runs workers and the periodic resync until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of this.informers.values()) if (!(await inf.waitForSync(signal))) return;
    const timer = setInterval(() => this.enqueueAll(), this.resyncPeriodMs);
    timer.unref?.();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    await this.runWorkers(workers, signal);
  }

  private async syncResourceQuotaFromKey(key: string): Promise<void> {
    const i = key.indexOf('/');
    const quota = this.quotaInformer.lister.get(key.slice(0, i), key.slice(i + 1));
    if (!quota) return;
    await this.syncResourceQuota(quota);
  }

  /** The objects of one group/resource in `namespace`: from an informer when watched, else a LIST (the version from the resource table). */
  private async objectsOf(group: string, resource: string, namespace: string): Promise<KubeObject[] | undefined> {
    const inf = this.informers.get(`${group}/${resource}`);
    if (inf) return inf.lister.list(namespace);
    const ri = RESOURCES.find((r) => r.group === group && r.resource === resource && r.namespaced);
    if (!ri) return undefined;
    try {
      return (await this.client.list({ group, version: ri.version, resource }, namespace)).items;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * `computeStatus`: `{hard, used}` for `quota` from the current objects. Used starts from the old
   * `status.used`, is overwritten for every resource an evaluator computes, and is masked to the
   * hard resource names.
   */
  async computeStatus(quota: KubeObject): Promise<{ hard: ResourceList; used: ResourceList }> {
    const namespace = quota.metadata?.namespace ?? '';
    const hard = toResourceList(rec(quota.spec).hard);
    const hardNames = [...hard.keys()];
    const targets = new Map<string, { group: string; resource: string }>();
    for (const gvr of QuotaWatchedResources) targets.set(`${gvr.group}/${gvr.resource}`, gvr);
    for (const n of hardNames) {
      const p = parseObjectCountName(n);
      if (p) targets.set(`${p.group}/${p.resource}`, p);
    }
    let used: ResourceList = toResourceList(rec(quota.status).used);
    const nowMs = this.now();
    for (const { group, resource } of targets.values()) {
      const evaluator = evaluatorFor(group, resource);
      if (evaluator.matchingResources(hardNames).length === 0) continue;
      const objects = await this.objectsOf(group, resource, namespace);
      if (!objects) continue;
      const usage = calculateUsage(evaluator, quota, hardNames, objects, nowMs);
      used = new Map([...used, ...usage]);
    }
    used = maskResources(addResources(new Map(), used), hardNames);
    return { hard, used };
  }

  /** `syncResourceQuota`: recomputes and, when changed, writes `status` (409 → retried by the queue). */
  async syncResourceQuota(quota: KubeObject): Promise<void> {
    const { hard, used } = await this.computeStatus(quota);
    const status = rec(quota.status);
    const dirty = !resourcesEqual(hard, toResourceList(status.hard)) || !resourcesEqual(used, toResourceList(status.used));
    if (!dirty) return;
    const next = structuredClone(quota);
    next.status = { hard: fromResourceList(hard), used: fromResourceList(used) };
    try {
      await this.client.update(RESOURCEQUOTAS, quota.metadata?.namespace, next, { subresource: 'status' });
    } catch (e) {
      if (isNotFound(e)) return;
      if (isConflict(e)) throw e; // re-queued with back-off; the informer brings the newer quota
      throw e;
    }
  }
}
