/**
 * LimitRanger admission, after plugin/pkg/admission/limitranger/admission.go. For pods (CREATE of
 * the main resource; pod updates cannot change resources) and PersistentVolumeClaims (CREATE and
 * UPDATE) in a namespace with LimitRanges:
 *
 * - mutating (`admit`, pods only): containers and init containers without a request/limit get the
 *   LimitRange's `type: Container` `defaultRequest`/`default`, and the pod is annotated
 *   `kubernetes.io/limit-ranger: LimitRanger plugin set: cpu request for container web; …`;
 * - validating (`validate`): `min`/`max`/`maxLimitRequestRatio` of `type: Container` per container,
 *   of `type: Pod` over the pod's summed requests/limits, and `min`/`max` storage of
 *   `type: PersistentVolumeClaim` over the claim's request; violations → 403
 *   `pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2`
 *   (several: `[a, b]`, as utilerrors.NewAggregate).
 *
 * Objects being deleted (old object with deletionTimestamp) are left alone.
 */
import type { KubeObject } from '../../client/interface.ts';
import { newForbidden } from '../../machinery/errors.ts';
import type { Quantity } from '../../machinery/quantity.ts';
import { arr, rec } from '../../api/common/meta.ts';
import { parseQuantityValue, toResourceList, type ResourceList } from '../../api/core/v1/resourcequota/helpers.ts';
import { podResourceList } from '../../api/core/v1/resourcequota/evaluators.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';

/** The annotation LimitRanger sets on pods it defaulted. */
export const LimitRangerAnnotation = 'kubernetes.io/limit-ranger';

/** Minimal view of the apiserver pipeline used by {@link limitRangeLister}. */
export interface LimitRangePipeline {
  find(group: string, version: string, resource: string): unknown;
  store(ri: never): { list(namespace: string | undefined, opts?: { resourceVersion?: string }): Promise<{ items: KubeObject[] }> };
}

/**
 * Lists a namespace's LimitRanges from the apiserver's watch cache (the store while the cache is
 * not ready; `[]` when not served), as upstream's informer-backed lister.
 * @param pipeline the APIServer's Pipeline (`find` + `store`)
 */
export function limitRangeLister(pipeline: LimitRangePipeline): (namespace: string) => Promise<KubeObject[]> {
  return async (namespace) => {
    const ri = pipeline.find('', 'v1', 'limitranges');
    if (!ri) return [];
    return (await pipeline.store(ri as never).list(namespace, { resourceVersion: '0' })).items;
  };
}

/** Quantity entries of one LimitRange item field (`max`, `min`, `default`, …), in key order. */
function items(v: unknown): [string, Quantity][] {
  const out: [string, Quantity][] = [];
  for (const [k, x] of Object.entries(rec(v))) {
    const q = parseQuantityValue(x);
    if (q) out.push([k, q]);
  }
  return out;
}

/**
 * `defaultContainerResourceRequirements`: the requests (`defaultRequest`) and limits (`default`) of
 * every `type: Container` item of a LimitRange, as JSON ResourceLists.
 */
export function defaultContainerResourceRequirements(lr: KubeObject): { requests: Record<string, unknown>; limits: Record<string, unknown> } {
  const requests: Record<string, unknown> = {};
  const limits: Record<string, unknown> = {};
  for (const it of arr(rec(lr.spec).limits)) {
    const item = rec(it);
    if (item.type !== 'Container') continue;
    Object.assign(requests, rec(item.defaultRequest));
    Object.assign(limits, rec(item.default));
  }
  return { requests, limits };
}

/** `mergeContainerResources`: fills missing requests/limits; returns the annotation fragments. */
function mergeContainerResources(container: Record<string, any>, defaults: { requests: Record<string, unknown>; limits: Record<string, unknown> }, prefix: string): string[] {
  const res = (container.resources = rec(container.resources));
  const limits = (res.limits = rec(res.limits));
  const requests = (res.requests = rec(res.requests));
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  for (const [k, v] of Object.entries(defaults.limits)) {
    if (!(k in limits)) {
      limits[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(defaults.requests)) {
    if (!(k in requests)) {
      requests[k] = v;
      setRequests.push(k);
    }
  }
  if (Object.keys(limits).length === 0) delete res.limits;
  if (Object.keys(requests).length === 0) delete res.requests;
  const out: string[] = [];
  if (setRequests.length) out.push(`${setRequests.sort().join(', ')} request for ${prefix} ${String(container.name ?? '')}`);
  if (setLimits.length) out.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${String(container.name ?? '')}`);
  return out;
}

/** `mergePodResourceRequirements` (mutates `pod`): defaults every container and sets the annotation. */
export function mergePodResourceRequirements(pod: KubeObject, defaults: { requests: Record<string, unknown>; limits: Record<string, unknown> }): void {
  const spec = rec(pod.spec);
  const notes: string[] = [];
  for (const c of arr(spec.containers)) notes.push(...mergeContainerResources(c, defaults, 'container'));
  for (const c of arr(spec.initContainers)) notes.push(...mergeContainerResources(c, defaults, 'init container'));
  if (notes.length) {
    const m = (pod.metadata ??= {});
    m.annotations = { ...(m.annotations ?? {}), [LimitRangerAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

/** `minConstraint`. @returns the violation message or undefined */
export function minConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(name);
  const lim = limit.get(name);
  if (!req) return `minimum ${name} usage per ${limitType} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) < 0) return `minimum ${name} usage per ${limitType} is ${enforced}, but request is ${req}`;
  if (lim && lim.cmp(enforced) < 0) return `minimum ${name} usage per ${limitType} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

/** `maxRequestConstraint` (claims: only the request is user input). */
export function maxRequestConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList): string | undefined {
  const req = request.get(name);
  if (!req) return `maximum ${name} usage per ${limitType} is ${enforced}.  No request is specified`;
  if (req.cmp(enforced) > 0) return `maximum ${name} usage per ${limitType} is ${enforced}, but request is ${req}`;
  return undefined;
}

/** `maxConstraint`. */
export function maxConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(name);
  const lim = limit.get(name);
  if (!lim) return `maximum ${name} usage per ${limitType} is ${enforced}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${limitType} is ${enforced}, but limit is ${lim}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${limitType} is ${enforced}, but request is ${req}`;
  return undefined;
}

/** `limitRequestRatioConstraint`: limit/request ≤ enforced (ratio printed as Go `%f`). */
export function limitRequestRatioConstraint(limitType: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(name);
  const lim = limit.get(name);
  const reqV = req ? req.milliValue() : 0;
  const limV = lim ? lim.milliValue() : 0;
  if (!req || reqV === 0) return `${name} max limit to request ratio per ${limitType} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || limV === 0) return `${name} max limit to request ratio per ${limitType} is ${enforced}, but no limit is specified or limit is 0`;
  const observed = limV / reqV;
  if (observed * 1000 > enforced.milliValue()) {
    return `${name} max limit to request ratio per ${limitType} is ${enforced}, but provided ratio is ${observed.toFixed(6)}`;
  }
  return undefined;
}

