/**
 * Quota evaluators: how much of each quota resource one object uses, which quota resources an
 * evaluator knows, which quota scopes an object matches, and the pod "must specify" constraint.
 * Shared by the ResourceQuota admission plugin and the resourcequota controller.
 *
 * Upstream: pkg/quota/v1/evaluator/core (pods.go: PodUsageFunc, podComputeUsageHelper,
 * QuotaV1Pod, podMatchesScopeFunc, Constraints; services.go; persistent_volume_claims.go),
 * staging/src/k8s.io/apiserver/pkg/quota/v1/generic (the object count evaluator,
 * `count/<resource>.<group>`), pkg/quota/v1/resources.go (CalculateUsage helpers) and
 * k8s.io/component-helpers/resource (PodRequests, PodLimits).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { newQuantity } from '../../../../machinery/quantity.ts';
import { arr, rec } from '../../../common/meta.ts';
import { getPodQOS } from '../pod/qos.ts';
import { getPersistentVolumeClaimClass } from '../persistentvolume/helpers.ts';
import { addResources, isExtendedResourceName, maskResources, toResourceList, zero, type ResourceList } from './helpers.ts';

/** `storageClassSuffix`: `<class>.storageclass.storage.k8s.io/<resource>`. */
export const storageClassSuffix = '.storageclass.storage.k8s.io/';

/** A scope requirement of a quota (`spec.scopes` entries become `{scopeName, operator: Exists}`). */
export interface ScopeSelectorRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** One quota evaluator (upstream `quota.Evaluator`). */
export interface Evaluator {
  /** The group and plural resource evaluated. */
  readonly group: string;
  readonly resource: string;
  /** `Handles`: whether an admission request with this operation and subresource is charged. */
  handles(operation: string, subresource: string): boolean;
  /** `MatchingResources`: the names among `names` this evaluator computes. */
  matchingResources(names: string[]): string[];
  /** `Usage`: resource name → amount used by `obj`. `nowMs` decides whether a deleting pod still counts. */
  usage(obj: KubeObject, nowMs?: number): ResourceList;
  /** `MatchingScopes`/`Matches`: whether `obj` is selected by every scope requirement. */
  matchesScopes(selectors: ScopeSelectorRequirement[], obj: KubeObject): boolean;
  /** `Constraints`: an error message when `obj` lacks something the quota requires, else undefined. */
  constraints(required: string[], obj: KubeObject): string | undefined;
}

/** `count/<resource>` (core) or `count/<resource>.<group>`: the object count resource name. */
export function objectCountQuotaResourceNameFor(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** `getScopeSelectorsFromQuota`: `spec.scopes` as Exists requirements, then `spec.scopeSelector.matchExpressions`. */
export function getScopeSelectorsFromQuota(quota: KubeObject): ScopeSelectorRequirement[] {
  const spec = rec(quota.spec);
  const out: ScopeSelectorRequirement[] = arr(spec.scopes).map((s) => ({ scopeName: String(s), operator: 'Exists' }));
  for (const r of arr(rec(spec.scopeSelector).matchExpressions)) {
    const req = rec(r);
    out.push({ scopeName: String(req.scopeName ?? ''), operator: String(req.operator ?? ''), values: arr(req.values).map(String) });
  }
  return out;
}

const one = () => newQuantity(1);

// ------------------------------------------------------------------ pods

const podResources = new Set([
  'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
  'pods', 'count/pods',
]);

/** The resources whose absence in a container fails a quota that tracks them (`validationSet`). */
const validationSet = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** `maxResourceList`: per-resource maximum (entries of either list). */
function maxResourceList(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    if (!cur || v.cmp(cur) > 0) out.set(k, v);
  }
  return out;
}

/**
 * `PodRequests` / `PodLimits` (k8s.io/component-helpers/resource): the sum over regular containers
 * and sidecars (restartable init containers), at least the largest regular init container (plus
 * the sidecars started before it), plus `spec.overhead`.
 * @param field 'requests' | 'limits'
 */
export function podResourceList(pod: KubeObject, field: 'requests' | 'limits'): ResourceList {
  const spec = rec(pod.spec);
  let total: ResourceList = new Map();
  for (const c of arr(spec.containers)) total = addResources(total, toResourceList(rec(rec(c).resources)[field]));
  let sidecars: ResourceList = new Map();
  let initMax: ResourceList = new Map();
  for (const c of arr(spec.initContainers)) {
    const r = toResourceList(rec(rec(c).resources)[field]);
    if (rec(c).restartPolicy === 'Always') {
      total = addResources(total, r);
      sidecars = addResources(sidecars, r);
      initMax = maxResourceList(initMax, sidecars);
    } else {
      initMax = maxResourceList(initMax, addResources(r, sidecars));
    }
  }
  total = maxResourceList(total, initMax);
  if (spec.overhead) total = addResources(total, toResourceList(spec.overhead));
  return total;
}

