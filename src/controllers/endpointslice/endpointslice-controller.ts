/**
 * EndpointSliceController, after upstream pkg/controller/endpointslice/endpointslice_controller.go
 * and staging/src/k8s.io/endpointslice (reconciler.go, utils.go, endpointslice_tracker.go).
 *
 * For every Service with a selector (not ExternalName), the pods it selects in its namespace
 * (not terminal, with an IP; terminating pods included with terminating=true) become endpoints
 * `{addresses:[podIP], conditions:{ready, serving, terminating}, hostname?, targetRef, nodeName}`,
 * grouped by their resolved port list (named targetPorts resolved per pod by name + protocol) into
 * slices named `<svc>-<5 random>` (generateName), at most `maxEndpointsPerSlice` (100) each, labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
 * endpointslice-controller.k8s.io`, owned (controller ownerReference) by the Service. With no
 * endpoints a single placeholder slice (`endpoints: []`, `ports: []`) remains. Slices of Services
 * without a selector are left to their users; slices of deleted Services go with the garbage
 * collector (ownerReference).
 *
 * ready = publishNotReadyAddresses || (pod Ready && not terminating); serving = pod Ready;
 * terminating = deletionTimestamp set.
 *
 * The informer cache can lag behind this controller's own writes; like upstream's
 * EndpointSliceTracker, the generations written are remembered per Service and a sync that sees an
 * older cache is retried shortly instead of creating duplicates.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, defaultLogger, splitMetaNamespaceKey, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { EventRecorder } from '../../client/record.ts';
import type { K } from '../../client/object-util.ts';
import { selectorFromRequirements } from '../../client/selectors.ts';
import { StatusError, isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import {
  ControllerName,
  IsHeadlessService,
  LabelManagedBy,
  LabelServiceName,
  addServiceAndPodHandlers,
  findPort,
  isPodReady,
  podIPv4,
  serviceSelector,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type PodObj,
  type ServiceObj,
} from './utils.ts';

/** An EndpointSlice as the controller reads it. */
export type EndpointSliceObj = K<EndpointSlice>;

/** Upstream's default `--max-endpoints-per-slice`. */
export const DefaultMaxEndpointsPerSlice = 100;

/** One desired endpoint (`discovery.Endpoint`). */
export interface DesiredEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
  nodeName?: string;
}

/** One desired port (`discovery.EndpointPort`). */
export interface DesiredPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** Options for {@link EndpointSliceController}. */
export interface EndpointSliceControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
  /** Endpoints per slice (default 100). */
  maxEndpointsPerSlice?: number;
}

/**
 * `getEndpointPorts`: the Service's ports resolved for one pod (ports that cannot be resolved
 * are left out).
 */
export function getEndpointPorts(svc: ServiceObj, pod: PodObj): DesiredPort[] {
  const out: DesiredPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const n = findPort(pod, sp as { targetPort?: number | string; port?: number; protocol?: string });
    if (n === undefined) continue;
    const p: DesiredPort = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** `podToEndpoint` for an IPv4 slice. */
export function podToEndpoint(pod: PodObj, svc: ServiceObj): DesiredEndpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: DesiredEndpoint = {
    addresses: [podIPv4(pod)],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec?.hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

/** The labels a managed slice carries (`setEndpointSliceLabels`): the Service's own plus the reserved ones. */
export function endpointSliceLabels(svc: ServiceObj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k === LabelServiceName || k === LabelManagedBy || k === IsHeadlessService) continue;
    out[k] = v;
  }
  if (svc.spec?.clusterIP === 'None') out[IsHeadlessService] = '';
  out[LabelServiceName] = svc.metadata?.name ?? '';
  out[LabelManagedBy] = ControllerName;
  return out;
}

