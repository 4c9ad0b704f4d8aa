/**
 * `skiff server`: the whole cluster in one process, started in an explicit order (as k3s'
 * executor does with readiness channels):
 *
 *   store (SQLite revisioned log) → apiserver (HTTPS, watch caches ready) → kubeconfig
 *   → system namespaces → controllers + scheduler → agent (node, lease, kubelet) → ready line.
 *
 * Shutdown (abort signal) runs in reverse. Pods' containers keep running across a restart and are
 * re-adopted by the next agent, unless `cleanupOnExit` is set, in which case every sandbox,
 * container, netns, mount and cgroup the agent made is removed.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqliteBackend } from '../storage/sqlite/sqlite-backend.ts';
import { EtcdBackend } from '../storage/etcd/etcd-backend.ts';
import type { Backend } from '../storage/backend.ts';
import { startCompactor } from '../storage/compactor.ts';
import { APIServer } from '../apiserver/server.ts';
import { newInProcessClient } from '../client/in-process.ts';
import { KubeletConnections } from '../apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../apiserver/auth/token.ts';
import { UnionAuthenticator, X509Authenticator } from '../apiserver/auth/x509.ts';
import { ensureAdminToken, ensurePKI, writeKubeconfig } from '../apiserver/pki.ts';
import { ServiceAccountTokens, ensureServiceAccountKey } from '../apiserver/auth/serviceaccount/tokens.ts';
import { firstIP } from '../apiserver/registry/service/ipallocator.ts';
import { realMachinery } from '../apiserver/machinery-real.ts';
import { RESOURCES } from '../api/resource-table.ts';
import { ensureSystemNamespaces } from '../controllers/namespace/bootstrap.ts';
import { startControllers } from '../controllers/manager.ts';
import type { NodeLifecycleOptions } from '../controllers/nodelifecycle/start.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { startAgent } from '../agent/agent.ts';
import { startSimulatedNodes } from '../agent/simulated/simulated-nodes.ts';
import { defaultAdvertiseAddress, ensureKubernetesService } from '../apiserver/registry/service/kubernetes-service.ts';
import { ensureKubeDNSService, kubeDNSServiceIP, podCIDRGateway } from '../agent/network/dns/kube-dns.ts';
import { createLogger } from './log.ts';
import { dataPaths } from './paths.ts';

export { defaultDataDir } from './paths.ts';

/** Options of {@link runServer}; the CLI flags of `skiff server`. */
export interface ServerOptions {
  dataDir: string;
  /** 0 = a random free port (tests). */
  httpsListenPort: number;
  bindAddress: string;
  nodeName: string;
  /** Pod network, e.g. 10.88.0.0/16; the local node gets its first /24 (or the whole range when smaller). */
  clusterCIDR: string;
  serviceCIDR: string;
  /** Prefix of host resources the agent makes (bridge `<prefix>0`, netns `<prefix>-…`, cgroup `/<prefix>`). */
  resourcePrefix: string;
  /** Image tarballs, or directories of them, imported before the agent starts. */
  importImages: string[];
  disableAgent: boolean;
  /** `--simulated-nodes N`: KWOK-style nodes without containers (src/agent/simulated); 0 = none. */
  simulatedNodes?: number;
  /** `--simulated-node-prefix` (default `sim-node-`) and `--simulated-config <yaml>` (capacity, labels, taints, stages). */
  simulatedNodePrefix?: string;
  simulatedConfig?: string;
  cleanupOnExit: boolean;
  logLevel: string;
  /** etcd client URL(s), comma-separated (`http://127.0.0.1:2379`); unset = the embedded SQLite store. */
  datastoreEndpoint?: string;
  /** `--sync-frequency`: the local kubelet's periodic pod sync (and volume refresh) period, ms (default 10000). */
  syncFrequencyMs?: number;
  /** Node lifecycle flags (--node-monitor-grace-period, --node-monitor-period, --node-startup-grace-period, --node-eviction-rate, …). */
  nodeLifecycle?: NodeLifecycleOptions;
  /** --terminated-pod-gc-threshold (default 12500; ≤ 0 disables). */
  terminatedPodGCThreshold?: number;
}

