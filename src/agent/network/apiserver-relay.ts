/**
 * The apiserver relay: a TCP relay on the node's pod-bridge gateway that forwards to the apiserver's
 * own (loopback) listener, so pods reach the API through the `default/kubernetes` Service.
 *
 * Upstream, the apiserver listens on the node's address and the `kubernetes` Endpoints name that
 * address (pkg/controlplane/reconcilers). Skiff's apiserver listens on 127.0.0.1 by default, which
 * pods cannot reach and which Endpoints may not name (loopback addresses are invalid endpoints),
 * so the agent relays `<gateway>:<port>` → `127.0.0.1:<port>` byte for byte, as k3s' agent
 * load balancer relays to its servers. TLS stays end to end (the serving certificate names the
 * Service's ClusterIP and `kubernetes.default.svc…`), so the relay sees only ciphertext.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Options of {@link startAPIServerRelay}. */
export interface APIServerRelayOptions {
  /** Address to listen on: the node's pod-bridge gateway (e.g. 10.88.0.1). */
  listenAddress: string;
  /** Port to listen on (the apiserver's port, so the endpoint port equals the Service targetPort). */
  listenPort: number;
  /** The apiserver's listener, e.g. `{host: '127.0.0.1', port: 6443}`. */
  target: { host: string; port: number };
  /** Resolves when the listen address exists on the host (e.g. cluster DNS has put it on the bridge). */
  addressReady?: Promise<unknown>;
  /** Delay between bind attempts while the address is not there yet, ms (default 500). */
  retryIntervalMs?: number;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/** A running relay. */
export interface APIServerRelay {
  /** Resolves with the bound port once listening, or undefined when stopped first. */
  listening: Promise<number | undefined>;
  /** Stops listening and closes every relayed connection; idempotent. */
  stop(): Promise<void>;
}

/** Joins two sockets both ways; either side closing or failing closes the other. */
function splice(a: Socket, b: Socket, conns: Set<Socket>): void {
  for (const s of [a, b]) {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  }
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

/**
 * Starts the relay. Binding is retried (EADDRNOTAVAIL until the bridge has the gateway address)
 * until it succeeds or {@link APIServerRelay.stop} is called; it never throws.
 */
export function startAPIServerRelay(opts: APIServerRelayOptions): APIServerRelay {
  const conns = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: opts.target.host, port: opts.target.port });
    splice(client, upstream, conns);
  });
  let stopped = false;
  let wake: (() => void) | undefined;
  const listening = (async (): Promise<number | undefined> => {
    await opts.addressReady?.catch(() => undefined);
    let lastErr = '';
    while (!stopped) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(opts.listenPort, opts.listenAddress, () => {
            server.off('error', reject);
            resolve();
          });
        });
        const port = (server.address() as { port: number }).port;
        opts.log?.info({ address: opts.listenAddress, port, target: `${opts.target.host}:${opts.target.port}` }, 'apiserver relay listening for pods');
        return port;
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== lastErr) opts.log?.warn({ err: msg, address: opts.listenAddress }, 'apiserver relay: bind failed, retrying');
        lastErr = msg;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.retryIntervalMs ?? 500);
        wake = () => (clearTimeout(t), resolve());
      });
    }
    return undefined;
  })();
  let done: Promise<void> | undefined;
  return {
    listening,
    stop() {
      done ??= (async () => {
        stopped = true;
        wake?.();
        await listening;
        for (const s of conns) s.destroy();
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return done;
    },
  };
}