/** A port list's identity (`NewPortMapKey`): order-independent. */
export function portsKey(ports: unknown): string {
  const list = (Array.isArray(ports) ? ports : []).map((p: Record<string, unknown>) => ({
    name: (p.name as string | undefined) ?? '',
    port: p.port ?? null,
    protocol: (p.protocol as string | undefined) ?? 'TCP',
    appProtocol: p.appProtocol ?? null,
  }));
  list.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return JSON.stringify(list);
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => (a ?? {})[k] === b[k]);
}

/** Canonical endpoint for comparison (stored objects may carry defaults/extra fields in another order). */
function canonicalEndpoint(e: Record<string, any>): unknown {
  return {
    addresses: e.addresses ?? [],
    conditions: { ready: e.conditions?.ready ?? null, serving: e.conditions?.serving ?? null, terminating: e.conditions?.terminating ?? null },
    hostname: e.hostname ?? null,
    targetRef: e.targetRef ? { kind: e.targetRef.kind, namespace: e.targetRef.namespace, name: e.targetRef.name, uid: e.targetRef.uid } : null,
    nodeName: e.nodeName ?? null,
  };
}

function endpointsEqual(a: unknown, b: unknown): boolean {
  const x = (Array.isArray(a) ? a : []).map(canonicalEndpoint);
  const y = (Array.isArray(b) ? b : []).map(canonicalEndpoint);
  return sameJSON(x, y);
}

