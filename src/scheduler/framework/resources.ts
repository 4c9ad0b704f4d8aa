/**
 * Resource arithmetic for scheduling, after k8s.io/kubernetes/pkg/scheduler/framework/types.go
 * (`Resource`), k8s.io/component-helpers/resource (`PodRequests`: containers summed, init
 * containers by the max rule, restartable (sidecar) init containers added, pod overhead added) and
 * pkg/scheduler/util (`GetNonzeroRequests`: 100m cpu / 200Mi memory for a container that requests
 * none, used only for scoring).
 *
 * Units: `milliCPU` millicores, `memory` and `ephemeralStorage` bytes, `pods` a count, `scalar`
 * (extended resources such as `nvidia.com/gpu`, hugepages) integer units.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';

/** Aggregated resources (upstream framework.Resource). */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  scalar: Record<string, number>;
}

/** Default cpu request (millicores) assumed for scoring a container without one (upstream DefaultMilliCPURequest). */
export const DefaultMilliCPURequest = 100;
/** Default memory request (bytes) assumed for scoring a container without one (upstream DefaultMemoryRequest, 200Mi). */
export const DefaultMemoryRequest = 200 * 1024 * 1024;

/** A zero Resource. */
export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} };
}

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Parses a resource.Quantity string ("100m", "0.5", "64Mi", "1e3", "2") to a number of base
 * units. Numbers pass through. Throws Error on malformed input.
 * (A scheduler-local parser; the shared machinery quantity helper can replace it.)
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${q}`);
  const num = Number(m[1]);
  if (m[2]) return num * 10 ** Number(m[2].slice(1));
  return num * SUFFIX[m[3] ?? ''];
}

/** Quantity in millis, rounded up (upstream MilliValue). */
export function milliValue(q: string | number): number {
  return Math.ceil(Math.round(parseQuantity(q) * 1e9) / 1e6);
}

/** Quantity in base units, rounded up (upstream Value). */
export function value(q: string | number): number {
  return Math.ceil(Math.round(parseQuantity(q) * 1e6) / 1e6);
}

/** Builds a Resource from a ResourceList (`{cpu:'2', memory:'4Gi', pods:'110', 'nvidia.com/gpu':'1'}`). */
export function resourceFromList(list: Record<string, string | number> | undefined): Resource {
  const r = emptyResource();
  for (const [name, q] of Object.entries(list ?? {})) {
    switch (name) {
      case 'cpu':
        r.milliCPU = milliValue(q);
        break;
      case 'memory':
        r.memory = value(q);
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage = value(q);
        break;
      case 'pods':
        r.pods = value(q);
        break;
      default:
        if (isScalarResourceName(name)) r.scalar[name] = value(q);
    }
  }
  return r;
}

/**
 * Scalar resources (upstream IsScalarResourceName): extended resources (`example.com/foo`),
 * prefixed native ones (`*kubernetes.io/*`), `hugepages-*` and `attachable-volumes-*`.
 */
export function isScalarResourceName(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

/** a += b (pods included). */
export function addResource(a: Resource, b: Resource): void {
  a.milliCPU += b.milliCPU;
  a.memory += b.memory;
  a.ephemeralStorage += b.ephemeralStorage;
  a.pods += b.pods;
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) + v;
}

/** a -= b (pods included). */
export function subResource(a: Resource, b: Resource): void {
  a.milliCPU -= b.milliCPU;
  a.memory -= b.memory;
  a.ephemeralStorage -= b.ephemeralStorage;
  a.pods -= b.pods;
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) - v;
}

/** a = max(a, b) per resource. */
function maxResource(a: Resource, b: Resource): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = Math.max(a.scalar[k] ?? 0, v);
}

function cloneResource(r: Resource): Resource {
  return { ...r, scalar: { ...r.scalar } };
}

/** A container's requests; with `nonZero`, missing cpu/memory requests count as the defaults. */
function containerRequests(c: Container, nonZero: boolean): Resource {
  const req = (c.resources?.requests ?? {}) as Record<string, string | number>;
  const r = resourceFromList(req);
  r.pods = 0;
  if (nonZero) {
    if (req.cpu === undefined) r.milliCPU = DefaultMilliCPURequest;
    if (req.memory === undefined) r.memory = DefaultMemoryRequest;
  }
  return r;
}

/**
 * The pod's effective requests (upstream resource.PodRequests):
 * sum(containers) + sum(restartable init containers), raised to the largest
 * "init container + restartable init containers started before it", plus spec.overhead.
 * `pods` is 0 (NodeInfo counts pods itself).
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const reqs = emptyResource();
  for (const c of pod.spec?.containers ?? []) addResource(reqs, containerRequests(c, nonZero));
  const restartable = emptyResource();
  const initMax = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    const cr = containerRequests(c, nonZero);
    let effective: Resource;
    if (c.restartPolicy === 'Always') {
      // A sidecar runs for the pod's whole life: it adds to the steady-state sum.
      addResource(reqs, cr);
      addResource(restartable, cr);
      effective = cloneResource(restartable);
    } else {
      effective = cloneResource(cr);
      addResource(effective, restartable);
    }
    maxResource(initMax, effective);
  }
  maxResource(reqs, initMax);
  if (pod.spec?.overhead) {
    const o = resourceFromList(pod.spec.overhead as Record<string, string>);
    o.pods = 0;
    addResource(reqs, o);
  }
  reqs.pods = 0;
  return reqs;
}

/** Requests with non-zero defaults for cpu/memory (scoring only; upstream GetNonzeroRequests). */
export function nonZeroRequests(pod: Pod): Resource {
  return podRequests(pod, true);
}
