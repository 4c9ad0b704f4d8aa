/**
 * ResourceQuota admission, after staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota
 * (admission.go, controller.go: checkRequest / checkQuotas) with the evaluators of
 * pkg/quota/v1/evaluator/core. A validating plugin: for a CREATE (or an UPDATE the evaluator
 * charges, e.g. a Service becoming a LoadBalancer or a claim growing) in a namespace with quotas,
 * every quota whose `status.hard` constrains the object and whose scopes match it is checked:
 *
 * - a pod lacking a cpu/memory request or limit the quota tracks → 403
 *   `failed quota: <q>: must specify limits.cpu for: web; requests.cpu for: web`;
 * - a quota whose status has no usage yet for a tracked resource → 403
 *   `status unknown for quota: <q>, resources: <names>` (the controller has not synced it);
 * - used + requested > hard → 403 `exceeded quota: <q>, requested: pods=1, used: pods=2, limited: pods=2`.
 *
 * Otherwise the new usage is written to each quota's `status.used` with a compare-and-swap on its
 * resourceVersion (the quota's `/status` through the store) before the object itself is written;
 * a conflict re-reads the quotas and re-checks, so two concurrent creates cannot both take the
 * last slot. Deletions are not charged: the resourcequota controller recomputes usage.
 */
import type { KubeObject } from '../../client/interface.ts';
import { StatusError, newForbidden, newInternalError } from '../../machinery/errors.ts';
import { rec } from '../../api/common/meta.ts';
import {
  addResources,
  isNegative,
  lessThanOrEqual,
  maskResources,
  prettyPrint,
  removeZeros,
  subtractWithNonNegativeResult,
  toResourceList,
  fromResourceList,
} from '../../api/core/v1/resourcequota/helpers.ts';
import { evaluatorFor, getScopeSelectorsFromQuota } from '../../api/core/v1/resourcequota/evaluators.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';

/** Reads and writes quotas for the plugin (the apiserver's own store). */
export interface QuotaAccessor {
  /**
   * Every ResourceQuota of `namespace`. `fresh`: read the store itself (needed before a
   * compare-and-swap); otherwise the watch cache may answer (it may lag slightly).
   */
  list(namespace: string, fresh: boolean): Promise<KubeObject[]>;
  /**
   * Writes `quota.status` through `/status` with `metadata.resourceVersion` as precondition.
   * @throws StatusError 409 Conflict when the quota changed since it was read
   */
  updateStatus(quota: KubeObject): Promise<KubeObject>;
}

/** Minimal view of the apiserver pipeline used by {@link quotaAccessor}. */
export interface QuotaPipeline {
  find(group: string, version: string, resource: string): unknown;
  store(ri: never): {
    list(namespace: string | undefined, opts?: { resourceVersion?: string }): Promise<{ items: KubeObject[] }>;
    update(ctx: { user: string }, namespace: string | undefined, name: string, obj: KubeObject, opts: { subresource: string }): Promise<{ object: KubeObject }>;
  };
}

/**
 * A {@link QuotaAccessor} over the apiserver's own ResourceQuota store (no quotas when the
 * resource is not served).
 * @param pipeline the APIServer's Pipeline (`find` + `store`)
 */
export function quotaAccessor(pipeline: QuotaPipeline): QuotaAccessor {
  const store = () => {
    const ri = pipeline.find('', 'v1', 'resourcequotas');
    return ri ? pipeline.store(ri as never) : undefined;
  };
  return {
    async list(namespace, fresh) {
      const s = store();
      return s ? (await s.list(namespace, fresh ? {} : { resourceVersion: '0' })).items : [];
    },
    async updateStatus(quota) {
      const s = store();
      if (!s) throw newInternalError('resourcequotas are not served');
      const m = quota.metadata ?? {};
      return (await s.update({ user: '' }, m.namespace, m.name ?? '', quota, { subresource: 'status' })).object;
    },
  };
}

/** How many times a write conflict on a quota's status is retried before giving up (500). */
const MAX_CONFLICT_RETRIES = 10;

/**
 * The ResourceQuota admission plugin. Quota checks of one namespace run one at a time (upstream's
 * quotaEvaluator hands a namespace's waiting admissions to a single worker, plugin/pkg/admission/
 * resourcequota/controller.go), so concurrent creates in a namespace do not race each other on the
 * quota's resourceVersion; conflicts left are with other writers (the controller) and are retried.
 */