/** `podComputeUsageHelper`: pods=1, cpu/memory/ephemeral-storage requests (both plain and `requests.`), limits, huge pages, extended resources. */
export function podComputeUsageHelper(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', one()]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [k, v] of requests) {
    if (k.startsWith('hugepages-')) {
      out.set(k, v);
      out.set(`requests.${k}`, v);
    }
    if (isExtendedResourceName(k)) out.set(`requests.${k}`, v);
  }
  return out;
}

/**
 * `QuotaV1Pod`: a pod counts against compute quota unless it is terminal (Succeeded/Failed) or its
 * deletion grace period has run out (stuck terminating, e.g. on a lost node).
 */
export function quotaV1Pod(pod: KubeObject, nowMs: number = Date.now()): boolean {
  const phase = rec(pod.status).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = pod.metadata ?? {};
  if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds !== null) {
    const deadline = Date.parse(m.deletionTimestamp) + m.deletionGracePeriodSeconds * 1000;
    if (nowMs > deadline) return false;
  }
  return true;
}

/** `PodUsageFunc`: count/pods always; compute usage only for pods {@link quotaV1Pod} counts. */
export function podUsageFunc(pod: KubeObject, nowMs: number = Date.now()): ResourceList {
  const out: ResourceList = new Map([['count/pods', one()]]);
  if (!quotaV1Pod(pod, nowMs)) return out;
  return addResources(out, podComputeUsageHelper(podResourceList(pod, 'requests'), podResourceList(pod, 'limits')));
}

/** `isTerminating`: `spec.activeDeadlineSeconds` set and ≥ 0. */
function isTerminating(pod: KubeObject): boolean {
  const ads = rec(pod.spec).activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

/** `usesCrossNamespacePodAffinity`: a pod (anti-)affinity term with `namespaces` or a `namespaceSelector`. */
function usesCrossNamespacePodAffinity(pod: KubeObject): boolean {
  const aff = rec(rec(pod.spec).affinity);
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = rec(aff[kind]);
    const terms = [
      ...arr(a.requiredDuringSchedulingIgnoredDuringExecution),
      ...arr(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w).podAffinityTerm),
    ];
    for (const t of terms) {
      const term = rec(t);
      if (arr(term.namespaces).length > 0 || (term.namespaceSelector !== undefined && term.namespaceSelector !== null)) return true;
    }
  }
  return false;
}

