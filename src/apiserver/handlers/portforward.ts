/**
 * `pods/portforward`: the apiserver side of `kubectl port-forward`, serving the kubelet's
 * port-forward protocol (`portforward.k8s.io`) itself over a {@link SpdySession}:
 * - WebSocket tunnelling (kubectl ≥ 1.31): the client offers subprotocol `SPDY/3.1+portforward.k8s.io`
 *   and SPDY frames travel inside binary messages (apiserver pkg/util/proxy/streamtunnel.go);
 * - raw SPDY upgrade (the fallback): `POST` with `Upgrade: SPDY/3.1` and
 *   `X-Stream-Protocol-Version: portforward.k8s.io` (apimachinery httpstream Handshake).
 * Per forwarded connection the client opens an `error` and a `data` stream with headers
 * `streamType`, `port`, `requestID`; once both are there, the data stream is relayed to the pod's
 * port through {@link KubeletConnection.portForward}, and a failure is written on the error stream
 * (kubelet pkg/kubelet/cri/streaming/portforward/httpstream.go).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { newBadRequest, StatusError } from '../../machinery/errors.ts';
import type { KubeObject } from '../../client/interface.ts';
import type { KubeletConnection } from '../kubelet-client.ts';
import { SpdySession, webSocketDuplex, type SpdyStream } from './portforward-spdy.ts';

/** The port-forward stream protocol name (k8s.io/apimachinery/pkg/util/portforward). */
export const PORT_FORWARD_PROTOCOL_V1 = 'portforward.k8s.io';
/** The WebSocket subprotocol prefix for SPDY tunnelling. */
export const WEBSOCKET_SPDY_TUNNELING_PREFIX = 'SPDY/3.1+';
/** Milliseconds to wait for the second stream of a pair (the kubelet's streamCreationTimeout default, 30 s). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

type PodLike = KubeObject & { status?: { phase?: string } };

/** What the handler needs of a pod: its identity and a way to reach its port. */
export interface PortForwardTarget {
  namespace: string;
  name: string;
  uid: string;
  kubelet: KubeletConnection;
}

interface StreamPair {
  requestID: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer?: NodeJS.Timeout;
}

/**
 * Validates a new stream's headers as the kubelet's httpStreamReceived does; returns an error
 * message, or undefined when the stream is acceptable.
 */
export function validatePortForwardStream(headers: Record<string, string>): string | undefined {
  const port = headers['port'];
  if (!port) return '"port" header is required';
  if (!/^[0-9]+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const st = headers['streamtype'];
  if (!st) return '"streamType" header is required';
  if (st !== 'error' && st !== 'data') return `invalid stream type "${st}"`;
  return undefined;
}

/**
 * Serves port-forward streams on a SPDY session until it closes: pairs `error`/`data` streams by
 * `requestID` (or, for clients without it, by stream id as upstream does), relays each complete
 * pair to the pod port, and writes `error forwarding port P to pod N, uid U: …` on the error
 * stream when the pod port cannot be reached. Upstream: kubelet httpStreamHandler.run/portForward.
 */
export function servePortForwardSession(session: SpdySession, target: PortForwardTarget, opts: { streamCreationTimeoutMs?: number } = {}): void {
  const pairs = new Map<string, StreamPair>();
  const live = new Set<Duplex>();
  const timeoutMs = opts.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS;

  session.on('stream', (stream: SpdyStream) => {
    const bad = validatePortForwardStream(stream.headers);
    if (bad) {
      stream.reset();
      return;
    }
    void stream.accept().catch(() => undefined);
    const type = stream.headers['streamtype'];
    let requestID = stream.headers['requestid'] ?? '';
    if (!requestID) requestID = String(type === 'error' ? stream.id : stream.id - 2);
    let p = pairs.get(requestID);
    if (!p) {
      p = { requestID };
      pairs.set(requestID, p);
      const pair = p;
      p.timer = setTimeout(() => {
        pairs.delete(requestID);
        if (pair.error && !pair.error.destroyed) pair.error.end(`timed out waiting for streams for request ${requestID}`);
      }, timeoutMs);
      p.timer.unref();
    }
    const kind = type === 'error' ? 'error' : 'data';
    if (p[kind]) {
      const msg = `error processing stream for request ${requestID}: ${kind} stream already assigned`;
      if (p.error && !p.error.writableEnded) p.error.write(msg);
      stream.reset();
      return;
    }
    p[kind] = stream;
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(requestID);
      void forward(p.data, p.error);
    }
  });

  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
    for (const c of live) c.destroy();
    live.clear();
  });

  async function forward(data: SpdyStream, error: SpdyStream): Promise<void> {
    const port = Number(data.headers['port']);
    // The client never writes on the error stream; drain it so its FIN is seen.
    error.on('data', () => undefined);
    error.on('error', () => undefined);
    data.on('error', () => undefined);
    const fail = (err: unknown) => {
      const inner = err instanceof StatusError || err instanceof Error ? err.message : String(err);
      const msg = `error forwarding port ${port} to pod ${target.name}, uid ${target.uid}: ${inner}`;
      if (!error.destroyed && !error.writableEnded) error.end(msg);
      if (!data.destroyed && !data.writableEnded) data.end();
    };
    let conn: Duplex;
    try {
      conn = await target.kubelet.portForward(target.namespace, target.name, target.uid, port);
    } catch (err) {
      fail(err);
      return;
    }
    if (session.closed || data.destroyed) {
      conn.destroy();
      return;
    }
    live.add(conn);
    let failed = false;
    conn.on('error', (err) => {
      failed = true;
      fail(err);
      conn.destroy();
    });
    // client → pod; the client's FIN half-closes the pod connection.
    data.on('data', (chunk: Buffer) => {
      if (!conn.write(chunk)) {
        data.pause();
        conn.once('drain', () => data.resume());
      }
    });
    data.on('end', () => conn.end());
    // pod → client; the pod closing its side sends FIN on the data stream.
    conn.on('data', (chunk: Buffer) => {
      if (data.writableEnded || data.destroyed) return;
      if (!data.write(chunk)) {
        conn.pause();
        data.once('drain', () => conn.resume());
      }
    });
    conn.on('end', () => {
      if (!data.destroyed && !data.writableEnded) data.end();
    });
    const done = () => {
      live.delete(conn);
      if (!failed && !error.destroyed && !error.writableEnded) error.end();
    };
    conn.on('close', () => {
      done();
      if (!data.destroyed && !data.writableEnded) data.end();
    });
    // A reset data stream (client gave up) tears down the pod connection.
    data.on('close', () => {
      if (data.wasReset) conn.destroy();
    });
  }
}

