/**
 * Pieces shared by the EndpointSlice and Endpoints controllers, after upstream
 * staging/src/k8s.io/endpointslice/util (ShouldPodBeInEndpoints, podToEndpoint helpers),
 * pkg/api/v1/pod (FindPort) and pkg/controller/util/endpoint (ShouldSetHostname,
 * GetPodServiceMemberships / GetServicesToUpdateOnPodChange).
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { K } from '../../client/object-util.ts';
import { selectorFromRequirements, type Selector } from '../../client/selectors.ts';
import { DeletedFinalStateUnknown, type SharedInformer } from '../../client/informer.ts';
import { isPodReady, keyOf } from '../shared/controller-utils.ts';

/** A Service as the controllers read it. */
export type ServiceObj = K<Service>;
/** A Pod as the controllers read it. */
export type PodObj = K<Pod>;

/** `discovery.LabelServiceName`: the Service an EndpointSlice belongs to. */
export const LabelServiceName = 'kubernetes.io/service-name';
/** `discovery.LabelManagedBy`. */
export const LabelManagedBy = 'endpointslice.kubernetes.io/managed-by';
/** The managed-by value of slices this controller owns. */
export const ControllerName = 'endpointslice-controller.k8s.io';
/** `v1.IsHeadlessService` label put on Endpoints/EndpointSlices of headless Services. */
export const IsHeadlessService = 'service.kubernetes.io/headless';

export { isPodReady };

/** Succeeded or Failed (`podutil.IsPodTerminal`). */
export function isPodTerminal(pod: PodObj): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/**
 * `ShouldPodBeInEndpoints`: not terminal, has an IP, and (unless `includeTerminating`) not
 * being deleted.
 */
export function shouldPodBeInEndpoints(pod: PodObj, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 address (status.podIP, else the first IPv4 of status.podIPs), or ''. */
export function podIPv4(pod: PodObj): string {
  const ip = pod.status?.podIP ?? '';
  if (ip && !ip.includes(':')) return ip;
  for (const p of pod.status?.podIPs ?? []) if (p.ip && !p.ip.includes(':')) return p.ip;
  return '';
}

/**
 * `podutil.FindPort`: a numeric targetPort as is; a named one is looked up among the pod's
 * containers' (and restartable init containers') ports by name and protocol.
 * @returns the port number, or undefined when no container port matches
 */
export function findPort(pod: PodObj, svcPort: { targetPort?: number | string; port?: number; protocol?: string }): number | undefined {
  const tp = svcPort.targetPort ?? svcPort.port;
  if (typeof tp === 'number') return tp;
  if (typeof tp === 'string') {
    if (/^\d+$/.test(tp)) return Number(tp);
    const proto = svcPort.protocol ?? 'TCP';
    const containers = [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])];
    for (const c of containers) {
      for (const p of c.ports ?? []) {
        if (p.name === tp && (p.protocol ?? 'TCP') === proto) return p.containerPort;
      }
    }
  }
  return undefined;
}

/** `ShouldSetHostname`: the pod has a hostname and its subdomain is the Service's name (same namespace). */
export function shouldSetHostname(pod: PodObj, svc: ServiceObj): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/**
 * The Service's selector as a Selector; undefined when the Service has none (an empty map counts
 * as none, as it does upstream once the object has been through the store's omitempty encoding).
 */
export function serviceSelector(svc: ServiceObj): Selector | undefined {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return undefined;
  return selectorFromRequirements(Object.entries(sel).map(([key, v]) => ({ key, operator: '=' as const, values: [String(v)] })));
}

/** `GetPodServiceMemberships`: keys (`ns/name`) of the Services (with a selector) in the pod's namespace that select it. */
export function getPodServiceMemberships(services: ServiceObj[], pod: PodObj): string[] {
  const out: string[] = [];
  for (const s of services) {
    if (s.metadata?.namespace !== pod.metadata?.namespace) continue;
    const sel = serviceSelector(s);
    if (!sel) continue;
    if (sel.matches(pod.metadata?.labels ?? {})) out.push(`${s.metadata?.namespace}/${s.metadata?.name}`);
  }
  return out;
}

/**
 * `GetServicesToUpdateOnPodChange`: keys of the Services selecting the new or the old pod (labels
 * may have changed), new pod's first, without duplicates; none when the resourceVersion is unchanged
 * (a resync).
 */
export function getServicesToUpdateOnPodChange(services: (namespace: string | undefined) => ServiceObj[], old: PodObj, cur: PodObj): Set<string> {
  if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return new Set();
  return new Set([
    ...getPodServiceMemberships(services(cur.metadata?.namespace), cur),
    ...getPodServiceMemberships(services(old.metadata?.namespace), old),
  ]);
}

/**
 * Registers the Service and Pod event handlers the Endpoints and EndpointSlice controllers share
 * (upstream onServiceUpdate / onServiceDelete / addPod / updatePod / deletePod): a Service event
 * enqueues its own key; a pod event enqueues the keys of the Services selecting it
 * ({@link getPodServiceMemberships}, {@link getServicesToUpdateOnPodChange}). Tombstones
 * (`DeletedFinalStateUnknown`) are unwrapped.
 * @param enqueue called with `ns/name` Service keys
 */
export function addServiceAndPodHandlers(
  serviceInformer: SharedInformer<ServiceObj>,
  podInformer: SharedInformer<PodObj>,
  enqueue: (key: string) => void,
): void {
  const services = (namespace: string | undefined) => serviceInformer.lister.list(namespace);
  const addPod = (pod: PodObj) => {
    for (const k of getPodServiceMemberships(services(pod.metadata?.namespace), pod)) enqueue(k);
  };
  serviceInformer.addEventHandler({
    onAdd: (s) => enqueue(keyOf(s)),
    onUpdate: (_o, n) => enqueue(keyOf(n)),
    onDelete: (s) => enqueue(keyOf(s instanceof DeletedFinalStateUnknown ? s.obj : s)),
  });
  podInformer.addEventHandler({
    onAdd: (p) => addPod(p),
    onUpdate: (o, n) => {
      for (const k of getServicesToUpdateOnPodChange(services, o, n)) enqueue(k);
    },
    onDelete: (p) => addPod(p instanceof DeletedFinalStateUnknown ? p.obj : p),
  });
}