/** True for the 403 NamespaceLifecycle returns for creates in a terminating namespace. */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof StatusError && err.code === 403 && (err.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

/** EndpointSliceTracker: generations this controller wrote, per Service uid (a deletion is generation -1). */
class EndpointSliceTracker {
  private readonly bySvc = new Map<string, Map<string, number>>();

  update(svcUid: string, slice: EndpointSliceObj): void {
    let m = this.bySvc.get(svcUid);
    if (!m) this.bySvc.set(svcUid, (m = new Map()));
    m.set(slice.metadata?.name ?? '', slice.metadata?.generation ?? 0);
  }

  expectDeletion(svcUid: string, name: string): void {
    let m = this.bySvc.get(svcUid);
    if (!m) this.bySvc.set(svcUid, (m = new Map()));
    m.set(name, -1);
  }

  /** True when the cache (`slices`) is older than what this controller wrote; entries the cache caught up with are dropped. */
  stale(svcUid: string, slices: EndpointSliceObj[]): boolean {
    const m = this.bySvc.get(svcUid);
    if (!m) return false;
    const byName = new Map(slices.map((s) => [s.metadata?.name ?? '', s]));
    let stale = false;
    for (const [name, gen] of m) {
      const s = byName.get(name);
      if (gen === -1) {
        if (s) stale = true;
        else m.delete(name);
      } else if (!s || (s.metadata?.generation ?? 0) < gen) {
        stale = true;
      } else m.delete(name);
    }
    if (m.size === 0) this.bySvc.delete(svcUid);
    return stale;
  }

  deleteService(svcUid: string): void {
    this.bySvc.delete(svcUid);
  }

  /** `HandleDeletion`: a slice deleted (by anyone) is no longer expected to exist. */
  handleDeletion(svcUid: string, name: string): void {
    const m = this.bySvc.get(svcUid);
    if (!m) return;
    m.delete(name);
    if (m.size === 0) this.bySvc.delete(svcUid);
  }
}

/** The EndpointSlice controller; see the module comment. */
export class EndpointSliceController extends BaseController {
  readonly client: Client;
  readonly serviceInformer: SharedInformer<ServiceObj>;
  readonly podInformer: SharedInformer<PodObj>;
  readonly sliceInformer: SharedInformer<EndpointSliceObj>;
  private readonly recorder: EventRecorder;
  private readonly maxEndpointsPerSlice: number;
  private readonly tracker = new EndpointSliceTracker();
  /** Service uid by key, to clear the tracker when a Service goes. */
  private readonly uids = new Map<string, string>();

  constructor(opts: EndpointSliceControllerOptions) {
    super('endpointslice', (key) => this.syncService(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.maxEndpointsPerSlice = opts.maxEndpointsPerSlice ?? DefaultMaxEndpointsPerSlice;
    this.serviceInformer = opts.factory.forResource<ServiceObj>(GVR.services);
    this.podInformer = opts.factory.forResource<PodObj>(GVR.pods);
    this.sliceInformer = opts.factory.forResource<EndpointSliceObj>(GVR.endpointslices);
    addServiceAndPodHandlers(this.serviceInformer, this.podInformer, (k) => this.queue.add(k));
    this.sliceInformer.addEventHandler({
      onAdd: (s) => this.onEndpointSliceEvent(s),
      onUpdate: (o, n) => {
        this.onEndpointSliceEvent(n);
        if (o.metadata?.labels?.[LabelServiceName] !== n.metadata?.labels?.[LabelServiceName]) this.onEndpointSliceEvent(o);
      },
      onDelete: (s) => {
        const slice = s instanceof DeletedFinalStateUnknown ? s.obj : s;
        for (const r of slice.metadata?.ownerReferences ?? []) if (r.kind === 'Service') this.tracker.handleDeletion(r.uid, slice.metadata?.name ?? '');
        this.onEndpointSliceEvent(slice);
      },
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.serviceInformer, this.podInformer, this.sliceInformer]) {
      if (!(await inf.waitForSync(signal))) return;
    }
    await this.runWorkers(workers, signal);
  }

  /** A managed slice changed or went (possibly by someone else): resync its Service. */
  private onEndpointSliceEvent(s: EndpointSliceObj): void {
    const labels = s.metadata?.labels ?? {};
    if (labels[LabelManagedBy] !== ControllerName || !labels[LabelServiceName]) return;
    this.queue.add(`${s.metadata?.namespace}/${labels[LabelServiceName]}`);
  }

  /** The managed slices of a Service in the cache. */
  private managedSlices(namespace: string, name: string): EndpointSliceObj[] {
    const sel = selectorFromRequirements([
      { key: LabelServiceName, operator: '=', values: [name] },
      { key: LabelManagedBy, operator: '=', values: [ControllerName] },
    ]);
    return this.sliceInformer.lister.list(namespace, sel);
  }

  /**
   * `syncService`: reconciles the managed slices of one Service with its pods. Throws to retry
   * with back-off (an event `FailedToUpdateEndpointSlices` is recorded).
   */
  async syncService(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const ns = namespace ?? '';
    const svc = this.serviceInformer.lister.get(ns, name);
    if (!svc) {
      const uid = this.uids.get(key);
      if (uid) this.tracker.deleteService(uid);
      this.uids.delete(key);
      return;
    }
    const uid = svc.metadata?.uid ?? '';
    this.uids.set(key, uid);
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const existing = this.managedSlices(ns, name).filter((s) => !s.metadata?.deletionTimestamp);
    if (this.tracker.stale(uid, existing)) {
      // The cache has not seen our last writes yet; try again shortly.
      this.queue.addAfter(key, 50);
      return;
    }
    const pods = this.podInformer.lister.list(ns, selector);
    try {
      await this.reconcile(svc, pods, existing);
    } catch (err) {
      this.recorder.eventf(svc, 'Warning', 'FailedToUpdateEndpointSlices', 'Error updating Endpoint Slices for Service %s/%s: %v', ns, name, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /** `reconciler.reconcile` for the IPv4 address type. */
  private async reconcile(svc: ServiceObj, pods: PodObj[], existing: EndpointSliceObj[]): Promise<void> {
    const ns = svc.metadata?.namespace ?? '';
    const uid = svc.metadata?.uid ?? '';
    // Desired endpoints grouped by port list.
    const groups = new Map<string, { ports: DesiredPort[]; endpoints: DesiredEndpoint[] }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      if (!podIPv4(pod)) continue;
      const ports = getEndpointPorts(svc, pod);
      const k = portsKey(ports);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { ports, endpoints: [] }));
      g.endpoints.push(podToEndpoint(pod, svc));
    }
    for (const g of groups.values()) {
      g.endpoints.sort((a, b) => (a.addresses[0] === b.addresses[0] ? (a.targetRef.name < b.targetRef.name ? -1 : 1) : a.addresses[0] < b.addresses[0] ? -1 : 1));
    }
    const labels = endpointSliceLabels(svc);
    const ownerRef = { apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', uid, controller: true, blockOwnerDeletion: true };
    const placeholder = groups.size === 0;

    const byKey = new Map<string, EndpointSliceObj[]>();
    for (const s of existing) {
      const k = placeholder && (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0 ? 'placeholder' : portsKey(s.ports);
      const list = byKey.get(k) ?? [];
      list.push(s);
      byKey.set(k, list);
    }
    for (const list of byKey.values()) list.sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));

    const toCreate: EndpointSliceObj[] = [];
    const toUpdate: EndpointSliceObj[] = [];
    const toDelete: EndpointSliceObj[] = [];
    const want = (ports: DesiredPort[], endpoints: DesiredEndpoint[], cur?: EndpointSliceObj): EndpointSliceObj => {
      const s: Record<string, unknown> = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: cur
          ? { ...cur.metadata, labels: { ...labels }, ownerReferences: [ownerRef] }
          : { generateName: `${svc.metadata?.name}-`, namespace: ns, labels: { ...labels }, ownerReferences: [ownerRef] },
        addressType: 'IPv4',
        endpoints,
        ports,
      };
      return s as EndpointSliceObj;
    };
    const needsUpdate = (cur: EndpointSliceObj, ports: DesiredPort[], endpoints: DesiredEndpoint[]) =>
      !endpointsEqual(cur.endpoints, endpoints) ||
      portsKey(cur.ports) !== portsKey(ports) ||
      !sameLabels(cur.metadata?.labels, labels) ||
      !(cur.metadata?.ownerReferences ?? []).some((r) => r.uid === uid && r.controller);

    if (placeholder) {
      const cur = (byKey.get('placeholder') ?? [])[0];
      for (const [k, list] of byKey) for (const s of list) if (!(k === 'placeholder' && s === cur)) toDelete.push(s);
      if (!cur) toCreate.push(want([], []));
      else if (needsUpdate(cur, [], [])) toUpdate.push(want([], [], cur));
    } else {
      for (const [k, g] of groups) {
        const chunks: DesiredEndpoint[][] = [];
        for (let i = 0; i < g.endpoints.length; i += this.maxEndpointsPerSlice) chunks.push(g.endpoints.slice(i, i + this.maxEndpointsPerSlice));
        const have = byKey.get(k) ?? [];
        chunks.forEach((chunk, i) => {
          const cur = have[i];
          if (!cur) toCreate.push(want(g.ports, chunk));
          else if (needsUpdate(cur, g.ports, chunk)) toUpdate.push(want(g.ports, chunk, cur));
        });
        for (const s of have.slice(chunks.length)) toDelete.push(s);
      }
      for (const [k, list] of byKey) if (!groups.has(k)) toDelete.push(...list);
    }

    // Creates first, then updates, then deletes (upstream's finalize order keeps traffic flowing).
    for (const s of toCreate) {
      let created: EndpointSliceObj;
      try {
        created = await this.client.create<EndpointSliceObj>(GVR.endpointslices, ns, s);
      } catch (err) {
        // A terminating namespace refuses new content; its Service is going away too (upstream skips these).
        if (isNamespaceTerminating(err)) return;
        throw err;
      }
      this.tracker.update(uid, created);
    }
    for (const s of toUpdate) {
      const updated = await this.client.update<EndpointSliceObj>(GVR.endpointslices, ns, s);
      this.tracker.update(uid, updated);
    }
    for (const s of toDelete) {
      try {
        await this.client.delete(GVR.endpointslices, ns, s.metadata?.name ?? '', { preconditions: { uid: s.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.tracker.expectDeletion(uid, s.metadata?.name ?? '');
    }
  }
}
