/**
 * The agent's cluster DNS: informers (Namespaces, Services, EndpointSlices, Pods) feeding the
 * {@link Kubernetes} records, a {@link Forward}er over the host's resolv.conf, and a
 * {@link DNSServer} on the node's pod-bridge gateway address, port 53 — what CoreDNS behind the
 * kube-dns Service is upstream, in-process.
 *
 * Binding: the gateway address lives on Skiff's bridge `<prefix>0`, which the CNI bridge plugin
 * creates at the first pod's ADD. When `bridge` is given and the address is missing, the bridge is
 * created (if absent) and given the address the bridge plugin would give it (`<gateway>/<bits>`,
 * which the plugin accepts as its own), so DNS is up before the first pod. Without `bridge`, or
 * when that fails, the bind is retried every `retryIntervalMs` until it succeeds or the DNS stops.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GVR, type Client } from '../../../client/interface.ts';
import { SharedInformerFactory } from '../../../client/informer-factory.ts';
import type { Logger, SharedInformer } from '../../../client/informer.ts';
import { Kubernetes, type EndpointSlice, type Namespace, type Pod, type Service } from './kubernetes.ts';
import { Forward, upstreamsFromResolvConf, type Upstream } from './forward.ts';
import { DNSServer, type DNSServerAddress } from './server.ts';

const execFileP = promisify(execFile);

/** The subset of a pino logger cluster DNS uses. */
export interface ClusterDNSLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link startClusterDNS}. */
export interface ClusterDNSOptions {
  client: Client;
  /** Address to listen on, e.g. the node's gateway 10.88.0.1 (or 127.0.0.x in tests). */
  address: string;
  /** Port, default 53 (0: a free port). */
  port?: number;
  /** Skiff's own bridge that carries `address`; the address (`address/prefixLength`) is added when missing. */
  bridge?: { name: string; prefixLength: number };
  /** Cluster domain, default cluster.local. */
  zone?: string;
  /** Record TTL, seconds (default 5). */
  ttl?: number;
  /** The DNS Service's addresses (`ns.dns.<zone>`), e.g. ['10.96.0.10']. */
  nsIPs?: string[];
  /** Upstream resolvers; default: the nameservers of `resolvConf`. */
  upstreams?: Upstream[];
  /** Host resolv.conf path (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Per-attempt forward timeout, ms (default 2000). */
  forwardTimeoutMs?: number;
  /** Interval between bind attempts, ms (default 500). */
  retryIntervalMs?: number;
  log?: ClusterDNSLogger;
}

/** A running cluster DNS. */
export interface ClusterDNS {
  kubernetes: Kubernetes;
  server: DNSServer;
  forward: Forward;
  /** Resolves with the bound address once listening (undefined when stopped first). */
  listening: Promise<DNSServerAddress | undefined>;
  /** Resolves when the informers have listed (false when stopped first). */
  synced(): Promise<boolean>;
  /** Stops the informers, closes the sockets and aborts forwards. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Ensures `bridge` exists, is up and carries `address/prefixLength` (only Skiff's own bridge is
 * ever passed here). An address already present is left alone.
 * @throws when `ip` fails for another reason than "already exists"
 */
export async function ensureBridgeAddress(bridge: string, address: string, prefixLength: number): Promise<void> {
  const show = await execFileP('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge]).then(
    (r) => r.stdout,
    () => undefined,
  );
  if (show === undefined) {
    await execFileP('ip', ['link', 'add', bridge, 'type', 'bridge']).catch((e: { stderr?: string }) => {
      if (!/File exists/.test(e.stderr ?? '')) throw e;
    });
  } else if (show.includes(` ${address}/`)) return;
  await execFileP('ip', ['addr', 'add', `${address}/${prefixLength}`, 'dev', bridge]).catch((e: { stderr?: string }) => {
    if (!/File exists/.test(e.stderr ?? '')) throw e;
  });
  await execFileP('ip', ['link', 'set', bridge, 'up']);
}

/**
 * Starts cluster DNS: informers at once, the server as soon as the address can be bound.
 * Never throws for bind failures (they are retried and logged).
 */
export function startClusterDNS(opts: ClusterDNSOptions): ClusterDNS {
  const ac = new AbortController();
  const logger: Logger = {
    info: () => undefined,
    warn: (o, m) => opts.log?.warn(o as object, `dns informer: ${m ?? ''}`),
    error: (o, m) => opts.log?.warn(o as object, `dns informer: ${m ?? ''}`),
  };
  const factory = new SharedInformerFactory(opts.client, { logger });
  const namespaces = factory.forResource<Namespace>(GVR.namespaces);
  const services = factory.forResource<Service>(GVR.services);
  const slices = factory.forResource<EndpointSlice>(GVR.endpointslices);
  const pods = factory.forResource<Pod>(GVR.pods);
  const kubernetes = new Kubernetes({
    stores: { namespaces: namespaces.store, services: services.store, endpointSlices: slices.store, pods: pods.store },
    zone: opts.zone,
    ttl: opts.ttl,
    nsIPs: opts.nsIPs,
    hasSynced: () => namespaces.hasSynced() && services.hasSynced() && slices.hasSynced() && pods.hasSynced(),
  });
  const touch = () => kubernetes.markModified();
  for (const inf of [namespaces, services, slices, pods] as unknown as SharedInformer[]) inf.addEventHandler({ onAdd: touch, onUpdate: touch, onDelete: touch });
  factory.start(ac.signal);

  const port = opts.port ?? 53;
  const upstreams = (opts.upstreams ?? upstreamsFromResolvConf(opts.resolvConf)).filter((u) => !(u.host === opts.address && u.port === port));
  const forward = new Forward({ upstreams, timeoutMs: opts.forwardTimeoutMs });
  const server = new DNSServer({ kubernetes, forward, log: opts.log });

  const listening = (async (): Promise<DNSServerAddress | undefined> => {
    let bridgeTried = false;
    let lastErr = '';
    while (!ac.signal.aborted) {
      try {
        const addr = await server.listen(opts.address, port);
        if (ac.signal.aborted) {
          await server.close();
          return undefined;
        }
        opts.log?.info({ address: addr.address, port: addr.port, upstreams: upstreams.map((u) => `${u.host}:${u.port}`) }, 'cluster DNS listening');
        return addr;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRNOTAVAIL' && opts.bridge && !bridgeTried) {
          bridgeTried = true;
          try {
            await ensureBridgeAddress(opts.bridge.name, opts.address, opts.bridge.prefixLength);
            continue;
          } catch (e2) {
            opts.log?.warn({ err: (e2 as Error).message, bridge: opts.bridge.name }, 'cluster DNS: cannot add the gateway address; waiting for the bridge');
          }
        }
        if (err.message !== lastErr) opts.log?.warn({ err: err.message, address: opts.address, port }, 'cluster DNS: bind failed, retrying');
        lastErr = err.message;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.retryIntervalMs ?? 500);
        ac.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    return undefined;
  })();

  let stopped: Promise<void> | undefined;
  return {
    kubernetes,
    server,
    forward,
    listening,
    synced: () => factory.waitForCacheSync(ac.signal),
    stop() {
      stopped ??= (async () => {
        ac.abort();
        forward.close();
        await listening;
        await server.close();
        await factory.shutdown();
      })();
      return stopped;
    },
  };
}
