/**
 * Endpoints controller, after upstream pkg/controller/endpoint/endpoints_controller.go
 * (syncService, addEndpointSubset, podToEndpointAddressForService) and
 * pkg/api/v1/endpoints RepackSubsets.
 *
 * For every Service with a selector (not ExternalName) one Endpoints object with the Service's
 * name: pods it selects (not terminal, with an IP; terminating pods only with
 * publishNotReadyAddresses) as `{ip, nodeName, targetRef}` (plus hostname when the pod's
 * subdomain is the Service), in `addresses` when Ready (or publishNotReadyAddresses) and in
 * `notReadyAddresses` otherwise while their restartPolicy may still bring them back; ports resolved
 * per pod (named targetPorts by name + protocol). Subsets are repacked: addresses offering the same
 * port set share one subset, sorted. The Service's labels are copied, plus
 * `service.kubernetes.io/headless` for headless Services. Deleting the Service deletes its Endpoints;
 * Services without a selector are left alone. Writes happen only when something changed.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints } from 'kubernetes-types/core/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, splitMetaNamespaceKey, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import type { K } from '../../client/object-util.ts';
import { StatusError, isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { keyOf } from '../shared/controller-utils.ts';
import {
  IsHeadlessService,
  addServiceAndPodHandlers,
  findPort,
  isPodReady,
  podIPv4,
  serviceSelector,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type PodObj,
  type ServiceObj,
} from '../endpointslice/utils.ts';
import { isNamespaceTerminating } from '../endpointslice/endpointslice-controller.ts';

/** An Endpoints object as the controller reads it. */
export type EndpointsObj = K<Endpoints>;

/** Options for {@link EndpointsController}. */
export interface EndpointsControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
}

/** `podToEndpointAddressForService` (IPv4). */
export function podToEndpointAddress(pod: PodObj, svc: ServiceObj): EndpointAddress {
  const a: EndpointAddress = {
    ip: podIPv4(pod),
    nodeName: pod.spec?.nodeName,
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (!a.nodeName) delete a.nodeName;
  if (shouldSetHostname(pod, svc)) a.hostname = pod.spec?.hostname;
  return a;
}

/** `shouldPodBeInEndpoints` of the endpoints controller (restartPolicy may still revive a not-ready pod). */
function mayComeBack(pod: PodObj): boolean {
  const phase = pod.status?.phase;
  switch (pod.spec?.restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

const portId = (p: EndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
const addrId = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `RepackSubsets` + `SortSubsets`: every (address, port) pair regrouped so addresses offering the
 * same port set share a subset; an address ready on a port stays ready. Addresses sorted by IP
 * then target uid, ports by name/number, subsets by their first address.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  // port id → (address id → ready)
  const portAddrs = new Map<string, Map<string, boolean>>();
  const add = (a: EndpointAddress, p: EndpointPort | undefined, ready: boolean) => {
    const ak = addrId(a);
    if (!addrs.has(ak)) addrs.set(ak, a);
    const pk = p ? portId(p) : 'sentinel';
    if (!ports.has(pk)) ports.set(pk, p);
    let m = portAddrs.get(pk);
    if (!m) portAddrs.set(pk, (m = new Map()));
    if (!m.get(ak)) m.set(ak, ready);
  };
  for (const ss of subsets) {
    const ps = ss.ports && ss.ports.length ? ss.ports : [undefined];
    for (const p of ps) {
      for (const a of ss.addresses ?? []) add(a, p, true);
      for (const a of ss.notReadyAddresses ?? []) add(a, p, false);
    }
  }
  // address-set key → ports
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [pk, set] of portAddrs) {
    const key = [...set.entries()].map(([a, r]) => `${a}=${r}`).sort().join('|');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { set, ports: [] }));
    const p = ports.get(pk);
    if (p) g.ports.push(p);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.set) (r ? ready : notReady).push(addrs.get(ak)!);
    const sortA = (x: EndpointAddress, y: EndpointAddress) => cmp(x.ip, y.ip) || cmp(x.targetRef?.uid ?? '', y.targetRef?.uid ?? '');
    ready.sort(sortA);
    notReady.sort(sortA);
    g.ports.sort((x, y) => cmp(x.name ?? '', y.name ?? '') || (x.port ?? 0) - (y.port ?? 0) || cmp(x.protocol ?? '', y.protocol ?? ''));
    const ss: EndpointSubset = {};
    if (ready.length) ss.addresses = ready;
    if (notReady.length) ss.notReadyAddresses = notReady;
    if (g.ports.length) ss.ports = g.ports;
    out.push(ss);
  }
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0]?.ip ?? '';
  out.sort((a, b) => cmp(first(a), first(b)) || cmp(JSON.stringify(a), JSON.stringify(b)));
  return out;
}

