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
import { quantityFromJSON } from '../../machinery/quantity.ts';

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

/**
 * Quantity in millis, rounded up (upstream Quantity.MilliValue), e.g. "100m" → 100, "2" → 2000.
 * Throws QuantityError (src/machinery/quantity.ts) on malformed input.
 */
export function milliValue(q: string | number): number {
  return quantityFromJSON(q).milliValue();
}

/** Quantity in base units, rounded up (upstream Quantity.Value), e.g. "64Mi" → 67108864. Throws QuantityError. */
export function value(q: string | number): number {
  return quantityFromJSON(q).value();
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
