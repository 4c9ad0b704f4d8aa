/**
 * Port-forward stream handling (kubelet httpstream.go semantics) with a fake kubelet whose
 * portForward connects to a TCP echo server on 127.0.0.1: error/data pairing by requestID (and by
 * stream id for clients without it), relaying with half-close, the error stream's message when the
 * pod port cannot be reached, invalid stream headers, and the pod-phase check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeletConnection } from '../kubelet-client.ts';
import { SpdySession, type SpdyStream } from './portforward-spdy.ts';
import { checkPortForwardPod, servePortForwardSession, validatePortForwardStream } from './portforward.ts';
import { duplexPair, readAll } from '../testing/streams.ts';

describe('port-forward streams', () => {
  let echo: net.Server;
  let echoPort: number;
  const calls: number[] = [];
  const kubelet: KubeletConnection = {
    getContainerLogs: async () => undefined,
    exec: async () => 0,
    portForward: async (_ns, _pod, _uid, port) => {
      calls.push(port);
      if (port !== 8080) throw new Error(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
      return await new Promise<Duplex>((resolve, reject) => {
        const s = net.connect(echoPort, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    },
  };
  const target = { namespace: 'default', name: 'web', uid: 'u-1', kubelet };

  before(async () => {
    // Echoes upper-cased once the client half-closes, then closes.
    echo = net.createServer((c) => {
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('end', () => c.end(got.toUpperCase()));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => echo.close(() => r())));

  function connect(): SpdySession {
    const [a, b] = duplexPair();
    servePortForwardSession(new SpdySession(b, true), target, { streamCreationTimeoutMs: 2000 });
    return new SpdySession(a, false);
  }

  async function pair(client: SpdySession, port: number, requestID?: string): Promise<{ error: SpdyStream; data: SpdyStream }> {
    const rid: Record<string, string> = requestID === undefined ? {} : { requestID };
    const error = await client.openStream({ streamType: 'error', port: String(port), ...rid });
    error.end(); // the client never writes on the error stream
    const data = await client.openStream({ streamType: 'data', port: String(port), ...rid });
    return { error, data };
  }

  test('concurrent pairs are relayed to the pod port; the error stream closes empty', async () => {
    const client = connect();
    const pairs = await Promise.all([0, 1, 2].map((i) => pair(client, 8080, String(i))));
    pairs.forEach((p, i) => p.data.end(`hello ${i}`));
    const results = await Promise.all(pairs.map(async (p) => ({ data: await readAll(p.data), error: await readAll(p.error) })));
    assert.deepEqual(results, [0, 1, 2].map((i) => ({ data: `HELLO ${i}`, error: '' })));
    client.close();
  });

  test('streams without requestID pair by stream id (error id, data id = error id + 2)', async () => {
    const client = connect();
    const p = await pair(client, 8080);
    p.data.end('old client');
    assert.equal(await readAll(p.data), 'OLD CLIENT');
    client.close();
  });

  test('an unreachable pod port is reported on the error stream', async () => {
    const client = connect();
    const p = await pair(client, 9, 'x');
    const [err, data] = await Promise.all([readAll(p.error), readAll(p.data)]);
    assert.equal(err, 'error forwarding port 9 to pod web, uid u-1: dial tcp 127.0.0.1:9: connect: connection refused');
    assert.equal(data, '');
    client.close();
  });

  test('streams with missing or bad headers are reset', async () => {
    const client = connect();
    await assert.rejects(client.openStream({ streamType: 'data' }), /reset/);
    await assert.rejects(client.openStream({ streamType: 'bogus', port: '80' }), /reset/);
    await assert.rejects(client.openStream({ streamType: 'data', port: '0' }), /reset/);
    client.close();
  });

  test('header validation wording (kubelet httpStreamReceived)', () => {
    assert.equal(validatePortForwardStream({ streamtype: 'data' }), '"port" header is required');
    assert.equal(validatePortForwardStream({ port: 'x', streamtype: 'data' }), 'unable to parse "x" as a port');
    assert.equal(validatePortForwardStream({ port: '0', streamtype: 'data' }), 'port "0" must be > 0');
    assert.equal(validatePortForwardStream({ port: '80' }), '"streamType" header is required');
    assert.equal(validatePortForwardStream({ port: '80', streamtype: 'foo' }), 'invalid stream type "foo"');
    assert.equal(validatePortForwardStream({ port: '80', streamtype: 'error' }), undefined);
  });

  test('only Running pods can be forwarded to', () => {
    assert.throws(() => checkPortForwardPod({ status: { phase: 'Pending' } }), /unable to forward port because pod is not running. Current status=Pending/);
    assert.doesNotThrow(() => checkPortForwardPod({ status: { phase: 'Running' } }));
  });
});