/** The subsets a Service's Endpoints should have given the pods it selects (syncService's loop). */
export function computeSubsets(svc: ServiceObj, pods: PodObj[]): EndpointSubset[] {
  const tolerateUnready = !!svc.spec?.publishNotReadyAddresses;
  const subsets: EndpointSubset[] = [];
  const addSubset = (pod: PodObj, epa: EndpointAddress, ports: EndpointPort[] | undefined) => {
    if (tolerateUnready || isPodReady(pod)) subsets.push({ addresses: [epa], ...(ports ? { ports } : {}) });
    else if (mayComeBack(pod)) subsets.push({ notReadyAddresses: [epa], ...(ports ? { ports } : {}) });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    if (!podIPv4(pod)) continue;
    const epa = podToEndpointAddress(pod, svc);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (svc.spec?.clusterIP === 'None') addSubset(pod, epa, undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const n = findPort(pod, sp as { targetPort?: number | string; port?: number; protocol?: string });
      if (n === undefined) continue;
      const epp: EndpointPort = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
      if (!epp.name) delete epp.name;
      if (sp.appProtocol) epp.appProtocol = sp.appProtocol;
      addSubset(pod, epa, [epp]);
    }
  }
  return repackSubsets(subsets);
}

/** The labels of a Service's Endpoints: the Service's, with `service.kubernetes.io/headless` iff headless. */
export function endpointsLabels(svc: ServiceObj): Record<string, string> {
  const out: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  const ipSet = !!svc.spec?.clusterIP && svc.spec.clusterIP !== 'None';
  if (!ipSet) out[IsHeadlessService] = '';
  else delete out[IsHeadlessService];
  return out;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => (a ?? {})[k] === b[k]);
}

/** The Endpoints controller; see the module comment. */
export class EndpointsController extends BaseController {
  readonly client: Client;
  readonly serviceInformer: SharedInformer<ServiceObj>;
  readonly podInformer: SharedInformer<PodObj>;
  readonly endpointsInformer: SharedInformer<EndpointsObj>;
  private readonly recorder: EventRecorder;

  constructor(opts: EndpointsControllerOptions) {
    super('endpoint', (key) => this.syncService(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.serviceInformer = opts.factory.forResource<ServiceObj>(GVR.services);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.endpointsInformer = opts.factory.forResource<EndpointsObj>(GVR.endpoints);
    addServiceAndPodHandlers(this.serviceInformer, this.podInformer, (k) => this.queue.add(k));
    // onEndpointsDelete: a removed Endpoints of a live Service is recreated.
    this.endpointsInformer.addEventHandler({
      onDelete: (e) => {
        const ep = e instanceof DeletedFinalStateUnknown ? e.obj : e;
        if (this.serviceInformer.lister.get(ep.metadata?.namespace, ep.metadata?.name ?? '')) this.queue.add(keyOf(ep));
      },
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.serviceInformer, this.podInformer, this.endpointsInformer]) {
      if (!(await inf.waitForSync(signal))) return;
    }
    await this.runWorkers(workers, signal);
  }

  /** `syncService`; throws to retry with back-off (event `FailedToUpdateEndpoint`). */
  async syncService(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const ns = namespace ?? '';
    const svc = this.serviceInformer.lister.get(ns, name);
    if (!svc) {
      try {
        await this.client.delete(GVR.endpoints, ns, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const subsets = computeSubsets(svc, this.podInformer.lister.list(ns, selector));
    const labels = endpointsLabels(svc);
    const cur = this.endpointsInformer.lister.get(ns, name);
    if (cur && sameJSON(cur.subsets ?? [], subsets) && sameLabels(cur.metadata?.labels, labels)) return;
    try {
      if (!cur) {
        const obj: EndpointsObj = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels } };
        if (subsets.length) obj.subsets = subsets;
        await this.client.create(GVR.endpoints, ns, obj);
      } else {
        const obj: EndpointsObj = { ...cur, metadata: { ...cur.metadata, labels } };
        if (subsets.length) obj.subsets = subsets;
        else delete obj.subsets;
        await this.client.update(GVR.endpoints, ns, obj);
      }
    } catch (err) {
      // A terminating namespace refuses new content: nothing to do (upstream skips it too).
      if (!cur && isNamespaceTerminating(err)) return;
      // A 409 (stale cache) is retried quietly; other failures are recorded as upstream does.
      if (!(err instanceof StatusError && err.code === 409)) {
        const msg = err instanceof Error ? err.message : String(err);
        // The event is about the Endpoints object (upstream records it on newEndpoints, not the Service).
        const ref = { apiVersion: 'v1', kind: 'Endpoints', namespace: ns, name, ...(cur?.metadata?.uid ? { uid: cur.metadata.uid } : {}) };
        if (!cur) this.recorder.eventf(ref as never, 'Warning', 'FailedToCreateEndpoint', 'Failed to create endpoint for service %s/%s: %v', ns, name, msg);
        else this.recorder.eventf(ref as never, 'Warning', 'FailedToUpdateEndpoint', 'Failed to update endpoint %s/%s: %v', ns, name, msg);
      }
      throw err;
    }
  }
}