/** `PodValidateLimitFunc`: every violation of one LimitRange by `pod`. */
export function podValidateLimitFunc(lr: KubeObject, pod: KubeObject): string[] {
  const errs: string[] = [];
  const spec = rec(pod.spec);
  const push = (e: string | undefined) => e && errs.push(e);
  for (const it of arr(rec(lr.spec).limits)) {
    const item = rec(it);
    const type = String(item.type ?? '');
    if (type === 'Container') {
      for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
        const res = rec(rec(c).resources);
        const req = toResourceList(res.requests);
        const lim = toResourceList(res.limits);
        for (const [k, v] of items(item.min)) push(minConstraint(type, k, v, req, lim));
        for (const [k, v] of items(item.max)) push(maxConstraint(type, k, v, req, lim));
        for (const [k, v] of items(item.maxLimitRequestRatio)) push(limitRequestRatioConstraint(type, k, v, req, lim));
      }
    }
    if (type === 'Pod') {
      const req = podResourceList(pod, 'requests');
      const lim = podResourceList(pod, 'limits');
      for (const [k, v] of items(item.min)) push(minConstraint(type, k, v, req, lim));
      for (const [k, v] of items(item.max)) push(maxConstraint(type, k, v, req, lim));
      for (const [k, v] of items(item.maxLimitRequestRatio)) push(limitRequestRatioConstraint(type, k, v, req, lim));
    }
  }
  return errs;
}

/** `PersistentVolumeClaimValidateLimitFunc`: min/max of `type: PersistentVolumeClaim` over the claim's requests. */
export function persistentVolumeClaimValidateLimitFunc(lr: KubeObject, pvc: KubeObject): string[] {
  const errs: string[] = [];
  const req = toResourceList(rec(rec(pvc.spec).resources).requests);
  for (const it of arr(rec(lr.spec).limits)) {
    const item = rec(it);
    const type = String(item.type ?? '');
    if (type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of items(item.min)) {
      const e = minConstraint(type, k, v, req, new Map());
      if (e) errs.push(e);
    }
    for (const [k, v] of items(item.max)) {
      const e = maxRequestConstraint(type, k, v, req);
      if (e) errs.push(e);
    }
  }
  return errs;
}

/** The LimitRanger plugin. `listLimitRanges(ns)` returns the namespace's LimitRanges. */
export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';
  constructor(private readonly listLimitRanges: (namespace: string) => Promise<KubeObject[]>) {}

  /** `SupportsAttributes` + the deletion check of `runLimitFunc`. */
  private kindOf(a: AdmissionAttributes): 'pod' | 'pvc' | undefined {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return undefined;
    if (a.subresource !== '' || a.resource.group !== '' || !a.object || !a.namespace) return undefined;
    if (a.oldObject?.metadata?.deletionTimestamp) return undefined;
    if (a.resource.resource === 'pods') return a.operation === 'CREATE' ? 'pod' : undefined;
    if (a.resource.resource === 'persistentvolumeclaims') return 'pvc';
    return undefined;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (this.kindOf(a) !== 'pod') return;
    for (const lr of await this.listLimitRanges(a.namespace)) {
      mergePodResourceRequirements(a.object!, defaultContainerResourceRequirements(lr));
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const kind = this.kindOf(a);
    if (!kind) return;
    const errs: string[] = [];
    for (const lr of await this.listLimitRanges(a.namespace)) {
      errs.push(...(kind === 'pod' ? podValidateLimitFunc(lr, a.object!) : persistentVolumeClaimValidateLimitFunc(lr, a.object!)));
    }
    if (errs.length === 0) return;
    const msg = errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
    throw newForbidden({ group: a.resource.group, resource: a.resource.resource }, a.name || a.object?.metadata?.name || '', msg);
  }
}
