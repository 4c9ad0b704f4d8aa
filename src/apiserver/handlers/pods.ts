/**
 * Pod streaming subresources: `pods/log` (text/plain, optionally following) and `pods/exec`
 * over WebSocket with the `v5.channel.k8s.io` / `v4.channel.k8s.io` subprotocols (KUBECTL.md §4).
 * After pkg/registry/core/pod/rest/log.go + subresources.go (container defaulting, node lookup)
 * and k8s.io/apimachinery/pkg/util/httpstream/wsstream (channel framing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { StatusError, newBadRequest, type Status } from '../../machinery/errors.ts';
import type { KubeObject } from '../../client/interface.ts';
import { ExecInContainerError, type KubeletConnection, type KubeletConnections, type PodLogOptions } from '../kubelet-client.ts';
import { toStatus, writeError } from './http-util.ts';
import { checkPortForwardPod, servePortForwardUpgrade } from './portforward.ts';
import { serveExecSPDY } from './exec-spdy.ts';

type PodLike = KubeObject & {
  spec?: { nodeName?: string; containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> };
  status?: { phase?: string };
};

/**
 * Picks the container of a log/exec request, as upstream's pod REST does: the requested one (400
 * `container x is not valid for pod y` when absent), else the only container, else the
 * `kubectl.kubernetes.io/default-container` annotation, else 400 `a container name must be
 * specified for pod x, choose one of: [a b]`.
 */
export function defaultContainer(pod: PodLike, requested: string | null | undefined): string {
  const name = pod.metadata?.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const ephemeral = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  if (requested) {
    if (![...containers, ...inits, ...ephemeral].includes(requested)) {
      throw newBadRequest(`container ${requested} is not valid for pod ${name}`);
    }
    return requested;
  }
  if (containers.length === 1) return containers[0];
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && containers.includes(annotated)) return annotated;
  let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
  if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
  throw newBadRequest(msg);
}

/** The kubelet connection for a pod's node; 400 when unscheduled, 503-free 400 when the node has no kubelet. */
export function kubeletFor(kubelets: KubeletConnections, pod: PodLike): KubeletConnection {
  const node = pod.spec?.nodeName;
  if (!node) throw newBadRequest(`pod ${pod.metadata?.name ?? ''} does not have a host assigned`);
  const k = kubelets.get(node);
  if (!k) throw newBadRequest(`no kubelet connection for node "${node}" (pod ${pod.metadata?.name ?? ''})`);
  return k;
}

function intQ(q: URLSearchParams, n: string): number | undefined {
  const v = q.get(n);
  if (v === null || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw newBadRequest(`invalid value for ${n}: "${v}"`);
  return Number(v);
}

function boolQ(q: URLSearchParams, n: string): boolean {
  const v = q.get(n);
  return v === 'true' || v === '1';
}

/** Parses PodLogOptions (container filled in by the caller). Negative numbers → 422-like 400. */
export function podLogOptions(q: URLSearchParams, container: string): PodLogOptions {
  const o: PodLogOptions = { container, follow: boolQ(q, 'follow'), previous: boolQ(q, 'previous'), timestamps: boolQ(q, 'timestamps') };
  const tail = intQ(q, 'tailLines');
  if (tail !== undefined) {
    if (tail < 0) throw newBadRequest('tailLines: Invalid value: must be greater than or equal to 0');
    o.tailLines = tail;
  }
  const since = intQ(q, 'sinceSeconds');
  if (since !== undefined) {
    if (since < 1) throw newBadRequest('sinceSeconds: Invalid value: must be greater than 0');
    o.sinceSeconds = since;
  }
  const st = q.get('sinceTime');
  if (st) {
    if (Number.isNaN(Date.parse(st))) throw newBadRequest(`sinceTime: Invalid value: "${st}"`);
    o.sinceTime = st;
  }
  const lb = intQ(q, 'limitBytes');
  if (lb !== undefined) {
    if (lb < 1) throw newBadRequest('limitBytes: Invalid value: must be greater than 0');
    o.limitBytes = lb;
  }
  return o;
}

/**
 * Serves GET pods/<name>/log. Headers are sent with the first byte (or after 1 s when following),
 * so an error before any output is still a JSON Status. The client leaving aborts the kubelet stream.
 */
export async function serveLogs(res: ServerResponse, pod: PodLike, q: URLSearchParams, kubelets: KubeletConnections): Promise<void> {
  const container = defaultContainer(pod, q.get('container'));
  const opts = podLogOptions(q, container);
  const kubelet = kubeletFor(kubelets, pod);
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const sendHeaders = () => {
    if (!res.headersSent) {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders();
    }
  };
  const flushTimer = opts.follow ? setTimeout(sendHeaders, 1000) : undefined;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      sendHeaders();
      if (res.writableEnded || res.destroyed) return cb();
      if (res.write(chunk)) cb();
      else res.once('drain', () => cb());
    },
  });
  try {
    await kubelet.getContainerLogs(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', pod.metadata?.uid ?? '', opts, out, ac.signal);
    if (flushTimer) clearTimeout(flushTimer);
    sendHeaders();
    res.end();
  } catch (err) {
    if (flushTimer) clearTimeout(flushTimer);
    if (!res.headersSent) writeError(res, err);
    else res.end();
  }
}

const SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** Writes an HTTP error response on a raw socket (before a WebSocket upgrade). */
export function rejectUpgrade(socket: Duplex, err: unknown): void {
  const st = toStatus(err);
  const body = JSON.stringify(st);
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' }[st.code] ?? 'Error';
  try {
    socket.write(`HTTP/1.1 ${st.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  } finally {
    socket.destroy();
  }
}

/** The WebSocket server for exec (noServer; fed from the http server's 'upgrade' event). */
export function newExecWebSocketServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      for (const p of SUBPROTOCOLS) if (protocols.has(p)) return p;
      return false;
    },
  });
}

/** True when the upgrade request offers one of our channel subprotocols. */
export function offersChannelProtocol(req: IncomingMessage): boolean {
  const h = String(req.headers['sec-websocket-protocol'] ?? '');
  return h.split(',').map((s) => s.trim()).some((p) => SUBPROTOCOLS.includes(p));
}

/**
 * The channel-3 Status for an exit code, as the kubelet's remotecommand server writes it:
 * Success, or NonZeroExitCode with an ExitCode cause (kubectl exits with that code).
 */
export function exitStatus(code: number, command: string[] = []): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/**
 * The channel-3 Status for a kubelet exec failure (e.g. `container not found ("web")` for a
 * container that is not running). Upstream the apiserver's WebSocket→SPDY translator reports the
 * kubelet refusing the SPDY upgrade as an InternalError, so kubectl prints
 * `error: Internal error occurred: unable to upgrade connection: container not found ("web")`.
 * An ExecInContainerError (the runtime could not start the command) is sent as its own Status:
 * `Internal error occurred: error executing command in container: failed to exec in container: …`.
 */
export function kubeletExecErrorStatus(err: unknown): Record<string, unknown> {
  // The command could not start (e.g. no such executable): the kubelet's own InternalError Status.
  if (err instanceof ExecInContainerError) return { ...err.status, metadata: {} };
  const msg = err instanceof Error ? err.message : String(err);
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: unable to upgrade connection: ${msg}`, reason: 'InternalError', details: { causes: [{ message: `unable to upgrade connection: ${msg}` }] }, code: 500 };
}

/**
 * Bridges one exec WebSocket to KubeletConnection.exec: channel 0 stdin (255+0 closes it in v5),
 * 1 stdout, 2 stderr, 3 status (JSON Status; NonZeroExitCode with an ExitCode cause), 4 resize.
 */
export function bridgeExec(ws: WebSocket, kubelet: KubeletConnection, pod: PodLike, q: URLSearchParams): void {
  const container = defaultContainer(pod, q.get('container'));
  const command = q.getAll('command');
  const opts = { container, command, stdin: boolQ(q, 'stdin'), stdout: boolQ(q, 'stdout'), stderr: boolQ(q, 'stderr'), tty: boolQ(q, 'tty') };
  const ac = new AbortController();
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const resizeQueue: Array<{ width: number; height: number }> = [];
  let resizeWake: (() => void) | undefined;
  let closed = false;
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const writer = (channel: number) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        send(channel, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        cb();
      },
    });
  const resize: AsyncIterable<{ width: number; height: number }> = {
    async *[Symbol.asyncIterator]() {
      while (!closed) {
        if (resizeQueue.length) {
          yield resizeQueue.shift()!;
          continue;
        }
        await new Promise<void>((r) => (resizeWake = r));
      }
    },
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer);
    if (!isBinary && buf.length === 0) return;
    if (buf.length === 0) return;
    const ch = buf[0];
    const payload = buf.subarray(1);
    if (ch === 0 && stdin) stdin.write(payload);
    else if (ch === 255 && payload[0] === 0 && stdin) stdin.end();
    else if (ch === 4) {
      try {
        const j = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        resizeQueue.push({ width: Number(j.Width ?? 0), height: Number(j.Height ?? 0) });
        resizeWake?.();
      } catch {
        /* ignore malformed resize */
      }
    }
  });
  ws.on('close', () => {
    closed = true;
    resizeWake?.();
    stdin?.end();
    ac.abort();
  });
  kubelet
    .exec(
      pod.metadata?.namespace ?? '',
      pod.metadata?.name ?? '',
      pod.metadata?.uid ?? '',
      opts,
      { stdin, stdout: opts.stdout ? writer(1) : undefined, stderr: opts.stderr ? writer(2) : undefined, resize: opts.tty ? resize : undefined },
      ac.signal,
    )
    .then(
      (code) => {
        send(3, Buffer.from(JSON.stringify(exitStatus(code, command))));
        ws.close(1000);
      },
      (err) => {
        send(3, Buffer.from(JSON.stringify(kubeletExecErrorStatus(err))));
        ws.close(1000);
      },
    )
    .finally(() => {
      closed = true;
      resizeWake?.();
    });
}

