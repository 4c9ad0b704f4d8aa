/**
 * The `pods/proxy` and `services/proxy` subresources: HTTP from the client, through the
 * apiserver, to a pod's address (the apiserver runs on the host and reaches pod IPs directly).
 *
 * After upstream:
 * - pkg/registry/core/pod/strategy.go ResourceLocation (`[scheme:]name[:port]`, default port = the
 *   first declared container port, `address not allowed` for loopback/link-local pod IPs),
 * - pkg/registry/core/service/storage/storage.go ResourceLocation (a port number is turned into the
 *   Service port's name; a random ready address of the Endpoints subset carrying that port name,
 *   whose targetRef pod has that IP (isValidAddress); 503 `no endpoints available for service "x"`),
 * - k8s.io/apimachinery/pkg/util/proxy upgradeaware.go (redirect `/proxy` → `/proxy/`, query and
 *   body passed through, hop-by-hop headers dropped, upgrades tunnelled) and transport.go
 *   (X-Forwarded-Uri/Host/Proto, `Location` of redirects rewritten under the proxy path, CORS
 *   headers removed, 503 `error trying to reach service: <dial error>` in Go's wording).
 * Not done: upstream's rewriting of absolute links inside text/html bodies.
 * `nodes/proxy` is not served: Skiff's kubelet connection (kubelet-client.ts) has no HTTP endpoint.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { StatusError, newBadRequest } from '../../machinery/errors.ts';
import type { KubeObject } from '../../client/interface.ts';
import { writeError } from './http-util.ts';

/** A parsed proxy request path. */
export interface ProxyPath {
  resource: 'pods' | 'services';
  namespace: string;
  /** The `[scheme:]name[:port]` segment, percent-decoded. */
  id: string;
  /** The path after `/proxy`, still percent-encoded ('' when the URL ends at `/proxy`). */
  path: string;
  /** The request path up to and including `/proxy` (as sent, for X-Forwarded-Uri and redirects). */
  prefix: string;
}

const PROXY_PATH = /^(\/api\/v1\/namespaces\/([^/]+)\/(pods|services)\/([^/]+)\/proxy)(\/.*)?$/;

