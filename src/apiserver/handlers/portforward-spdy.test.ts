/**
 * SPDY/3.1 framing and session: header blocks, frame splitting, zlib-with-dictionary interop with
 * an independent implementation (spdy-transport's framer and parser), stream half-close / reset /
 * ping semantics between two sessions, and the WebSocket byte adapter.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { closeAllSpdySessions, FrameReader, FrameType, FLAG_FIN, SpdySession, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, webSocketDuplex, type SpdyStream } from './portforward-spdy.ts';
import { duplexPair, readAll } from '../testing/streams.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spdyProto: any = require('spdy-transport').protocol.spdy;

/** Two connected in-memory byte streams. */
describe('SPDY header blocks and frames', () => {
  test('name/value block round-trips, names lower-cased', () => {
    const b = encodeHeaderBlock({ streamType: 'data', port: '8080', requestID: '0' });
    assert.deepEqual(decodeHeaderBlock(b), { streamtype: 'data', port: '8080', requestid: '0' });
    assert.equal(b.readUInt32BE(0), 3);
    assert.throws(() => decodeHeaderBlock(b.subarray(0, b.length - 1)), /truncated/);
  });

  test('FrameReader reassembles frames split at every byte', () => {
    const ping = Buffer.alloc(4);
    ping.writeUInt32BE(7);
    const bytes = Buffer.concat([controlFrame(FrameType.PING, 0, ping), dataFrame(3, FLAG_FIN, Buffer.from('hello')), dataFrame(5, 0, Buffer.alloc(0))]);
    const r = new FrameReader();
    const frames = [];
    for (const byte of bytes) frames.push(...r.push(Buffer.from([byte])));
    assert.equal(frames.length, 3);
    assert.deepEqual({ control: frames[0]!.control, type: frames[0]!.type, version: frames[0]!.version, id: frames[0]!.payload.readUInt32BE(0) }, { control: true, type: 6, version: 3, id: 7 });
    assert.deepEqual({ control: frames[1]!.control, id: frames[1]!.streamId, fin: frames[1]!.flags & FLAG_FIN, data: frames[1]!.payload.toString() }, { control: false, id: 3, fin: 1, data: 'hello' });
    assert.equal(frames[2]!.payload.length, 0);
  });
});