/** `podMatchesScopeFunc` for one requirement. */
export function podMatchesScope(sel: ScopeSelectorRequirement, pod: KubeObject): boolean {
  switch (sel.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return getPodQOS(pod) === 'BestEffort';
    case 'NotBestEffort':
      return getPodQOS(pod) !== 'BestEffort';
    case 'PriorityClass': {
      const pc = String(rec(pod.spec).priorityClassName ?? '');
      switch (sel.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return (sel.values ?? []).includes(pc);
        case 'NotIn':
          return !(sel.values ?? []).includes(pc);
        default:
          return false;
      }
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespacePodAffinity(pod);
    default:
      return false;
  }
}

/** The pod evaluator. */
export const podEvaluator: Evaluator = {
  group: '',
  resource: 'pods',
  handles: (op, sub) => sub === '' && op === 'CREATE',
  matchingResources(names) {
    return names.filter(
      (n) => podResources.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || (n.startsWith('requests.') && isExtendedResourceName(n.slice('requests.'.length))),
    );
  },
  usage: podUsageFunc,
  matchesScopes: (selectors, obj) => selectors.every((s) => podMatchesScope(s, obj)),
  constraints(required, pod) {
    const requiredSet = new Set(required.filter((r) => validationSet.has(r)));
    if (requiredSet.size === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    const spec = rec(pod.spec);
    for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
      const res = rec(rec(c).resources);
      const have = new Set(podComputeUsageHelper(toResourceList(res.requests), toResourceList(res.limits)).keys());
      for (const r of requiredSet) {
        if (have.has(r)) continue;
        if (!missing.has(r)) missing.set(r, new Set());
        missing.get(r)!.add(String(rec(c).name ?? ''));
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

// ------------------------------------------------------------------ services

/** The service evaluator: services, count/services, services.nodeports (ports of NodePort/LoadBalancer services), services.loadbalancers. */
export const serviceEvaluator: Evaluator = {
  group: '',
  resource: 'services',
  handles: (op, sub) => sub === '' && (op === 'CREATE' || op === 'UPDATE'),
  matchingResources: (names) => names.filter((n) => ['services', 'count/services', 'services.nodeports', 'services.loadbalancers'].includes(n)),
  usage(svc) {
    const spec = rec(svc.spec);
    const ports = arr(spec.ports);
    const out: ResourceList = new Map([
      ['count/services', one()],
      ['services', one()],
      ['services.loadbalancers', zero()],
      ['services.nodeports', zero()],
    ]);
    if (spec.type === 'NodePort') out.set('services.nodeports', newQuantity(ports.length));
    if (spec.type === 'LoadBalancer') {
      const n = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => Number(rec(p).nodePort ?? 0) !== 0).length : ports.length;
      out.set('services.nodeports', newQuantity(n));
      out.set('services.loadbalancers', one());
    }
    return out;
  },
  matchesScopes: (selectors) => selectors.length === 0,
  constraints: () => undefined,
};

// ------------------------------------------------------------------ persistentvolumeclaims

/** The PersistentVolumeClaim evaluator: claims and requested storage, also per storage class. */
export const persistentVolumeClaimEvaluator: Evaluator = {
  group: '',
  resource: 'persistentvolumeclaims',
  handles: (op, sub) => sub === '' && (op === 'CREATE' || op === 'UPDATE'),
  matchingResources(names) {
    return names.filter(
      (n) =>
        ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'].includes(n) ||
        n.endsWith(`${storageClassSuffix}persistentvolumeclaims`) ||
        n.endsWith(`${storageClassSuffix}requests.storage`),
    );
  },
  usage(pvc) {
    const out: ResourceList = new Map([
      ['persistentvolumeclaims', one()],
      ['count/persistentvolumeclaims', one()],
    ]);
    const cls = getPersistentVolumeClaimClass(pvc);
    if (cls) out.set(`${cls}${storageClassSuffix}persistentvolumeclaims`, one());
    // getStorageUsage: the larger of the request and status.allocatedResources.
    const req = toResourceList(rec(rec(pvc.spec).resources).requests).get('storage');
    const alloc = toResourceList(rec(pvc.status).allocatedResources).get('storage');
    const storage = req && alloc ? (alloc.cmp(req) > 0 ? alloc : req) : (req ?? alloc);
    if (storage) {
      out.set('requests.storage', storage);
      if (cls) out.set(`${cls}${storageClassSuffix}requests.storage`, storage);
    }
    return out;
  },
  matchesScopes: (selectors) => selectors.length === 0,
  constraints: () => undefined,
};

// ------------------------------------------------------------------ object counts

/** Legacy count names (`configmaps`, `secrets`, …) charged alongside `count/<resource>`. */
const legacyObjectCountNames: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/**
 * The generic object count evaluator (`generic.NewObjectCountEvaluator`): every object counts 1
 * for `count/<resource>[.<group>]` (and the legacy name of configmaps, secrets,
 * replicationcontrollers and resourcequotas). Charged on CREATE only.
 */
export function objectCountEvaluator(group: string, resource: string): Evaluator {
  const countName = objectCountQuotaResourceNameFor(group, resource);
  const legacy = group === '' ? legacyObjectCountNames[resource] : undefined;
  const names = legacy ? [countName, legacy] : [countName];
  return {
    group,
    resource,
    handles: (op, sub) => sub === '' && op === 'CREATE',
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    usage: () => new Map(names.map((n) => [n, one()])),
    matchesScopes: (selectors) => selectors.length === 0,
    constraints: () => undefined,
  };
}

/** The evaluator for a group/resource: pods, services and claims have their own, everything else counts objects. */
export function evaluatorFor(group: string, resource: string): Evaluator {
  if (group === '') {
    if (resource === 'pods') return podEvaluator;
    if (resource === 'services') return serviceEvaluator;
    if (resource === 'persistentvolumeclaims') return persistentVolumeClaimEvaluator;
  }
  return objectCountEvaluator(group, resource);
}

/**
 * `quota.Matches`: whether a quota constrains `obj`: its `status.hard` names a resource the evaluator
 * computes and `obj` matches every scope of the quota.
 */
export function quotaMatches(evaluator: Evaluator, quota: KubeObject, obj: KubeObject): boolean {
  const hard = Object.keys(rec(rec(quota.status).hard));
  if (evaluator.matchingResources(hard).length === 0) return false;
  return evaluator.matchesScopes(getScopeSelectorsFromQuota(quota), obj);
}

/**
 * `CalculateUsage` for one evaluator: the summed usage of `objects` that match the quota's scopes,
 * masked to the hard resources the evaluator computes, with zero for names nothing used.
 */
export function calculateUsage(evaluator: Evaluator, quota: KubeObject, hardNames: string[], objects: KubeObject[], nowMs: number = Date.now()): ResourceList {
  const names = evaluator.matchingResources(hardNames);
  if (names.length === 0) return new Map();
  const selectors = getScopeSelectorsFromQuota(quota);
  let used: ResourceList = new Map(names.map((n) => [n, zero()]));
  for (const o of objects) {
    if (!evaluator.matchesScopes(selectors, o)) continue;
    used = addResources(used, maskResources(evaluator.usage(o, nowMs), names));
  }
  return used;
}
