/**
 * exec over raw SPDY (v4.channel.k8s.io streams, kubelet remotecommand semantics) with a fake
 * kubelet: protocol negotiation, stdin FIN → EOF, stdout/stderr, the error stream's Status,
 * resize JSON on the resize stream.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { ExecInContainerError, type ExecStreams, type KubeletConnection, type PodExecOptions } from '../kubelet-client.ts';
import { newBadRequest } from '../../machinery/errors.ts';
import { kubeletExecErrorStatus } from './pods.ts';
import { SpdySession } from './portforward-spdy.ts';
import { execResultStatus, negotiateExecProtocol, serveExecSPDY } from './exec-spdy.ts';
import { duplexPair, readAll } from '../testing/streams.ts';

const req = (protocols: string) => ({ headers: { 'x-stream-protocol-version': protocols } }) as unknown as IncomingMessage;

/** Runs serveExecSPDY on one end of a pipe; returns the 101 head and a client session on the other end. */
async function upgrade(kubelet: KubeletConnection, opts: PodExecOptions): Promise<{ head: string; client: SpdySession }> {
  const [a, b] = duplexPair();
  serveExecSPDY(req('v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io'), b, Buffer.alloc(0), { namespace: 'ns', name: 'p', uid: 'u', kubelet }, opts);
  const head = await new Promise<string>((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      a.off('data', onData);
      a.pause();
      if (buf.length > i + 4) a.unshift(buf.subarray(i + 4));
      resolve(buf.subarray(0, i).toString());
    };
    a.on('data', onData);
  });
  return { head, client: new SpdySession(a, false) };
}

describe('exec over SPDY', () => {
  test('protocol negotiation follows the client order among supported protocols', () => {
    assert.equal(negotiateExecProtocol(req('v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io')), 'v4.channel.k8s.io');
    assert.throws(() => negotiateExecProtocol(req('channel.k8s.io')), (e: { code: number; message: string }) => e.code === 403 && /unable to negotiate protocol: client supports \[channel.k8s.io\], server accepts \[v4.channel.k8s.io\]/.test(e.message));
  });

  test('stdin, stdout, stderr and a non-zero exit code', async () => {
    const kubelet: KubeletConnection = {
      getContainerLogs: async () => undefined,
      portForward: async () => {
        throw new Error('unused');
      },
      exec: async (_ns, _p, _u, o: PodExecOptions, s: ExecStreams) => {
        assert.deepEqual(o.command, ['sh', '-c', 'x']);
        const input = await readAll(s.stdin!);
        s.stdout!.write(input.toUpperCase());
        s.stderr!.write('warn');
        return 3;
      },
    };
    const { head, client } = await upgrade(kubelet, { container: 'c', command: ['sh', '-c', 'x'], stdin: true, stdout: true, stderr: true, tty: false });
    assert.match(head, /^HTTP\/1.1 101 Switching Protocols/);
    assert.match(head, /X-Stream-Protocol-Version: v4.channel.k8s.io/);
    const error = await client.openStream({ streamType: 'error' });
    error.end();
    const stdin = await client.openStream({ streamType: 'stdin' });
    const stdout = await client.openStream({ streamType: 'stdout' });
    const stderr = await client.openStream({ streamType: 'stderr' });
    stdin.end('hello');
    const [out, err, status] = await Promise.all([readAll(stdout), readAll(stderr), readAll(error)]);
    assert.equal(out, 'HELLO');
    assert.equal(err, 'warn');
    const st = JSON.parse(status);
    assert.equal(st.status, 'Failure');
    assert.equal(st.reason, 'NonZeroExitCode');
    assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    await new Promise((r) => (client.closed ? r(undefined) : client.once('close', r)));
  });

  test('tty: resize objects reach the kubelet; success status', async () => {
    const kubelet: KubeletConnection = {
      getContainerLogs: async () => undefined,
      portForward: async () => {
        throw new Error('unused');
      },
      exec: async (_ns, _p, _u, o: PodExecOptions, s: ExecStreams) => {
        assert.equal(o.tty, true);
        for await (const size of s.resize!) {
          s.stdout!.write(`${size.width}x${size.height}`);
          break;
        }
        return 0;
      },
    };
    const { client } = await upgrade(kubelet, { container: 'c', command: ['sh'], stdin: false, stdout: true, stderr: false, tty: true });
    const error = await client.openStream({ streamType: 'error' });
    error.end();
    const stdout = await client.openStream({ streamType: 'stdout' });
    const resize = await client.openStream({ streamType: 'resize' });
    resize.write('{"Width":120,"Height":40}\n');
    const [out, status] = await Promise.all([readAll(stdout), readAll(error)]);
    assert.equal(out, '120x40');
    assert.deepEqual(JSON.parse(status), { metadata: {}, status: 'Success' });
  });

  // Upstream: containerd's CRI exec wraps the runtime error (`failed to exec in container: failed to
  // start exec "<id>": OCI runtime exec failed: …: unknown`), the kubelet's remotecommand server
  // writes `apierrors.NewInternalError("error executing command in container: …")` on the error
  // stream, and kubectl prints `error: Internal error occurred: error executing command in container: …`.
  const RUNTIME_MSG = 'failed to exec in container: failed to start exec "' + 'ab'.repeat(32) + '": OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown';
  const WANT = {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: error executing command in container: ${RUNTIME_MSG}`,
    reason: 'InternalError',
    details: { causes: [{ message: `error executing command in container: ${RUNTIME_MSG}` }] },
    code: 500,
  };

  test('a command the runtime cannot start: InternalError Status on the error stream', async () => {
    const kubelet: KubeletConnection = {
      getContainerLogs: async () => undefined,
      portForward: async () => {
        throw new Error('unused');
      },
      exec: async () => {
        throw new ExecInContainerError(RUNTIME_MSG);
      },
    };
    const { client } = await upgrade(kubelet, { container: 'c', command: ['nosuchcmd'], stdin: false, stdout: true, stderr: true, tty: false });
    const error = await client.openStream({ streamType: 'error' });
    error.end();
    const stdout = await client.openStream({ streamType: 'stdout' });
    const stderr = await client.openStream({ streamType: 'stderr' });
    const [out, err, status] = await Promise.all([readAll(stdout), readAll(stderr), readAll(error)]);
    assert.equal(out, '');
    assert.equal(err, '');
    const st = JSON.parse(status);
    assert.deepEqual({ ...st, kind: undefined, apiVersion: undefined }, { ...WANT, kind: undefined, apiVersion: undefined });
  });

  test('status builders: start failure vs kubelet refusing the upgrade (WebSocket and SPDY)', () => {
    const e = new ExecInContainerError(RUNTIME_MSG);
    for (const st of [kubeletExecErrorStatus(e), execResultStatus({ error: e }, ['nosuchcmd'])]) {
      assert.equal(st.message, WANT.message);
      assert.equal(st.reason, 'InternalError');
      assert.equal(st.code, 500);
      assert.deepEqual(st.details, WANT.details);
    }
    // A container that is not running: the kubelet refuses the upgrade (unchanged wording).
    const nf = newBadRequest('container not found ("web")');
    assert.equal(kubeletExecErrorStatus(nf).message, 'Internal error occurred: unable to upgrade connection: container not found ("web")');
    assert.equal(execResultStatus({ error: nf }, ['true']).message, 'unable to upgrade connection: container not found ("web")');
    // Exit codes stay NonZeroExitCode with an ExitCode cause.
    assert.deepEqual(execResultStatus({ code: 3 }, ['sh', '-c', 'exit 3']).details, { causes: [{ reason: 'ExitCode', message: '3' }] });
  });
});
