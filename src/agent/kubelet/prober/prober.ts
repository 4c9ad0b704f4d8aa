/**
 * One probe attempt, after pkg/kubelet/prober/prober.go and pkg/probe/{exec,http,tcp}:
 * - exec: `execSync` in the container; exit 0 = success; output is stdout+stderr.
 * - httpGet: GET `<scheme>://<host or podIP>:<port><path>` with `httpHeaders`, `timeoutSeconds`;
 *   200–399 = success, else `HTTP probe failed with statuscode: <code>`; connection errors read
 *   like Go's (`Get "http://10.88.0.2:80/": dial tcp 10.88.0.2:80: connect: connection refused`).
 * - tcpSocket: a TCP connect within `timeoutSeconds` (`dial tcp <ip>:<port>: connect: connection refused`).
 * Named ports resolve through the container's `ports[].name`.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../../runtime/types.ts';

/** Outcome of one probe. */
export interface ProbeResult {
  success: boolean;
  /** Failure detail for the Unhealthy event (may be ''). */
  output: string;
}

/** Resolves an IntOrString port against the container's named ports. Throws on unknown names. */
export function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${c.name}`);
  return p.containerPort;
}

/** Runs `probe` once against container `containerId` at `podIP`. Never throws. */
export async function runProbe(probe: Probe, c: Container, containerId: string, podIP: string, runtime: RuntimeService): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) {
      const cmd = probe.exec.command ?? [];
      try {
        const r = await runtime.execSync(containerId, cmd, probe.timeoutSeconds ?? 1);
        const output = Buffer.concat([r.stdout, r.stderr]).toString();
        return { success: r.exitCode === 0, output: r.exitCode === 0 ? output : output };
      } catch (e) {
        const msg = (e as Error).message;
        if (/time(d)? ?out/i.test(msg)) return { success: false, output: `command "${cmd.join(' ')}" timed out` };
        return { success: false, output: msg };
      }
    }
    if (probe.httpGet) {
      const g = probe.httpGet;
      const scheme = (g.scheme ?? 'HTTP').toLowerCase();
      const host = g.host || podIP;
      const port = resolvePort(g.port, c);
      let p = g.path ?? '/';
      if (!p.startsWith('/')) p = '/' + p;
      const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${p}`;
      return await httpProbe(url, g.httpHeaders ?? [], timeoutMs);
    }
    if (probe.tcpSocket) {
      const host = probe.tcpSocket.host || podIP;
      const port = resolvePort(probe.tcpSocket.port, c);
      return await tcpProbe(host, port, timeoutMs);
    }
    if (probe.grpc) return { success: false, output: 'grpc probes are not supported by this node' };
    return { success: false, output: 'missing probe handler' };
  } catch (e) {
    return { success: false, output: (e as Error).message };
  }
}

function dialError(host: string, port: number, e: NodeJS.ErrnoException): string {
  const addr = `${host}:${port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    default:
      return `dial tcp ${addr}: ${e.message}`;
  }
}

function httpProbe(url: string, headers: { name: string; value: string }[], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const hdrs: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
    for (const h of headers) hdrs[h.name] = h.value;
    const mod = u.protocol === 'https:' ? https : http;
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = mod.request(url, { method: 'GET', headers: hdrs, rejectUnauthorized: false } as https.RequestOptions, (res) => {
      const code = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < 10240) chunks.push(d);
        size += d.length;
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString().slice(0, 10240);
        if (code >= 200 && code < 400) finish({ success: true, output: body });
        else finish({ success: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', () => finish({ success: code >= 200 && code < 400, output: '' }));
    });
    const timer = setTimeout(
      () => finish({ success: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      timeoutMs,
    );
    req.on('error', (e: NodeJS.ErrnoException) => finish({ success: false, output: `Get "${url}": ${dialError(u.hostname, Number(u.port), e)}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ success: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ success: true, output: '' });
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ success: false, output: dialError(host, port, e) });
    });
  });
}