describe('SPDY interop with spdy-transport (independent framer/parser)', () => {
  test('SYN_STREAMs compressed by spdy-transport are decoded by our server session (shared zlib context)', async () => {
    const pool = spdyProto.compressionPool.create(true);
    const framer = spdyProto.framer.create({});
    framer.setVersion(3.1);
    framer.setCompression(pool.get(3.1));
    const [ours, theirs] = duplexPair();
    framer.on('data', (d: Buffer) => theirs.write(d));
    const session = new SpdySession(ours, true);
    const seen: SpdyStream[] = [];
    session.on('stream', (s: SpdyStream) => seen.push(s));
    const prio = { parent: 0, exclusive: false, weight: 16 };
    framer.requestFrame({ id: 1, method: 'GET', path: '/', host: 'h', priority: prio, headers: { streamtype: 'error', port: '8080', requestid: '0' } }, () => undefined);
    framer.requestFrame({ id: 3, method: 'GET', path: '/', host: 'h', priority: prio, headers: { streamtype: 'data', port: '8080', requestid: '0' } }, () => undefined);
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(seen.length, 2);
    assert.deepEqual([seen[0]!.id, seen[0]!.headers['streamtype'], seen[0]!.headers['port']], [1, 'error', '8080']);
    assert.deepEqual([seen[1]!.id, seen[1]!.headers['streamtype'], seen[1]!.headers['requestid']], [3, 'data', '0']);
    session.close();
  });

  test('our SYN_REPLYs and DATA are parsed by spdy-transport', async () => {
    const pool = spdyProto.compressionPool.create(true);
    const parser = spdyProto.parser.create({ isServer: false });
    parser.setVersion(3.1);
    parser.setCompression(pool.get(3.1));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const frames: any[] = [];
    parser.on('data', (f: unknown) => frames.push(f));
    const [ours, theirs] = duplexPair();
    theirs.on('data', (d: Buffer) => parser.write(d));
    const session = new SpdySession(ours, true);
    await session.sendReply(1, { a: 'b' });
    await session.sendReply(3, { ':status': '200', ':version': 'HTTP/1.1', x: 'y' });
    await session.enqueue(() => dataFrame(3, FLAG_FIN, Buffer.from('payload')));
    for (let i = 0; i < 100 && frames.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(frames.length, 3);
    assert.equal(frames[0].id, 1);
    assert.equal(frames[1].id, 3);
    assert.equal(frames[1].headers.x, 'y');
    assert.equal(frames[2].type, 'DATA');
    assert.equal(frames[2].fin, true);
    assert.equal(Buffer.from(frames[2].data).toString(), 'payload');
    session.close();
  });
});

describe('SPDY sessions', () => {
  test('streams carry data both ways with half-close, headers, reset and ping', async () => {
    const [a, b] = duplexPair();
    const client = new SpdySession(a, false);
    const server = new SpdySession(b, true);
    server.on('stream', (s: SpdyStream) => {
      if (s.headers['reject']) return s.reset();
      void s.accept();
      // echo upper-cased after the client's FIN
      void readAll(s).then((t) => s.end(`${s.headers['name']}:${t.toUpperCase()}`));
    });
    const s1 = await client.openStream({ name: 'one' });
    const s2 = await client.openStream({ name: 'two' });
    assert.deepEqual([s1.id, s2.id], [1, 3]);
    const big = 'x'.repeat(200_000);
    s1.end(big);
    s2.end('abc');
    assert.equal(await readAll(s2), 'two:ABC');
    assert.equal(await readAll(s1), `one:${big.toUpperCase()}`);
    await assert.rejects(client.openStream({ reject: '1' }), /reset/);
    const pong = new Promise((r) => client.once('pong', r));
    await client.ping(1);
    assert.equal(await pong, 1);
    client.close();
    await new Promise((r) => server.once('close', r));
    assert.equal(server.closed, true);
  });

  test('a session close destroys open streams', async () => {
    const [a, b] = duplexPair();
    const client = new SpdySession(a, false);
    const server = new SpdySession(b, true);
    let serverStream: SpdyStream | undefined;
    server.on('stream', (s: SpdyStream) => {
      serverStream = s;
      void s.accept();
    });
    const s = await client.openStream({ x: '1' });
    const closed = new Promise((r) => serverStream!.once('close', r));
    client.close();
    await closed;
    assert.equal(s.destroyed, true);
    assert.equal(serverStream!.destroyed, true);
  });
});

describe('closeAllSpdySessions', () => {
  test('closes every open session (apiserver shutdown)', async () => {
    const [a, b] = duplexPair();
    const client = new SpdySession(a, false);
    const server = new SpdySession(b, true);
    assert.ok(SpdySession.live.has(client) && SpdySession.live.has(server));
    closeAllSpdySessions();
    assert.equal(client.closed, true);
    assert.equal(server.closed, true);
    assert.equal(SpdySession.live.size, 0);
  });
});

describe('webSocketDuplex', () => {
  test('binary messages are bytes both ways; a text message is an error', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as AddressInfo).port;
    const serverSide = new Promise<Duplex>((resolve) => wss.once('connection', (ws) => resolve(webSocketDuplex(ws))));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const got: Buffer[] = [];
    client.on('message', (d: Buffer, isBinary: boolean) => {
      assert.equal(isBinary, true);
      got.push(d);
    });
    await new Promise((r) => client.once('open', r));
    const d = await serverSide;
    d.write(Buffer.from('ab'));
    d.write(Buffer.from('cd'));
    const received: Buffer[] = [];
    d.on('data', (c: Buffer) => received.push(c));
    client.send(Buffer.from('12'));
    client.send(Buffer.from('34'));
    for (let i = 0; i < 100 && (got.length < 2 || received.length < 2); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got.map(String), ['ab', 'cd']);
    assert.equal(Buffer.concat(received).toString(), '1234');
    const err = new Promise<Error>((r) => d.once('error', r));
    client.send('text');
    assert.match((await err).message, /invalid message type/);
    client.close();
    await new Promise<void>((r) => wss.close(() => r()));
  });
});
