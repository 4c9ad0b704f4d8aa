/**
 * ClusterIP and NodePort allocation for Services, run as generic-store hooks, after upstream
 * pkg/registry/core/service/storage/alloc.go (allocateCreate / allocateUpdate / releaseAllocatedResources:
 * allocClusterIPs, initNodePorts, updateNodePorts, allocHealthCheckNodePort) and storage.go
 * (beginCreate / beginUpdate / afterDelete). Only IPv4 single-stack is served.
 *
 * - create: `clusterIP` None → nothing; a requested IP is reserved (422
 *   `spec.clusterIPs: Invalid value: []string{"…"}: failed to allocate IP …: provided IP is already allocated`),
 *   else the next free one is set into `clusterIP`/`clusterIPs` (500 `failed to allocate a serviceIP: range is full`).
 *   NodePort/LoadBalancer ports get node ports (requested honoured, 422 `spec.ports[i].nodePort: Invalid value: N: …`),
 *   LoadBalancer with externalTrafficPolicy Local a healthCheckNodePort.
 * - update: ExternalName → other types allocates; other → ExternalName releases; node ports added /
 *   removed with the ports and the type; releases happen only after the write succeeded.
 * - delete: everything the Service held is released.
 */
import type { KubeObject } from '../../../client/interface.ts';
import type { Backend } from '../../../storage/backend.ts';
import { invalid, newInternalError, newInvalid, type FieldError } from '../../../machinery/errors.ts';
import { GoValue, goStringSlice } from '../../../api/common/go-value.ts';
import type { HookContext, StoreHooks, StoreTransaction } from '../hooks.ts';
import { IPAllocator, IPAllocatorError } from './ipallocator.ts';
import { DEFAULT_NODE_PORT_RANGE, PortAllocator, PortAllocatorError } from './portallocator.ts';

/** Options of {@link ServiceAllocators}. */
export interface ServiceAllocatorOptions {
  /** `--service-cidr`, IPv4 (default 10.96.0.0/16). */
  serviceCIDR?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  nodePortRange?: string;
}

/** Repair passes an allocation must be seen leaked on before it is released (upstream numRepairsBeforeLeakCleanup). */
export const NumRepairsBeforeLeakCleanup = 3;

