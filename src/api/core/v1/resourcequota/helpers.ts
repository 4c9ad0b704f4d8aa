/**
 * Resource-name helpers and ResourceList arithmetic used by ResourceQuota and LimitRange
 * validation, the ResourceQuota/LimitRanger admission plugins and the resourcequota controller.
 *
 * Upstream: pkg/apis/core/helper/helpers.go (IsStandardResourceName, IsStandardQuotaResourceName,
 * IsIntegerResourceName, IsStandardResourceQuotaScope, IsResourceQuotaScopeValidForResource,
 * IsOvercommitAllowed) and pkg/quota/v1/resources.go (Add, Subtract, Mask, LessThanOrEqual,
 * RemoveZeros, IsNegative, ResourceNames). A ResourceList here is the JSON shape: a record of
 * resource name → quantity string (or a bare number as some clients send).
 */
import { Quantity, newQuantity, tryParseQuantity } from '../../../../machinery/quantity.ts';
import { isQualifiedName } from '../../../../machinery/validation.ts';
import { invalid, type FieldError, type FieldPath } from '../../../../machinery/errors.ts';

/** A ResourceList with parsed quantities: resource name → Quantity. */
export type ResourceList = Map<string, Quantity>;

/** `standardResources`: names valid without a domain prefix (`validateResourceName`). */
export const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
  'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers',
]);

/** `standardQuotaResources`: names a ResourceQuota may use without a domain prefix. */
export const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);

/** `integerResources`: object counts (must be whole numbers). */
const integerResources = new Set([
  'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);

/** `standardResourceQuotaScopes` (1.32, VolumeAttributesClass scope left out: its feature gate is off by default). */
export const standardResourceQuotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

/** Pod compute resources a Terminating/NotTerminating/NotBestEffort/PriorityClass scope applies to (`podComputeQuotaResources`). */
const podComputeQuotaResources = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** `helper.IsHugePageResourceName` / the quota variants (`hugepages-*`, `requests.hugepages-*`). */
export function isHugePageResourceName(name: string): boolean {
  return name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || name.startsWith('limits.hugepages-');
}

/** `helper.IsNativeResource`: no domain, or a `*kubernetes.io/` domain. */
export function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** `helper.IsExtendedResourceName`: a domain-qualified, non-native name that is not `requests.*`-prefixed. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** `helper.IsOvercommitAllowed`: native and not huge pages. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !name.startsWith('hugepages-');
}

/** `helper.IsStandardQuotaResourceName`. */
export function isStandardQuotaResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || name.startsWith('requests.hugepages-') || name.startsWith('hugepages-');
}

/** `helper.IsIntegerResourceName`: object counts, `count/*`, and extended resources. */
export function isIntegerResourceName(name: string): boolean {
  return integerResources.has(name) || name.startsWith('count/') || isExtendedResourceName(name);
}

/** `helper.IsStandardResourceQuotaScope`. */
export function isStandardResourceQuotaScope(scope: string): boolean {
  return standardResourceQuotaScopes.includes(scope);
}

/** `helper.IsResourceQuotaScopeValidForResource`: BestEffort applies to `pods` only; the other pod scopes to pods and compute resources. */
export function isResourceQuotaScopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'BestEffort':
      return resource === 'pods';
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return resource === 'pods' || podComputeQuotaResources.has(resource);
    default:
      return true;
  }
}

/** `validateResourceName`: a qualified name; without a domain it must be a standard resource. */
export function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !standardResources.has(name) && !name.startsWith('hugepages-') && !name.startsWith('requests.hugepages-')) {
    errs.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

/** `validateContainerResourceName`: cpu, memory, ephemeral-storage, huge pages, or a valid extended resource name. */
export function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-')) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** `ValidateResourceQuotaResourceName`: a resource name; without a domain it must be a standard quota resource. */
export function validateResourceQuotaResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/') && !isStandardQuotaResourceName(name)) {
    errs.push(invalid(path, name, 'must be a standard resource for quota'));
  }
  return errs;
}

/**
 * Parses a JSON quantity value (string or number).
 * @returns the Quantity, or undefined when malformed
 */
export function parseQuantityValue(v: unknown): Quantity | undefined {
  if (typeof v === 'number') return tryParseQuantity(String(v));
  if (typeof v === 'string') return tryParseQuantity(v);
  return undefined;
}

/** Parses a JSON ResourceList (`{cpu: "1"}`), skipping malformed values. */
export function toResourceList(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const q = parseQuantityValue(x);
    if (q) out.set(k, q);
  }
  return out;
}

/** Renders a ResourceList as JSON (canonical quantity strings), keys sorted. */
export function fromResourceList(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...l.keys()].sort()) out[k] = l.get(k)!.toString();
  return out;
}

/** A zero quantity (`resource.Quantity{Format: DecimalSI}`, prints `0`). */
export function zero(): Quantity {
  return newQuantity(0);
}

/** `quota.Add`: a + b per resource. */
export function addResources(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    out.set(k, cur ? cur.add(v) : v);
  }
  return out;
}

/** `quota.SubtractWithNonNegativeResult`: a − b per resource, floored at 0. */
export function subtractWithNonNegativeResult(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const other = b.get(k);
    const d = other ? v.sub(other) : v;
    out.set(k, d.sign() < 0 ? zero() : d);
  }
  return out;
}

/** `quota.Mask`: only the entries named in `names`. */
export function maskResources(l: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const v = l.get(n);
    if (v) out.set(n, v);
  }
  return out;
}

/** `quota.RemoveZeros`. */
export function removeZeros(l: ResourceList): ResourceList {
  return new Map([...l].filter(([, v]) => !v.isZero()));
}

/** `quota.IsNegative`: names whose quantity is below 0. */
export function isNegative(l: ResourceList): string[] {
  return [...l].filter(([, v]) => v.sign() < 0).map(([k]) => k);
}

/**
 * `quota.LessThanOrEqual`: whether every entry of `a` that `b` also names is ≤ b's.
 * @returns `[allowed, exceeded resource names]`
 */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): [boolean, string[]] {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const other = b.get(k);
    if (other && v.cmp(other) > 0) exceeded.push(k);
  }
  return [exceeded.length === 0, exceeded];
}

/** `quota.Equals`: same names and values. */
export function resourcesEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || o.cmp(v) !== 0) return false;
  }
  return true;
}

/** `prettyPrint`: `name=value` pairs, sorted by name, comma-separated (`pods=1,requests.cpu=500m`). */
export function prettyPrint(l: ResourceList): string {
  return [...l.keys()].sort().map((k) => `${k}=${l.get(k)!.toString()}`).join(',');
}