/**
 * Serves a `pods/<name>/portforward` upgrade (WebSocket SPDY tunnel or raw SPDY/3.1) for `pod`:
 * 400 when the pod is not Running or has no kubelet; see portforward.ts for the protocol.
 * Throws a StatusError before anything is written on the socket.
 */
export function servePodPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, pod: PodLike, kubelets: KubeletConnections): void {
  checkPortForwardPod(pod);
  const kubelet = kubeletFor(kubelets, pod);
  servePortForwardUpgrade(req, socket, head, { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', kubelet });
}

/**
 * Serves a `pods/<name>/exec` (or `attach`) upgrade for `pod`, checking in upstream's order
 * (pod REST ExecLocation, then the kubelet's protocol handshake): completed pod → 400 `cannot exec
 * into a container in a completed pod; current phase is P`; container defaulting/validation (400);
 * no command → 400; no kubelet → 400; then the WebSocket channel protocol (v5/v4), or for a raw
 * `Upgrade: SPDY/3.1` (kubectl's fallback) the v4 stream protocol over SPDY (exec-spdy.ts).
 * `attach` is 400: the runtime has no attach socket. Throws a StatusError before writing anything.
 */
export function servePodExecUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pod: PodLike, kubelets: KubeletConnections, wss: WebSocketServer, subresource: 'exec' | 'attach'): void {
  const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw newBadRequest(`cannot ${subresource === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`);
  }
  defaultContainer(pod, q.get('container'));
  if (subresource === 'attach') throw newBadRequest('attach is not supported by this node: the container runtime has no attach support; use kubectl logs -f or kubectl exec');
  if (q.getAll('command').length === 0) throw newBadRequest('you must specify at least 1 command');
  const kubelet = kubeletFor(kubelets, pod);
  const upgrade = String(req.headers['upgrade'] ?? '').toLowerCase();
  if (upgrade === 'spdy/3.1') {
    const container = defaultContainer(pod, q.get('container'));
    const opts = { container, command: q.getAll('command'), stdin: boolQ(q, 'stdin'), stdout: boolQ(q, 'stdout'), stderr: boolQ(q, 'stderr'), tty: boolQ(q, 'tty') };
    serveExecSPDY(req, socket, head, { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', kubelet }, opts);
    return;
  }
  if (upgrade !== 'websocket') throw newBadRequest(`unable to upgrade: exec over ${req.headers['upgrade'] ?? 'plain HTTP'} is not supported by this server; use a WebSocket with ${SUBPROTOCOLS.join(' or ')}`);
  if (!offersChannelProtocol(req)) throw newBadRequest(`unable to upgrade: no supported subprotocol (want ${SUBPROTOCOLS.join(' or ')})`);
  wss.handleUpgrade(req, socket, head, (ws) => {
    try {
      bridgeExec(ws, kubelet, pod, q);
    } catch (err) {
      const st = toStatus(err) as Status;
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message: st.message, reason: st.reason, code: st.code }))]));
      ws.close(1000);
    }
  });
}