/** Upstream's default `--service-cluster-ip-range` for Skiff (ARCHITECTURE.md). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

type Spec = Record<string, any>;

const SERVICE_KIND = { group: '', kind: 'Service' };

function specOf(obj: KubeObject): Spec {
  if (!obj.spec || typeof obj.spec !== 'object') obj.spec = {};
  return obj.spec as Spec;
}

function ports(spec: Spec): Array<Record<string, any>> {
  return Array.isArray(spec.ports) ? spec.ports.filter((p: unknown) => p && typeof p === 'object') : [];
}

function isNodePortType(spec: Spec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

/** `shouldAllocateNodePorts`: NodePort always; LoadBalancer unless allocateLoadBalancerNodePorts is false. */
export function shouldAllocateNodePorts(spec: Spec): boolean {
  if (spec.type === 'NodePort') return true;
  if (spec.type === 'LoadBalancer') return spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

/** `apiservice.NeedsHealthCheck`: LoadBalancer with externalTrafficPolicy Local. */
export function needsHealthCheck(spec: Spec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** The node port numbers a Service spec holds (`collectServiceNodePorts`, plus healthCheckNodePort). */
export function collectServiceNodePorts(spec: Spec): number[] {
  const out = new Set<number>();
  for (const p of ports(spec)) if (typeof p.nodePort === 'number' && p.nodePort > 0) out.add(p.nodePort);
  return [...out];
}

function clusterIPsOf(spec: Spec): string[] {
  if (spec.type === 'ExternalName') return [];
  const ips = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs.map(String) : spec.clusterIP ? [String(spec.clusterIP)] : [];
  return ips.filter((ip: string) => ip && ip !== 'None');
}

/** Collected allocations of one request; `revert` frees what was taken, `commit` frees what the old object gave up. */
class Operation implements StoreTransaction {
  readonly ips: string[] = [];
  readonly ports: number[] = [];
  releaseIPs: string[] = [];
  releasePorts: number[] = [];

  constructor(
    private readonly al: ServiceAllocators,
    private readonly dryRun: boolean,
  ) {}

  async commit(): Promise<void> {
    if (this.dryRun) return;
    for (const ip of this.releaseIPs) await this.al.ipAllocator.release(ip).catch(() => undefined);
    for (const p of this.releasePorts) await this.al.portAllocator.release(p).catch(() => undefined);
  }

  async revert(): Promise<void> {
    if (this.dryRun) return;
    for (const ip of this.ips) await this.al.ipAllocator.release(ip).catch(() => undefined);
    for (const p of this.ports) await this.al.portAllocator.release(p).catch(() => undefined);
  }
}

/**
 * The Service allocators (ClusterIP + NodePort) and the store hooks that use them.
 * Construct once per apiserver; `hooks` goes into the services store.
 */
export class ServiceAllocators {
  readonly ipAllocator: IPAllocator;
  readonly portAllocator: PortAllocator;
  readonly serviceCIDR: string;
  /** Leak sightings per `ip/<ip>` / `port/<n>` (repair). */
  private readonly leaks = new Map<string, number>();

  /** Throws Error when the CIDR or port range is malformed. */
  constructor(backend: Backend, opts: ServiceAllocatorOptions = {}) {
    this.ipAllocator = new IPAllocator(backend, opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR);
    this.portAllocator = new PortAllocator(backend, opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
    this.serviceCIDR = this.ipAllocator.cidr.text;
  }

  /** The generic-store hooks for `services`. */
  get hooks(): StoreHooks {
    return {
      beginCreate: (ctx, obj) => this.allocateCreate(ctx, obj),
      beginUpdate: (ctx, obj, old) => this.allocateUpdate(ctx, obj, old),
      afterDelete: (ctx, obj) => this.releaseAllocatedResources(ctx, obj),
    };
  }

  /** `initIPFamilyFields` for an IPv4-only cluster: 422 for IPv6 families or RequireDualStack. */
  private checkIPFamilies(svc: KubeObject): void {
    const spec = specOf(svc);
    if (spec.type === 'ExternalName') return;
    const errs: FieldError[] = [];
    if (spec.ipFamilyPolicy === 'RequireDualStack') {
      errs.push(invalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
    }
    (Array.isArray(spec.ipFamilies) ? spec.ipFamilies : []).forEach((f: unknown, i: number) => {
      if (f !== 'IPv4') errs.push(invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    });
    if (errs.length) throw newInvalid(SERVICE_KIND, svc.metadata?.name ?? '', errs);
  }

  /** `allocClusterIPs`: reserves the requested IP or picks one; sets clusterIP/clusterIPs. */
  private async allocClusterIPs(svc: KubeObject, op: Operation, dryRun: boolean): Promise<void> {
    const spec = specOf(svc);
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return;
    const cips: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(String) : [];
    const requested = cips[0] || (spec.clusterIP ? String(spec.clusterIP) : '');
    if (requested) {
      try {
        await this.ipAllocator.allocate(requested, dryRun);
      } catch (err) {
        if (err instanceof IPAllocatorError) {
          const shown = cips.length ? cips : [requested];
          throw newInvalid(SERVICE_KIND, svc.metadata?.name ?? '', [
            invalid('spec.clusterIPs', new GoValue(shown, goStringSlice(shown)), `failed to allocate IP ${requested}: ${err.message}`),
          ]);
        }
        throw err;
      }
      if (!dryRun) op.ips.push(requested);
      spec.clusterIP = requested;
      spec.clusterIPs = [requested, ...cips.slice(1)];
      return;
    }
    let ip: string;
    try {
      ip = await this.ipAllocator.allocateNext(dryRun);
    } catch (err) {
      if (err instanceof IPAllocatorError) throw newInternalError(`failed to allocate a serviceIP: ${err.message}`);
      throw err;
    }
    if (!dryRun) op.ips.push(ip);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  private async allocPort(op: Operation, port: number, dryRun: boolean, path: string, name: string): Promise<void> {
    try {
      await this.portAllocator.allocate(port, dryRun);
    } catch (err) {
      if (err instanceof PortAllocatorError) throw newInvalid(SERVICE_KIND, name, [invalid(path, port, err.message)]);
      throw err;
    }
    if (!dryRun) op.ports.push(port);
  }

  private async allocNextPort(op: Operation, dryRun: boolean, what = 'a nodePort'): Promise<number> {
    try {
      const p = await this.portAllocator.allocateNext(dryRun);
      if (!dryRun) op.ports.push(p);
      return p;
    } catch (err) {
      if (err instanceof PortAllocatorError) throw newInternalError(`failed to allocate ${what}: ${err.message}`);
      throw err;
    }
  }

  /**
   * `initNodePorts` / `updateNodePorts`: every port of a NodePort/LoadBalancer Service gets a
   * node port; ports with the same `port` number (TCP+UDP) share one; ports already held by
   * `old` are kept without re-reserving.
   */
  private async allocNodePorts(svc: KubeObject, oldPorts: Set<number>, op: Operation, dryRun: boolean): Promise<void> {
    const spec = specOf(svc);
    const name = svc.metadata?.name ?? '';
    const byServicePort = new Map<number, number>();
    const taken = new Set<number>();
    const list = ports(spec);
    for (let i = 0; i < list.length; i++) {
      const sp = list[i];
      const np = typeof sp.nodePort === 'number' ? sp.nodePort : 0;
      if (np === 0 && !shouldAllocateNodePorts(spec)) continue;
      const path = `spec.ports[${i}].nodePort`;
      if (np !== 0) {
        if (!oldPorts.has(np) && !taken.has(np)) await this.allocPort(op, np, dryRun, path, name);
        taken.add(np);
        byServicePort.set(sp.port, np);
        continue;
      }
      const shared = byServicePort.get(sp.port) ?? list.slice(i + 1).find((o) => o.port === sp.port && typeof o.nodePort === 'number' && o.nodePort > 0)?.nodePort;
      if (shared) {
        if (!oldPorts.has(shared) && !taken.has(shared)) await this.allocPort(op, shared, dryRun, path, name);
        taken.add(shared);
        sp.nodePort = shared;
        byServicePort.set(sp.port, shared);
        continue;
      }
      const p = await this.allocNextPort(op, dryRun);
      sp.nodePort = p;
      taken.add(p);
      byServicePort.set(sp.port, p);
    }
  }

  /** `allocHealthCheckNodePort`: the requested one (500 `failed to allocate requested HealthCheck NodePort …`) or the next free. */
  private async allocHealthCheckNodePort(svc: KubeObject, op: Operation, dryRun: boolean): Promise<void> {
    const spec = specOf(svc);
    const hc = typeof spec.healthCheckNodePort === 'number' ? spec.healthCheckNodePort : 0;
    if (hc) {
      try {
        await this.portAllocator.allocate(hc, dryRun);
        if (!dryRun) op.ports.push(hc);
      } catch (err) {
        if (err instanceof PortAllocatorError) throw newInternalError(`failed to allocate requested HealthCheck NodePort ${hc}: ${err.message}`);
        throw err;
      }
      return;
    }
    spec.healthCheckNodePort = await this.allocNextPort(op, dryRun, 'a HealthCheck NodePort 0');
  }

  /** beginCreate: allocates everything a new Service needs (see module comment). Reverts its own allocations on failure. */
  async allocateCreate(ctx: HookContext, svc: KubeObject): Promise<StoreTransaction> {
    const dryRun = !!ctx.dryRun;
    const op = new Operation(this, dryRun);
    try {
      this.checkIPFamilies(svc);
      await this.allocClusterIPs(svc, op, dryRun);
      const spec = specOf(svc);
      if (isNodePortType(spec)) await this.allocNodePorts(svc, new Set(), op, dryRun);
      if (needsHealthCheck(spec)) await this.allocHealthCheckNodePort(svc, op, dryRun);
    } catch (err) {
      await op.revert();
      throw err;
    }
    return op;
  }

  /** beginUpdate: allocates what the new spec adds; what the old one gives up is released on commit. */
  async allocateUpdate(ctx: HookContext, svc: KubeObject, old: KubeObject): Promise<StoreTransaction> {
    const dryRun = !!ctx.dryRun;
    const op = new Operation(this, dryRun);
    const spec = specOf(svc);
    const oldSpec = (old.spec ?? {}) as Spec;
    try {
      this.checkIPFamilies(svc);
      // Cluster IPs (updateClusterIPs cases A and B; single-stack only).
      if (oldSpec.type === 'ExternalName' && spec.type !== 'ExternalName') {
        await this.allocClusterIPs(svc, op, dryRun);
      } else if (oldSpec.type !== 'ExternalName' && spec.type === 'ExternalName') {
        op.releaseIPs = clusterIPsOf(oldSpec);
      }
      // Node ports.
      const oldNodePorts = isNodePortType(oldSpec) ? collectServiceNodePorts(oldSpec) : [];
      let keep = new Set<number>();
      if (isNodePortType(spec)) {
        await this.allocNodePorts(svc, new Set(oldNodePorts), op, dryRun);
        keep = new Set(collectServiceNodePorts(spec));
      }
      op.releasePorts = oldNodePorts.filter((p) => !keep.has(p));
      // Health check node port.
      const oldHC = needsHealthCheck(oldSpec) && typeof oldSpec.healthCheckNodePort === 'number' ? oldSpec.healthCheckNodePort : 0;
      if (needsHealthCheck(spec)) {
        if (!oldHC) await this.allocHealthCheckNodePort(svc, op, dryRun);
        else if (spec.healthCheckNodePort !== oldHC) {
          throw newInvalid(SERVICE_KIND, svc.metadata?.name ?? '', [invalid('spec.healthCheckNodePort', spec.healthCheckNodePort ?? 0, 'field is immutable')]);
        }
      } else {
        if (oldHC) op.releasePorts.push(oldHC);
        delete spec.healthCheckNodePort;
      }
    } catch (err) {
      await op.revert();
      throw err;
    }
    return op;
  }

  /** afterDelete (`releaseAllocatedResources`): frees the Service's ClusterIPs, node ports and healthCheckNodePort. */
  async releaseAllocatedResources(ctx: HookContext, svc: KubeObject): Promise<void> {
    if (ctx.dryRun) return;
    const spec = (svc.spec ?? {}) as Spec;
    for (const ip of clusterIPsOf(spec)) await this.ipAllocator.release(ip).catch(() => undefined);
    if (isNodePortType(spec)) for (const p of collectServiceNodePorts(spec)) await this.portAllocator.release(p).catch(() => undefined);
    if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0) await this.portAllocator.release(spec.healthCheckNodePort).catch(() => undefined);
  }

  /**
   * One pass of upstream's ipallocator/controller and portallocator/controller `Repair`:
   * ClusterIPs and node ports held by `services` but missing from the bitmaps are marked
   * allocated; ones allocated but held by no Service are released only after they were seen
   * leaked on {@link NumRepairsBeforeLeakCleanup} consecutive passes (an allocation whose Service
   * write is still in flight must survive). Returns what changed.
   */
  async repair(services: KubeObject[]): Promise<{ marked: string[]; released: string[] }> {
    const ips = new Set<string>();
    const nodePorts = new Set<number>();
    for (const s of services) {
      const spec = (s.spec ?? {}) as Spec;
      for (const ip of clusterIPsOf(spec)) ips.add(ip);
      if (isNodePortType(spec)) for (const p of collectServiceNodePorts(spec)) nodePorts.add(p);
      if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0) nodePorts.add(spec.healthCheckNodePort);
    }
    const marked: string[] = [];
    const released: string[] = [];
    for (const ip of ips) {
      this.leaks.delete(`ip/${ip}`);
      if (!this.ipAllocator.contains(ip) || (await this.ipAllocator.has(ip))) continue;
      try {
        await this.ipAllocator.allocate(ip);
        marked.push(ip);
      } catch (e) {
        if (!(e instanceof IPAllocatorError)) throw e;
      }
    }
    for (const p of nodePorts) {
      this.leaks.delete(`port/${p}`);
      if (!this.portAllocator.contains(p) || (await this.portAllocator.has(p))) continue;
      try {
        await this.portAllocator.allocate(p);
        marked.push(String(p));
      } catch (e) {
        if (!(e instanceof PortAllocatorError)) throw e;
      }
    }
    const seen = new Set<string>();
    for (const ip of await this.ipAllocator.allocated()) {
      if (ips.has(ip)) continue;
      const k = `ip/${ip}`;
      seen.add(k);
      const n = (this.leaks.get(k) ?? 0) + 1;
      if (n >= NumRepairsBeforeLeakCleanup) {
        await this.ipAllocator.release(ip);
        this.leaks.delete(k);
        released.push(ip);
      } else this.leaks.set(k, n);
    }
    for (const p of await this.portAllocator.allocated()) {
      if (nodePorts.has(p)) continue;
      const k = `port/${p}`;
      seen.add(k);
      const n = (this.leaks.get(k) ?? 0) + 1;
      if (n >= NumRepairsBeforeLeakCleanup) {
        await this.portAllocator.release(p);
        this.leaks.delete(k);
        released.push(String(p));
      } else this.leaks.set(k, n);
    }
    for (const k of [...this.leaks.keys()]) if (!seen.has(k)) this.leaks.delete(k);
    return { marked, released };
  }

  /**
   * Runs {@link repair} now and every `intervalMs` (upstream: 3 minutes) over the Services
   * `listServices` returns (a consistent LIST from the store). Errors are passed to `onError`.
   * @returns a stop function
   */
  startRepair(listServices: () => Promise<KubeObject[]>, intervalMs = 180_000, onError: (err: unknown) => void = () => {}): () => void {
    let stopped = false;
    let running = false;
    const pass = async () => {
      if (stopped || running) return;
      running = true;
      try {
        await this.repair(await listServices());
      } catch (err) {
        if (!stopped) onError(err);
      } finally {
        running = false;
      }
    };
    void pass();
    const t = setInterval(() => void pass(), intervalMs);
    t.unref?.();
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }
}