/** What a running server exposes (for tests and embedding). */
export interface RunningServer {
  url: string;
  kubeconfigPath: string;
}

/**
 * The node's pod CIDR: the first /24 of the cluster CIDR, or the CIDR itself when it is /24 or
 * smaller. Throws on a malformed CIDR.
 */
export function nodePodCIDR(clusterCIDR: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(clusterCIDR);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 30) throw new Error(`invalid --cluster-cidr ${clusterCIDR}`);
  const bits = Number(m[5]);
  if (bits >= 24) return clusterCIDR;
  return `${m[1]}.${m[2]}.${m[3]}.0/24`;
}

/**
 * Runs the server until `signal` aborts. Resolves after a clean shutdown; rejects when start-up
 * fails (port in use, unwritable data dir, missing host tools).
 * `onReady` is called once the cluster is serving, with its URL and kubeconfig path.
 */
export async function runServer(opts: ServerOptions, signal: AbortSignal, onReady?: (s: RunningServer) => void): Promise<void> {
  const log = createLogger(opts.logLevel);
  const paths = dataPaths(opts.dataDir);
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  mkdirSync(paths.server, { recursive: true, mode: 0o700 });
  mkdirSync(paths.images, { recursive: true });
  const podCIDR = nodePodCIDR(opts.clusterCIDR);

  const stops: Array<() => Promise<void> | void> = [];
  const shutdown = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.warn({ err }, 'shutdown step failed');
      }
    }
  };

  try {
    // 1. store
    mkdirSync(path.dirname(paths.db), { recursive: true, mode: 0o700 });
    const backend: Backend = opts.datastoreEndpoint
      ? await EtcdBackend.connect({ endpoints: EtcdBackend.parseEndpoints(opts.datastoreEndpoint) })
      : SqliteBackend.open(paths.db);
    stops.push(() => backend.close());
    const stopCompactor = startCompactor(backend);
    stops.push(stopCompactor);

    // 2. apiserver
    // The serving certificate also names the `default/kubernetes` ClusterIP (first address of the service
    // CIDR), as upstream's, so in-cluster clients using KUBERNETES_SERVICE_HOST verify it with ca.crt.
    const pki = ensurePKI(paths.server, [...(opts.bindAddress !== '0.0.0.0' && opts.bindAddress !== '127.0.0.1' ? [opts.bindAddress] : []), firstIP(opts.serviceCIDR)]);
    const token = ensureAdminToken(paths.server);
    // Client certificates signed by the cluster CA (`skiff kubeconfig --user`), then the admin token (system:masters).
    const authenticator = new UnionAuthenticator([new X509Authenticator(), new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] })]);
    const kubelets = new KubeletConnections();
    // ServiceAccount tokens are signed with <server>/pki/service-account.key (kept across restarts).
    const serviceAccountTokens = new ServiceAccountTokens({ keyPair: ensureServiceAccountKey(path.dirname(pki.caPath)) });
    const api = new APIServer({ backend, kubelets, authenticator, authorizationMode: 'RBAC', resources: RESOURCES, machinery: realMachinery(), serviceCIDR: opts.serviceCIDR, serviceAccountTokens });
    await api.waitReady();
    const { url } = await api.listen({ host: opts.bindAddress, port: opts.httpsListenPort, tls: { cert: pki.certPem, key: pki.keyPem, clientCA: pki.caPem } });
    stops.push(() => api.stop());
    const serverURL = opts.bindAddress === '0.0.0.0' ? url.replace('0.0.0.0', '127.0.0.1') : url;
    writeKubeconfig(paths.kubeconfig, { server: serverURL, caPem: pki.caPem, token });
    log.info({ url: serverURL }, 'apiserver listening');

    // 3. controllers and scheduler (in-process client: same pipeline, no HTTP)
    const client = api.inProcessClient();
    await ensureSystemNamespaces(client);
    // default/kubernetes: first address of the service CIDR, https 443 → this apiserver (upstream's bootstrap controller).
    // A loopback listener is unreachable from pods: the local agent relays its pod-bridge gateway to it.
    const apiPort = Number(new URL(serverURL).port);
    const relayAPIServer = !opts.disableAgent && opts.bindAddress.startsWith('127.');
    const advertiseAddress = opts.bindAddress === '0.0.0.0' ? defaultAdvertiseAddress() : relayAPIServer ? podCIDRGateway(podCIDR) : opts.bindAddress.startsWith('127.') ? undefined : opts.bindAddress;
    await ensureKubernetesService(client, { serviceCIDR: opts.serviceCIDR, port: apiPort, advertiseAddress }).catch((err: unknown) =>
      log.warn({ err: (err as Error).message }, 'kubernetes Service not created'),
    );
    // kube-system/kube-dns (10th address of the service CIDR), served by each agent's DNS server;
    // if it cannot be created, pods use the node's DNS server address directly.
    const clusterDNSIP = await ensureKubeDNSService(client, kubeDNSServiceIP(opts.serviceCIDR)).then(
      (svc) => svc.spec?.clusterIP ?? podCIDRGateway(podCIDR),
      (err: unknown) => (log.warn({ err: (err as Error).message }, 'kube-dns Service not created'), podCIDRGateway(podCIDR)),
    );
    const controllersAbort = new AbortController();
    stops.push(() => controllersAbort.abort());
    const controllers = startControllers(client, controllersAbort.signal, {
      logger: log.child({ component: 'controller-manager' }),
      nodeLifecycle: opts.nodeLifecycle,
      podGC: opts.terminatedPodGCThreshold === undefined ? undefined : { terminatedPodThreshold: opts.terminatedPodGCThreshold },
      rootCA: pki.caPem,
      // k3s' local-path provisioner: volumes under <dataDir>/agent/storage on this (the embedded agent's) node.
      localPathProvisioner: opts.disableAgent ? undefined : { storageDir: path.join(paths.root, 'agent', 'storage'), nodeName: opts.nodeName },
    });
    controllers.catch((err: unknown) => log.error({ err }, 'controller manager stopped'));
    // Each component writes under its upstream field manager name (managedFields), from its User-Agent.
    const scheduler = new Scheduler({ client: newInProcessClient(api, { userAgent: 'kube-scheduler/v1.32.0 (skiff)' }) });
    scheduler.start(controllersAbort.signal).catch((err: unknown) => log.error({ err }, 'scheduler stopped'));

    // 4. the local node agent
    if (!opts.disableAgent) {
      const agent = await startAgent({
        client: newInProcessClient(api, { userAgent: 'kubelet/v1.32.0 (skiff)' }),
        kubelets,
        nodeName: opts.nodeName,
        dataDir: paths.root,
        podCIDR,
        resourcePrefix: opts.resourcePrefix,
        serviceCIDR: opts.serviceCIDR,
        clusterDNS: [clusterDNSIP],
        clusterDNSServer: true,
        apiServerRelay: relayAPIServer ? { host: opts.bindAddress, port: apiPort } : undefined,
        importImages: opts.importImages,
        syncFrequencyMs: opts.syncFrequencyMs,
        log,
      });
      stops.push(() => agent.stop({ cleanup: opts.cleanupOnExit }));
    }

    // 5. simulated nodes (pods move through stages; no containers)
    if (opts.simulatedNodes) {
      const stopSim = await startSimulatedNodes({ client, count: opts.simulatedNodes, prefix: opts.simulatedNodePrefix, configFile: opts.simulatedConfig, clusterCIDR: opts.clusterCIDR, logger: log.child({ component: 'simulated-nodes' }), signal: controllersAbort.signal });
      stops.push(stopSim);
    }

    process.stdout.write(`kubeconfig: ${paths.kubeconfig}\n`);
    process.stdout.write(`skiff is ready: ${serverURL} (node ${opts.disableAgent ? 'none' : opts.nodeName}). Try: KUBECONFIG=${paths.kubeconfig} kubectl get nodes\n`);
    onReady?.({ url: serverURL, kubeconfigPath: paths.kubeconfig });

    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await shutdown();
    process.stderr.write(`skiff server stopped${opts.cleanupOnExit ? '; pods\' containers and network removed' : '; pods keep running and are re-adopted at the next start'}\n`);
  }
}