/** True when the WebSocket upgrade offers `SPDY/3.1+portforward.k8s.io`. */
export function offersPortForwardTunnel(req: IncomingMessage): boolean {
  return tunnelProtocols(req).length > 0;
}

function tunnelProtocols(req: IncomingMessage): string[] {
  const h = String(req.headers['sec-websocket-protocol'] ?? '');
  return h
    .split(',')
    .map((s) => s.trim())
    .filter((p) => p.startsWith(WEBSOCKET_SPDY_TUNNELING_PREFIX) && p.endsWith('.k8s.io'))
    .map((p) => p.slice(WEBSOCKET_SPDY_TUNNELING_PREFIX.length));
}

// `ws` rejects `SPDY/3.1+portforward.k8s.io` as a subprotocol ('/' is not a token character), so
// the offer is taken off the request before the handshake and the choice added to the 101 here.
const TUNNEL_PROTOCOL = WEBSOCKET_SPDY_TUNNELING_PREFIX + PORT_FORWARD_PROTOCOL_V1;
const chosenProtocol = new WeakMap<IncomingMessage, string>();
const tunnelWss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
tunnelWss.on('headers', (headers: string[], req: IncomingMessage) => {
  const p = chosenProtocol.get(req);
  if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`);
});

/**
 * Checks that a port-forward can start: the pod is scheduled and Running (400 otherwise, worded
 * as kubectl's own check: `unable to forward port because pod is not running. Current status=P`).
 */
export function checkPortForwardPod(pod: PodLike): void {
  const phase = pod.status?.phase ?? '';
  if (phase !== 'Running') throw newBadRequest(`unable to forward port because pod is not running. Current status=${phase}`);
}

/**
 * Serves one `pods/<name>/portforward` upgrade request on its raw socket (the http server's
 * 'upgrade' event): a WebSocket SPDY tunnel, or a raw `Upgrade: SPDY/3.1` connection. Throws a
 * StatusError (400) before anything is written when the request offers no protocol we speak; the
 * caller turns it into an HTTP error response.
 */
export function servePortForwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget): void {
  const upgrade = String(req.headers['upgrade'] ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const protos = tunnelProtocols(req);
    if (!protos.includes(PORT_FORWARD_PROTOCOL_V1)) throw newBadRequest('unable to upgrade: no tunneling spdy protocols provided');
    chosenProtocol.set(req, TUNNEL_PROTOCOL);
    delete req.headers['sec-websocket-protocol'];
    tunnelWss.handleUpgrade(req, socket, head, (ws) => {
      const session = new SpdySession(webSocketDuplex(ws), true);
      servePortForwardSession(session, target);
    });
    return;
  }
  if (upgrade === 'spdy/3.1') {
    const offered = String(req.headers['x-stream-protocol-version'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (offered.length && !offered.includes(PORT_FORWARD_PROTOCOL_V1)) {
      throw new StatusError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        code: 403,
        reason: 'Forbidden',
        message: `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server accepts ${JSON.stringify([PORT_FORWARD_PROTOCOL_V1])}`,
      });
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        (offered.length ? `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL_V1}\r\n` : '') +
        '\r\n',
    );
    if (head.length) socket.unshift(head);
    const session = new SpdySession(socket, true);
    servePortForwardSession(session, target);
    return;
  }
  throw newBadRequest('Upgrade request required');
}
