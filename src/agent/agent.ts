/**
 * The node agent: image store + runc runtime + kubelet + node status + node Lease, wired together
 * (what `kubelet` + its CRI runtime are upstream, in one object). Used by `skiff server` for the
 * local node and by `skiff agent`.
 *
 * Start order: image imports → Node registered (so `kubectl get nodes` works when this resolves)
 * → Lease → kubelet (pod source, workers, relist) → its KubeletConnection registered for the
 * apiserver's logs/exec/port-forward. `stop()` reverses it; containers keep running and are
 * re-adopted by the next agent unless `cleanup` is asked for, in which case every pod is torn down
 * through the runtime's `cleanupAll()`.
 *
 * State under `<dataDir>/agent/`: `images/` (ImageStore), `runtime/` (RuncRuntime state),
 * `runc/` (`runc --root`), `kubelet/` (pods/<uid>/volumes, logs/).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '../client/interface.ts';
import type { KubeletConnections } from '../apiserver/kubelet-client.ts';
import { dataPaths } from '../server/paths.ts';
import { ImageStore } from './runtime/images/image-store.ts';
import { RuncRuntime } from './runtime/runc/runtime.ts';
import type { ImageService, RuntimeService } from './runtime/types.ts';
import { Kubelet } from './kubelet/kubelet.ts';
import { NodeLeaseController } from './kubelet/node-lease.ts';
import { getNodeInternalIP, NodeStatusManager } from './kubelet/node-status.ts';
import { Proxier } from './network/proxy/proxier.ts';
import { startClusterDNS, type ClusterDNS } from './network/dns/cluster-dns.ts';
import { startAPIServerRelay } from './network/apiserver-relay.ts';
import { maintainKubeDNSEndpointSlice, podCIDRGateway } from './network/dns/kube-dns.ts';

/** The subset of a pino logger the agent uses. */
export interface AgentLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link startAgent}. */
export interface AgentOptions {
  client: Client;
  nodeName: string;
  /** Data dir root; agent state lives under `<dataDir>/agent/`. */
  dataDir: string;
  /** Where to register the kubelet's streaming connection (pods/log, exec, portforward). */
  kubelets?: KubeletConnections;
  /** The node's pod CIDR (CNI subnet and `spec.podCIDR`), default 10.88.0.0/24. */
  podCIDR?: string;
  /** Prefix of host resources (bridge `<prefix>0`, netns `<prefix>-…`, cgroup `/<prefix>`), default `skiff`. */
  resourcePrefix?: string;
  /** Image tarballs (or directories of them) imported before the kubelet starts. */
  importImages?: string[];
  /** Cluster DNS server IPs for ClusterFirst pods (none → pods use the host's resolv.conf). */
  clusterDNS?: string[];
  clusterDomain?: string;
  /**
   * Run the cluster DNS server (src/agent/network/dns) on the pod-bridge gateway (first host of
   * `podCIDR`, port 53; the bridge `<prefix>0` gets that address if it lacks it) and publish it as
   * the EndpointSlice `kube-system/kube-dns-<node>` of the kube-dns Service. Default off.
   */
  clusterDNSServer?: boolean;
  /**
   * The apiserver's loopback listener to relay pods' API traffic to (src/agent/network/apiserver-relay.ts):
   * the agent listens on the pod-bridge gateway at the same port, and `default/kubernetes` names that address.
   */
  apiServerRelay?: { host: string; port: number };
  nodeLabels?: Record<string, string>;
  /** Node InternalIP (default: the host's primary IPv4). */
  nodeIP?: string;
  /** Service CIDR: the proxy routes it to the pod bridge (default 10.96.0.0/16). */
  serviceCIDR?: string;
  /**
   * Run the iptables service proxy (kube-proxy). Default: on when the real runc runtime is used (no
   * `runtime` override). `nodePortAddresses` restricts NodePorts to these CIDRs (default: all local addresses).
   */
  proxy?: boolean | { nodePortAddresses?: string[] };
  /** Replace the runtime / image service (tests, simulated nodes). */
  runtime?: RuntimeService;
  images?: ImageService;
  /**
   * Kubelet periodic pod sync, ms (upstream `--sync-frequency`; default 10000): also the period at
   * which configMap/secret volume updates reach running pods.
   */
  syncFrequencyMs?: number;
  /** Node status period, ms (default 10000); lease renew period, ms (default 10000). */
  nodeStatusIntervalMs?: number;
  leaseRenewIntervalMs?: number;
  log?: AgentLogger;
  /** Stops the agent when aborted (same as calling stop()). */
  signal?: AbortSignal;
}

/** A running agent. */
export interface RunningAgent {
  kubelet: Kubelet;
  runtime: RuntimeService;
  images: ImageService;
  nodeStatus: NodeStatusManager;
  lease: NodeLeaseController;
  /** The service proxy, when running. */
  proxier?: Proxier;
  /**
   * Stops the loops and unregisters the connection. With `cleanup`, also removes every sandbox,
   * container, netns, mount and cgroup the runtime made (RuncRuntime.cleanupAll).
   */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
}

async function expandImports(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      for (const n of (await readdir(p)).sort()) if (/\.(tar|tar\.gz|tgz)$/.test(n)) out.push(path.join(p, n));
    } else out.push(p);
  }
  return out;
}