export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = 'ResourceQuota';
  /** Per namespace: settles when the last queued quota check of that namespace is done. */
  private readonly inProgress = new Map<string, Promise<void>>();
  constructor(private readonly quotas: QuotaAccessor) {}

  /** Runs `f` after every earlier quota check of `namespace` has finished. */
  private async inNamespace<T>(namespace: string, f: () => Promise<T>): Promise<T> {
    const prev = this.inProgress.get(namespace) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.inProgress.set(namespace, tail);
    await prev;
    try {
      return await f();
    } finally {
      release();
      if (this.inProgress.get(namespace) === tail) this.inProgress.delete(namespace);
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (!a.namespace || !a.object || !a.resource.namespaced) return;
    const evaluator = evaluatorFor(a.resource.group, a.resource.resource);
    if (!evaluator.handles(a.operation, a.subresource)) return;
    const gr = { group: a.resource.group, resource: a.resource.resource };
    const forbid = (msg: string) => newForbidden(gr, a.name || a.object?.metadata?.name || '', msg);
    const obj = a.object;
    if (!obj.metadata?.namespace) (obj.metadata ??= {}).namespace = a.namespace;

    // Fast path (most writes): no quota in the namespace constrains this object, per the watch cache.
    const cached = await this.quotas.list(a.namespace, false);
    const constrains = (q: KubeObject) => evaluator.matchesScopes(getScopeSelectorsFromQuota(q), obj) && evaluator.matchingResources(Object.keys(rec(rec(q.status).hard))).length > 0;
    if (!cached.some(constrains)) return;
    await this.inNamespace(a.namespace, () => this.checkQuotas(a, evaluator, forbid));
  }

  /** The slow path of {@link validate}: fresh quotas, constraints, charge status.used with a CAS. */
  private async checkQuotas(a: AdmissionAttributes, evaluator: ReturnType<typeof evaluatorFor>, forbid: (msg: string) => StatusError): Promise<void> {
    const obj = a.object!;
    // Quotas already charged by an earlier attempt (a conflict on another quota forced a retry).
    const charged = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const quotas = (await this.quotas.list(a.namespace, true)).filter((q) => !charged.has(q.metadata?.name ?? ''));
      if (quotas.length === 0) return;
      // Which quotas constrain the object (checkRequest).
      const interesting: KubeObject[] = [];
      for (const q of quotas) {
        if (!evaluator.matchesScopes(getScopeSelectorsFromQuota(q), obj)) continue;
        const hardNames = Object.keys(rec(rec(q.status).hard));
        const restricted = evaluator.matchingResources(hardNames);
        if (restricted.length === 0) continue;
        const name = q.metadata?.name ?? '';
        const err = evaluator.constraints(restricted, obj);
        if (err) throw forbid(`failed quota: ${name}: ${err}`);
        const used = rec(rec(q.status).used);
        // hasUsageStats; the message lists every restricted resource (prettyPrintResourceNames), as upstream.
        if (restricted.some((r) => !(r in used))) throw forbid(`status unknown for quota: ${name}, resources: ${[...restricted].sort().join(',')}`);
        interesting.push(q);
      }
      if (interesting.length === 0) return;
      let delta = evaluator.usage(obj);
      const negative = isNegative(delta);
      if (negative.length) throw forbid(`quota usage is negative for resource(s): ${negative.sort().join(',')}`);
      if (a.operation === 'UPDATE' && a.oldObject?.metadata?.resourceVersion) {
        delta = subtractWithNonNegativeResult(delta, evaluator.usage(a.oldObject));
      }
      delta = removeZeros(delta);
      if (delta.size === 0) return;
      const updates: KubeObject[] = [];
      for (const q of interesting) {
        const status = rec(q.status);
        const hard = toResourceList(status.hard);
        const used = toResourceList(status.used);
        const requested = maskResources(delta, hard.keys());
        const newUsage = addResources(used, requested);
        const [allowed, exceeded] = lessThanOrEqual(maskResources(newUsage, requested.keys()), hard);
        if (!allowed) {
          throw forbid(
            `exceeded quota: ${q.metadata?.name ?? ''}, requested: ${prettyPrint(maskResources(requested, exceeded))}, used: ${prettyPrint(maskResources(used, exceeded))}, limited: ${prettyPrint(maskResources(hard, exceeded))}`,
          );
        }
        if (requested.size === 0) continue;
        const next = structuredClone(q);
        (next.status as Record<string, unknown>).used = { ...rec(status.used), ...fromResourceList(maskResources(newUsage, requested.keys())) };
        updates.push(next);
      }
      if (a.dryRun || updates.length === 0) return;
      try {
        for (const q of updates) {
          await this.quotas.updateStatus(q);
          charged.add(q.metadata?.name ?? '');
        }
        return;
      } catch (err) {
        // Another write charged (or the controller recomputed) the quota first: re-read and re-check.
        if (err instanceof StatusError && err.code === 409 && attempt < MAX_CONFLICT_RETRIES) continue;
        if (err instanceof StatusError && err.code === 409) throw newInternalError('resource quota evaluation timed out');
        throw err;
      }
    }
  }
}