/** Parses `/api/v1/namespaces/{ns}/{pods|services}/{id}/proxy[/{path}]`; undefined for anything else. */
export function parseProxyPath(pathname: string): ProxyPath | undefined {
  const m = PROXY_PATH.exec(pathname);
  if (!m) return undefined;
  try {
    return { prefix: m[1], namespace: decodeURIComponent(m[2]), resource: m[3] as 'pods' | 'services', id: decodeURIComponent(m[4]), path: m[5] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * utilnet.SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port` with scheme '', http or
 * https; `valid` false for other shapes or an empty name.
 */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string; valid: boolean } {
  const parts = id.split(':');
  let scheme = '';
  let name = '';
  let port = '';
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return { scheme: '', name: '', port: '', valid: false };
  if (name && ['', 'http', 'https'].includes(scheme)) return { scheme, name, port, valid: true };
  return { scheme: '', name: '', port: '', valid: false };
}

/** 503 ServiceUnavailable (apierrors.NewServiceUnavailable). */
export function newServiceUnavailable(message: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 });
}

/**
 * proxyutil.IsProxyableIP: throws `address not allowed` for an unparsable, loopback or link-local
 * address (`allowLoopback` lifts the loopback rule; tests only).
 */
export function checkProxyableIP(ip: string, allowLoopback = false): void {
  const fam = isIP(ip);
  const bad =
    fam === 0 ||
    (!allowLoopback && fam === 4 && ip.startsWith('127.')) ||
    (!allowLoopback && fam === 6 && ip === '::1') ||
    (fam === 4 && ip.startsWith('169.254.')) ||
    (fam === 6 && /^fe[89ab]/i.test(ip)) ||
    (fam === 6 && /^ff0[12]:/i.test(ip)) ||
    (fam === 4 && ip.startsWith('224.0.0.'));
  if (bad) throw newBadRequest('address not allowed');
}

type Getter = (resource: 'pods' | 'services' | 'endpoints', namespace: string, name: string) => Promise<KubeObject>;

function hostPort(ip: string, port: string | number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Pod ResourceLocation: `http[s]://<podIP>[:<port>]`. Throws 400 `invalid pod request "<id>"`,
 * the pod's 404, or 400 `address not allowed`.
 */
export async function podResourceLocation(get: Getter, namespace: string, id: string, opts: { allowLoopback?: boolean } = {}): Promise<URL> {
  const { scheme, name, port: p, valid } = splitSchemeNamePort(id);
  if (!valid) throw newBadRequest(`invalid pod request "${id}"`);
  const pod = (await get('pods', namespace, name)) as KubeObject & { spec?: { containers?: Array<{ ports?: Array<{ containerPort?: number }> }> }; status?: { podIP?: string } };
  let port = p;
  if (!port) {
    for (const c of pod.spec?.containers ?? []) {
      if (c.ports?.length) {
        port = String(c.ports[0].containerPort ?? '');
        break;
      }
    }
  }
  const ip = pod.status?.podIP ?? '';
  checkProxyableIP(ip, opts.allowLoopback);
  return new URL(`${scheme || 'http'}://${port ? hostPort(ip, port) : isIP(ip) === 6 ? `[${ip}]` : ip}`);
}

type EndpointsLike = KubeObject & {
  subsets?: Array<{ addresses?: Array<{ ip: string; targetRef?: { kind?: string; namespace?: string; name?: string } }>; ports?: Array<{ name?: string; port: number }> }>;
};

/**
 * Service ResourceLocation: `http[s]://<endpoint IP>:<endpoint port>` for a random ready address
 * of the Endpoints subset whose port name matches the requested Service port (a number is first
 * mapped to that Service port's name). Throws 400 `invalid service request "<id>"`, the Service's
 * or Endpoints' 404, 503 `no service port N found for service "x"`, 503 `no endpoints available
 * for service "x"`.
 */
export async function serviceResourceLocation(get: Getter, namespace: string, id: string): Promise<URL> {
  const { scheme, name, port: p, valid } = splitSchemeNamePort(id);
  if (!valid) throw newBadRequest(`invalid service request "${id}"`);
  let portName = p;
  if (/^-?[0-9]+$/.test(p)) {
    const svc = (await get('services', namespace, name)) as KubeObject & { spec?: { ports?: Array<{ name?: string; port: number }> } };
    const sp = (svc.spec?.ports ?? []).find((x) => x.port === Number(p));
    if (!sp) throw newServiceUnavailable(`no service port ${Number(p)} found for service "${name}"`);
    portName = sp.name ?? '';
  }
  const eps = (await get('endpoints', namespace, name)) as EndpointsLike;
  const subsets = eps.subsets ?? [];
  if (subsets.length === 0) throw newServiceUnavailable(`no endpoints available for service "${name}"`);
  const ssSeed = Math.floor(Math.random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(ssSeed + i) % subsets.length];
    const addrs = ss.addresses ?? [];
    if (!addrs.length) continue;
    for (const sp of ss.ports ?? []) {
      if ((sp.name ?? '') !== portName) continue;
      const addrSeed = Math.floor(Math.random() * addrs.length);
      for (let t = 0; t < addrs.length; t++) {
        const addr = addrs[(addrSeed + t) % addrs.length];
        if (!(await isValidAddress(get, namespace, addr))) continue;
        return new URL(`${scheme || 'http'}://${hostPort(addr.ip, sp.port)}`);
      }
    }
  }
  throw newServiceUnavailable(`no endpoints available for service "${id}"`);
}

/** isValidAddress: the address names a pod (targetRef) in this namespace whose IPs include it. */
async function isValidAddress(get: Getter, namespace: string, addr: { ip: string; targetRef?: { namespace?: string; name?: string } }): Promise<boolean> {
  if (!addr.targetRef?.name || addr.targetRef.namespace !== namespace) return false;
  try {
    const pod = (await get('pods', namespace, addr.targetRef.name)) as KubeObject & { status?: { podIP?: string; podIPs?: Array<{ ip?: string }> } };
    const ips = pod.status?.podIPs?.map((x) => x.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
    return ips.includes(addr.ip);
  } catch {
    return false;
  }
}

/** Hop-by-hop headers (httputil.ReverseProxy), plus credentials the apiserver consumed. */
const HOP_HEADERS = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function outgoingHeaders(req: IncomingMessage, location: URL, prefix: string, path: string, keepUpgrade: boolean): OutgoingHttpHeaders {
  const drop = new Set(HOP_HEADERS);
  for (const t of String(req.headers.connection ?? '').split(',')) if (t.trim()) drop.add(t.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    const l = k.toLowerCase();
    if (v === undefined || l === 'host' || l === 'authorization' || l.startsWith('impersonate-')) continue;
    if (drop.has(l) && !(keepUpgrade && (l === 'connection' || l === 'upgrade'))) continue;
    out[k] = v;
  }
  if (keepUpgrade) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade ?? '';
  }
  out.host = location.host;
  const prior = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? '';
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  out['x-forwarded-uri'] = prefix + (path || '/');
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  out['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return out;
}

/** Go's net.Dial error text for a failed connection (`dial tcp 10.88.0.5:8080: connect: connection refused`). */
export function dialErrorText(location: URL, err: NodeJS.ErrnoException): string {
  const addr = location.port ? location.host : `${location.host}:${location.protocol === 'https:' ? 443 : 80}`;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connect: connection refused',
    EHOSTUNREACH: 'connect: no route to host',
    ENETUNREACH: 'connect: network is unreachable',
    ETIMEDOUT: 'i/o timeout',
  };
  const r = err.code ? reasons[err.code] : undefined;
  if (r) return `dial tcp ${addr}: ${r}`;
  if (err.code === 'ECONNRESET') return `read tcp ${addr}: read: connection reset by peer`;
  return err.message;
}

function upstreamRequest(location: URL, method: string, path: string, headers: OutgoingHttpHeaders) {
  const opts = { host: location.hostname.replace(/^\[|\]$/g, ''), port: location.port || (location.protocol === 'https:' ? 443 : 80), method, path, headers };
  // Upstream's proxy transport does not verify backend certificates (InsecureSkipVerify).
  return location.protocol === 'https:' ? httpsRequest({ ...opts, rejectUnauthorized: false }) : httpRequest(opts);
}

/** Rewrites a backend redirect `Location` (absolute path or same host) under the proxy prefix (Transport.rewriteURL). */
function rewriteLocation(value: string, location: URL, prefix: string): string {
  let u: URL;
  try {
    u = new URL(value, location);
  } catch {
    return value;
  }
  if (u.host !== location.host) return value;
  return `${prefix}${u.pathname}${u.search}${u.hash}`;
}

function responseHeaders(h: IncomingHttpHeaders, location: URL, prefix: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) {
    const l = k.toLowerCase();
    if (v === undefined || HOP_HEADERS.has(l) || l.startsWith('access-control-')) continue; // corsRemovingTransport
    out[k] = l === 'location' && typeof v === 'string' ? rewriteLocation(v, location, prefix) : v;
  }
  return out;
}

/**
 * Proxies one HTTP request to `location` + `p.path` (query kept), streaming the body both ways.
 * An empty path answers 301 to `<prefix>/`. A connection failure before the response is a 503
 * Status `error trying to reach service: <dial error>`. Never rejects.
 */
export function serveProxyHTTP(req: IncomingMessage, res: ServerResponse, location: URL, p: ProxyPath, rawQuery: string): Promise<void> {
  if (!p.path) {
    res.writeHead(301, { Location: `${p.prefix}/${rawQuery ? `?${rawQuery}` : ''}` });
    res.end();
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const up = upstreamRequest(location, req.method ?? 'GET', p.path + (rawQuery ? `?${rawQuery}` : ''), outgoingHeaders(req, location, p.prefix, p.path, false));
    up.on('response', (ures) => {
      res.writeHead(ures.statusCode ?? 502, responseHeaders(ures.headers, location, p.prefix));
      res.flushHeaders();
      ures.pipe(res);
      ures.on('end', () => resolve());
      ures.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (!res.headersSent) writeError(res, newServiceUnavailable(`error trying to reach service: ${dialErrorText(location, err)}`));
      else res.destroy();
      resolve();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
}

/**
 * Tunnels an upgrade request (e.g. WebSocket) to `location` + `p.path`: the backend's 101 and
 * headers are relayed, then bytes flow both ways. A non-101 answer is relayed as a plain response;
 * a connection failure throws the 503 Status (the caller writes it on the socket).
 */
export function serveProxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, location: URL, p: ProxyPath, rawQuery: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const up = upstreamRequest(location, req.method ?? 'GET', (p.path || '/') + (rawQuery ? `?${rawQuery}` : ''), outgoingHeaders(req, location, p.prefix, p.path, true));
    const statusLine = (code: number, msg: string, headers: string[]) => {
      let s = `HTTP/1.1 ${code} ${msg}\r\n`;
      for (let i = 0; i + 1 < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
      return `${s}\r\n`;
    };
    up.on('upgrade', (ures, usock, uhead) => {
      socket.write(statusLine(ures.statusCode ?? 101, ures.statusMessage ?? 'Switching Protocols', ures.rawHeaders));
      if (uhead.length) socket.write(uhead);
      if (head.length) usock.write(head);
      usock.on('error', () => socket.destroy());
      socket.on('error', () => usock.destroy());
      usock.on('close', () => socket.destroy());
      socket.on('close', () => usock.destroy());
      usock.pipe(socket);
      socket.pipe(usock);
      resolve();
    });
    up.on('response', (ures) => {
      const raw: string[] = [];
      for (let i = 0; i + 1 < ures.rawHeaders.length; i += 2) {
        const l = ures.rawHeaders[i].toLowerCase();
        if (l === 'transfer-encoding' || l === 'connection' || l === 'content-length') continue;
        raw.push(ures.rawHeaders[i], ures.rawHeaders[i + 1]);
      }
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        const body = Buffer.concat(chunks);
        socket.end(Buffer.concat([Buffer.from(statusLine(ures.statusCode ?? 502, ures.statusMessage ?? '', [...raw, 'Content-Length', String(body.length), 'Connection', 'close'])), body]));
        resolve();
      });
    });
    up.on('error', (err: NodeJS.ErrnoException) => reject(newServiceUnavailable(`error trying to reach service: ${dialErrorText(location, err)}`)));
    up.end();
  });
}