/**
 * Builds and starts the agent. Resolves once the Node is registered and the kubelet runs.
 * @throws when the Node cannot be registered or the runtime cannot be constructed (missing runc/conmon)
 */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const paths = dataPaths(opts.dataDir);
  const prefix = opts.resourcePrefix ?? 'skiff';
  const podCIDR = opts.podCIDR ?? '10.88.0.0/24';
  const log: AgentLogger = opts.log ?? { info: () => undefined, warn: (o, m) => console.error(m, o), error: (o, m) => console.error(m, o) };

  const imageStore = opts.images ? undefined : new ImageStore(paths.images);
  const images: ImageService = opts.images ?? imageStore!;
  const runtime: RuntimeService =
    opts.runtime ??
    new RuncRuntime({
      stateDir: paths.runtime,
      runcRoot: paths.runcRoot,
      prefix,
      images: imageStore ?? (images as unknown as ImageStore),
      cni: { bridge: `${prefix}0`, subnet: podCIDR },
      cgroupParent: `/${prefix}`,
    });

  for (const file of await expandImports([...(opts.importImages ?? []), paths.imageImportDir])) {
    try {
      const imported = await images.importImage(file);
      log.info({ file, images: imported.flatMap((i) => i.repoTags) }, 'imported images');
    } catch (err) {
      log.warn({ file, err: (err as Error).message }, 'image import failed');
    }
  }

  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const nodeIP = opts.nodeIP ?? getNodeInternalIP();
  const nodeStatus = new NodeStatusManager({
    client: opts.client,
    nodeName: opts.nodeName,
    runtime,
    images,
    rootDir: paths.kubelet,
    podCIDR,
    nodeLabels: opts.nodeLabels,
    nodeIP,
  });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(paths.kubelet, { recursive: true });
  await nodeStatus.registerWithAPIServer();
  const lease = new NodeLeaseController({
    client: opts.client,
    nodeName: opts.nodeName,
    renewIntervalMs: opts.leaseRenewIntervalMs,
    getNode: () => nodeStatus.current,
  });
  const kubelet = new Kubelet({
    client: opts.client,
    nodeName: opts.nodeName,
    runtime,
    images,
    rootDir: paths.kubelet,
    podCIDR,
    clusterDNS: opts.clusterDNS,
    clusterDomain: opts.clusterDomain,
    nodeLabels: opts.nodeLabels,
    nodeIP,
    resyncIntervalMs: opts.syncFrequencyMs,
    log: (msg, extra) => log.warn(extra ?? {}, `kubelet: ${msg}`),
  });
  const warn = (m: string, x?: unknown) => log.warn({ detail: x }, m);
  // First heartbeat before returning, so the node is fully visible (Node + Lease) when we resolve.
  await lease.sync().catch((e) => warn('lease create failed', (e as Error).message));
  // Cluster DNS before the kubelet, so the bridge has the gateway address before the first pod.
  let clusterDNS: ClusterDNS | undefined;
  let dnsSlice: Promise<unknown> = Promise.resolve();
  if (opts.clusterDNSServer) {
    const gateway = podCIDRGateway(podCIDR);
    clusterDNS = startClusterDNS({
      client: opts.client,
      address: gateway,
      bridge: { name: `${prefix}0`, prefixLength: Number(podCIDR.split('/')[1]) },
      zone: opts.clusterDomain,
      nsIPs: opts.clusterDNS,
      log,
    });
    dnsSlice = maintainKubeDNSEndpointSlice(opts.client, opts.nodeName, gateway, ac.signal, (e) => warn('kube-dns EndpointSlice', (e as Error).message));
  }
  const relay = opts.apiServerRelay
    ? startAPIServerRelay({ listenAddress: podCIDRGateway(podCIDR), listenPort: opts.apiServerRelay.port, target: opts.apiServerRelay, addressReady: clusterDNS?.listening, log })
    : undefined;
  const loops = Promise.all([
    nodeStatus.run(ac.signal, opts.nodeStatusIntervalMs ?? 10_000, warn),
    lease.run(ac.signal, warn),
    kubelet.start(ac.signal),
  ]);
  opts.kubelets?.register(opts.nodeName, kubelet.connection());
  let proxier: Proxier | undefined;
  if (opts.proxy ?? !opts.runtime) {
    proxier = new Proxier({
      client: opts.client,
      nodeName: opts.nodeName,
      resourcePrefix: prefix,
      serviceCIDR: opts.serviceCIDR ?? '10.96.0.0/16',
      bridge: `${prefix}0`,
      clusterCIDR: podCIDR,
      nodePortAddresses: typeof opts.proxy === 'object' ? opts.proxy.nodePortAddresses : undefined,
      log: { info: (o, m) => log.info(o as object, m), warn: (o, m) => log.warn(o as object, m), error: (o, m) => log.error(o as object, m) },
    });
    try {
      await proxier.start();
    } catch (err) {
      // As upstream, a broken kube-proxy does not stop the kubelet: log it and run without Services.
      log.error({ err: (err as Error).message }, 'service proxy failed to start');
      await proxier.stop();
      proxier = undefined;
    }
  }
  log.info({ node: opts.nodeName, podCIDR, nodeIP }, 'agent started');

  let stopped: Promise<void> | undefined;
  return {
    kubelet,
    runtime,
    images,
    nodeStatus,
    lease,
    proxier,
    stop(stopOpts) {
      stopped ??= (async () => {
        opts.kubelets?.unregister(opts.nodeName);
        ac.abort();
        opts.signal?.removeEventListener('abort', onAbort);
        await loops;
        await Promise.all([clusterDNS?.stop(), dnsSlice, relay?.stop()]);
        // The proxy always removes its chains, jump rules and route (even without cleanup).
        await proxier?.stop();
        if (stopOpts?.cleanup && runtime instanceof RuncRuntime) await runtime.cleanupAll();
        // Volume mounts (Memory emptyDir / secret tmpfs, read-only claim binds) live under the kubelet's pod dirs.
        if (stopOpts?.cleanup && runtime instanceof RuncRuntime) await kubelet.unmountAllVolumes();
      })();
      return stopped;
    },
  };
}
