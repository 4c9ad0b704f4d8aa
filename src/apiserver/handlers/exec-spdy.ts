/**
 * `pods/exec` over a raw SPDY/3.1 upgrade with the `v4.channel.k8s.io` stream protocol: kubectl's
 * fallback when the WebSocket upgrade fails (or `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`), and
 * what older clients speak. After the kubelet's remotecommand server
 * (pkg/kubelet/cri/streaming/remotecommand/httpstream.go, v4 protocol): the client opens one SPDY
 * stream per channel, each with a `streamType` header (`error`, `stdin`, `stdout`, `stderr`,
 * `resize`); stdin ends with the client's FIN; stdout/stderr end with ours; `resize` carries
 * JSON `{"Width":…,"Height":…}` objects; the error stream gets the final JSON Status
 * (Success, or NonZeroExitCode with an ExitCode cause), then the connection goes away.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { StatusError } from '../../machinery/errors.ts';
import { ExecInContainerError, type KubeletConnection, type PodExecOptions } from '../kubelet-client.ts';
import { SpdySession, type SpdyStream } from './portforward-spdy.ts';

/** Stream protocols served over SPDY, most preferred first. */
export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io'];
/** How long to wait for the client's streams after the upgrade (kubelet streamCreationTimeout, 30 s). */
export const EXEC_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** The pod an exec runs in and the node's kubelet. */
export interface ExecTarget {
  namespace: string;
  name: string;
  uid: string;
  kubelet: KubeletConnection;
}

/**
 * Picks the protocol from the request's `X-Stream-Protocol-Version` values (client order, as
 * apimachinery httpstream.Handshake). Throws 403 `unable to upgrade: unable to negotiate
 * protocol: …` when none is supported or none is offered.
 */
export function negotiateExecProtocol(req: IncomingMessage): string {
  const raw = req.headers['x-stream-protocol-version'];
  const offered = (Array.isArray(raw) ? raw.join(',') : String(raw ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chosen = offered.find((p) => SPDY_EXEC_PROTOCOLS.includes(p));
  if (!chosen) {
    throw new StatusError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${SPDY_EXEC_PROTOCOLS.join(' ')}]`,
    });
  }
  return chosen;
}

/**
 * The v4 error-stream Status for an exec result: Success, NonZeroExitCode for an exit code, the
 * InternalError of an ExecInContainerError, or `unable to upgrade connection: …` for other errors.
 */
export function execResultStatus(result: { code: number } | { error: unknown }, command: string[]): Record<string, unknown> {
  if ('code' in result) {
    if (result.code === 0) return { metadata: {}, status: 'Success' };
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${result.code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(result.code) }] },
    };
  }
  // The command could not start (e.g. no such executable): the kubelet's own InternalError Status
  // on the error stream; kubectl prints `error: Internal error occurred: error executing command …`.
  if (result.error instanceof ExecInContainerError) return { ...result.error.status, metadata: {} };
  // Upstream the kubelet refuses the upgrade itself (e.g. `container not found ("web")`) and
  // kubectl prints `error: unable to upgrade connection: <kubelet message>`.
  const e = result.error;
  const msg = `unable to upgrade connection: ${e instanceof Error ? e.message : String(e)}`;
  if (e instanceof StatusError) return { metadata: {}, status: 'Failure', message: msg, reason: e.reason, code: e.code };
  return { metadata: {}, status: 'Failure', message: msg, reason: 'InternalError', code: 500 };
}

/**
 * Answers the SPDY upgrade (101 with the negotiated protocol) and runs the exec once the expected
 * streams have arrived (error + stdin/stdout as asked + stderr unless tty + resize with tty).
 * Throws a StatusError (403) before writing anything when no protocol can be negotiated.
 */
export function serveExecSPDY(req: IncomingMessage, socket: Duplex, head: Buffer, target: ExecTarget, opts: PodExecOptions, timeoutMs = EXEC_STREAM_CREATION_TIMEOUT_MS): void {
  const protocol = negotiateExecProtocol(req);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  if (head.length) socket.unshift(head);
  const session = new SpdySession(socket, true);
  const want = new Set<string>(['error']);
  if (opts.stdin) want.add('stdin');
  if (opts.stdout) want.add('stdout');
  if (opts.stderr && !opts.tty) want.add('stderr');
  if (opts.tty) want.add('resize');
  const streams = new Map<string, SpdyStream>();
  let started = false;
  const timer = setTimeout(() => {
    if (!started) session.close();
  }, timeoutMs);
  timer.unref();
  session.on('close', () => clearTimeout(timer));
  session.on('stream', (s: SpdyStream) => {
    const type = s.headers['streamtype'] ?? '';
    if (!want.has(type) || streams.has(type)) {
      s.reset();
      return;
    }
    void s.accept().catch(() => undefined);
    streams.set(type, s);
    s.on('error', () => undefined);
    if (!started && streams.size === want.size) {
      started = true;
      clearTimeout(timer);
      void run();
    }
  });

  async function run(): Promise<void> {
    const ac = new AbortController();
    session.on('close', () => ac.abort());
    const errorStream = streams.get('error')!;
    errorStream.on('data', () => undefined);
    const stdin = streams.get('stdin');
    const stdout = streams.get('stdout');
    const stderr = streams.get('stderr');
    const resizeStream = streams.get('resize');
    let stdinPipe: PassThrough | undefined;
    if (stdin) {
      stdinPipe = new PassThrough();
      stdin.pipe(stdinPipe);
    }
    const sizes: Array<{ width: number; height: number }> = [];
    let wake: (() => void) | undefined;
    let done = false;
    if (resizeStream) {
      let buf = '';
      resizeStream.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        // json.Encoder writes one object per line.
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            const j = JSON.parse(line) as { Width?: number; Height?: number };
            sizes.push({ width: Number(j.Width ?? 0), height: Number(j.Height ?? 0) });
            wake?.();
          } catch {
            /* malformed size: ignored */
          }
        }
      });
    }
    const resize: AsyncIterable<{ width: number; height: number }> = {
      async *[Symbol.asyncIterator]() {
        while (!done) {
          if (sizes.length) {
            yield sizes.shift()!;
            continue;
          }
          await new Promise<void>((r) => (wake = r));
        }
      },
    };
    let result: { code: number } | { error: unknown };
    try {
      const code = await target.kubelet.exec(target.namespace, target.name, target.uid, opts, { stdin: stdinPipe, stdout, stderr, resize: resizeStream ? resize : undefined }, ac.signal);
      result = { code };
    } catch (error) {
      result = { error };
    }
    done = true;
    wake?.();
    // FIN every output stream (after its pending DATA) before going away.
    const finish = (s: SpdyStream | undefined, last?: string) =>
      new Promise<void>((resolve) => {
        if (!s || s.destroyed || s.writableFinished) return resolve();
        s.once('finish', resolve);
        s.once('close', resolve);
        if (!s.writableEnded) s.end(last);
      });
    await Promise.all([finish(stdout), finish(stderr), finish(errorStream, JSON.stringify(execResultStatus(result, opts.command)))]);
    await session.goAway();
    session.close();
  }
}
