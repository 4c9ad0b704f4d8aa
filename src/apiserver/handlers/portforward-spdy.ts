/**
 * A minimal SPDY/3.1 session (draft-mbelshe-httpbis-spdy-00 §2) as Kubernetes' httpstream uses it
 * (k8s.io/apimachinery/pkg/util/httpstream/spdy over moby/spdystream): multiplexed bidirectional
 * streams opened by SYN_STREAM with a header block, answered by SYN_REPLY, carrying DATA frames,
 * half-closed with the FIN flag and aborted with RST_STREAM. Header blocks are zlib-compressed with
 * the SPDY/3 dictionary, one compression context per direction, each block ending with a sync flush.
 *
 * Like spdystream, no flow control is done: WINDOW_UPDATE and SETTINGS are read and ignored, and
 * none are sent (spdystream neither sends nor honours them). PING frames from the peer are echoed.
 *
 * Also here: {@link webSocketDuplex}, the byte stream over a WebSocket whose binary messages carry
 * the SPDY frames (client-go tools/portforward TunnelingConnection; apiserver util/proxy/streamtunnel.go).
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import type { WebSocket } from 'ws';

const require = createRequire(import.meta.url);
/** The SPDY/3 header compression dictionary (spec §2.6.10.1), 1423 bytes. */
export const SPDY3_DICTIONARY: Buffer = (require('spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js') as Record<number, Buffer>)[3]!;

/** Control frame types (spec §2.6). */
export const FrameType = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
/** FLAG_FIN on SYN_STREAM, SYN_REPLY, HEADERS and DATA frames. */
export const FLAG_FIN = 0x01;
/** RST_STREAM status codes (spec §2.6.3). */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** Header names are lower-case; a multi-valued header's values are joined with NUL as on the wire. */
export type SpdyHeaders = Record<string, string>;

/** Encodes an uncompressed SPDY/3 name/value block: u32 count, then u32 length-prefixed names and values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  const entries = Object.entries(headers);
  n.writeUInt32BE(entries.length);
  parts.push(n);
  for (const [k, v] of entries) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, 'utf8');
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes an uncompressed name/value block (names lower-cased). Throws on a truncated block. */
export function decodeHeaderBlock(buf: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  let off = 0;
  const u32 = () => {
    if (off + 4 > buf.length) throw new Error('truncated SPDY header block');
    const v = buf.readUInt32BE(off);
    off += 4;
    return v;
  };
  const str = () => {
    const len = u32();
    if (off + len > buf.length) throw new Error('truncated SPDY header block');
    const s = buf.subarray(off, off + len).toString('utf8');
    off += len;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const k = str().toLowerCase();
    out[k] = str();
  }
  return out;
}

/**
 * One zlib context of a SPDY connection direction (compress or decompress), processing blocks
 * strictly in call order; each block's output ends at a Z_SYNC_FLUSH boundary (spec §2.6.10).
 */
export class HeaderCodec {
  private readonly z: zlib.Deflate | zlib.Inflate;
  private tail: Promise<unknown> = Promise.resolve();
  constructor(kind: 'compress' | 'decompress') {
    this.z = kind === 'compress' ? zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }) : zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
    this.z.on('error', () => undefined);
  }
  /** Compresses or decompresses one header block; rejects on a zlib error. */
  process(block: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const onData = (d: Buffer) => chunks.push(d);
        const onError = (e: Error) => {
          this.z.off('data', onData);
          reject(e);
        };
        this.z.on('data', onData);
        this.z.once('error', onError);
        this.z.write(block);
        this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          this.z.off('data', onData);
          this.z.off('error', onError);
          resolve(Buffer.concat(chunks));
        });
      });
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
  /** Frees the zlib context. */
  close(): void {
    this.z.close();
  }
}

/** Builds a control frame: version 3, `type`, `flags`, payload. */
export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | 3, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Builds a DATA frame for stream `id` (payload up to 16 MiB − 1). */
export function dataFrame(id: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** One parsed frame. Control frames have `type`; DATA frames have `streamId` and no `type`. */
export interface RawFrame {
  control: boolean;
  type?: number;
  version?: number;
  streamId?: number;
  flags: number;
  payload: Buffer;
}

/** Splits a byte stream into SPDY frames. `push` returns the complete frames found so far. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Appends bytes; returns every complete frame now available, in order. */
  push(chunk: Buffer): RawFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RawFrame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4]!;
      const payload = this.buf.subarray(8, 8 + len);
      if (this.buf[0]! & 0x80) {
        out.push({ control: true, version: this.buf.readUInt16BE(0) & 0x7fff, type: this.buf.readUInt16BE(2), flags, payload });
      } else {
        out.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, payload });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

const MAX_DATA = 32 * 1024;

/**
 * One SPDY stream as a Duplex: readable = the peer's DATA (ends at its FIN), writable = our DATA
 * (ending it sends FIN). `reset()` sends RST_STREAM CANCEL; a peer's RST destroys the stream.
 */
export class SpdyStream extends Duplex {
  /** Set when the peer sent FIN (or the stream was reset). */
  remoteClosed = false;
  /** Set when we sent FIN or RST. */
  localClosed = false;
  /** True after either side reset the stream. */
  wasReset = false;
  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }
  override _read(): void {
    /* data is pushed by the session */
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.localClosed) return cb();
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    const frames: Promise<void>[] = [];
    for (let off = 0; off < buf.length; off += MAX_DATA) frames.push(this.session.enqueue(() => dataFrame(this.id, 0, buf.subarray(off, off + MAX_DATA))));
    Promise.all(frames).then(() => cb(), (e: Error) => cb(e));
  }
  override _final(cb: (err?: Error | null) => void): void {
    if (this.localClosed) return cb();
    this.localClosed = true;
    this.session.enqueue(() => dataFrame(this.id, FLAG_FIN, Buffer.alloc(0))).then(() => cb(), () => cb());
    this.session.maybeForget(this);
  }
  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (!this.localClosed || !this.remoteClosed) this.reset();
    this.session.forget(this);
    cb(err);
  }
  /** Sends RST_STREAM (CANCEL) unless the stream is already closed both ways; destroys it. */
  reset(status: number = RstStatus.CANCEL): void {
    if (!this.wasReset && !this.session.closed) {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(this.id & 0x7fffffff, 0);
      p.writeUInt32BE(status, 4);
      void this.session.enqueue(() => controlFrame(FrameType.RST_STREAM, 0, p)).catch(() => undefined);
    }
    this.wasReset = true;
    this.localClosed = true;
    this.remoteClosed = true;
    if (!this.destroyed) this.destroy();
  }
  /** Accepts a peer-opened stream: sends SYN_REPLY with `headers` (server side of spdystream SendReply). */
  accept(headers: SpdyHeaders = {}): Promise<void> {
    return this.session.sendReply(this.id, headers);
  }
}

/**
 * A SPDY/3.1 session over a byte stream. Server role (`isServer`): peer streams are odd, ours even.
 * Events: `stream` (SpdyStream opened by the peer; call `accept()` or `reset()`), `close`.
 * Header compression errors and malformed frames end the session (GOAWAY PROTOCOL_ERROR).
 */
export class SpdySession extends EventEmitter {
  /** Every open session of this process (for {@link closeAllSpdySessions}). */
  static readonly live = new Set<SpdySession>();
  private readonly reader = new FrameReader();
  private readonly deflate = new HeaderCodec('compress');
  private readonly inflate = new HeaderCodec('decompress');
  private readonly streams = new Map<number, SpdyStream>();
  private readonly replyWaiters = new Map<number, () => void>();
  private out: Promise<void> = Promise.resolve();
  private inbound: Promise<void> = Promise.resolve();
  private nextId: number;
  private lastPeerId = 0;
  /** True once the connection ended or close() ran. */
  closed = false;
  goneAway = false;

  constructor(
    private readonly conn: Duplex,
    readonly isServer: boolean,
  ) {
    super();
    this.nextId = isServer ? 2 : 1;
    conn.on('data', (chunk: Buffer) => {
      let frames: RawFrame[];
      try {
        frames = this.reader.push(chunk);
      } catch {
        return this.close();
      }
      for (const f of frames) this.inbound = this.inbound.then(() => this.handleFrame(f)).catch(() => this.close());
    });
    conn.on('end', () => this.inbound.finally(() => this.close()));
    conn.on('close', () => this.inbound.finally(() => this.close()));
    conn.on('error', () => this.close());
    conn.resume(); // a caller may have paused it (e.g. after reading an HTTP head)
    SpdySession.live.add(this);
  }

  /** Number of open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Queues bytes (built lazily, in order) onto the connection; resolves once written. */
  enqueue(build: () => Buffer | Promise<Buffer>): Promise<void> {
    const run = async () => {
      if (this.closed || this.conn.destroyed || this.conn.writableEnded) throw new Error('spdy session closed');
      const buf = await build();
      await new Promise<void>((resolve, reject) => {
        this.conn.write(buf, (err) => (err ? reject(err) : resolve()));
      });
    };
    const p = this.out.then(run, run);
    this.out = p.catch(() => undefined);
    return p;
  }

  /** Sends SYN_REPLY for a peer stream. */
  sendReply(id: number, headers: SpdyHeaders): Promise<void> {
    return this.enqueue(async () => {
      const block = await this.deflate.process(encodeHeaderBlock(headers));
      const p = Buffer.alloc(4);
      p.writeUInt32BE(id & 0x7fffffff);
      return controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([p, block]));
    });
  }

  /** Opens a stream (client role in tests): SYN_STREAM with `headers`; resolves after the SYN_REPLY. */
  async openStream(headers: SpdyHeaders, fin = false): Promise<SpdyStream> {
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, headers);
    this.streams.set(id, s);
    if (fin) s.localClosed = true;
    const replied = new Promise<void>((resolve) => this.replyWaiters.set(id, resolve));
    await this.enqueue(async () => {
      const block = await this.deflate.process(encodeHeaderBlock(headers));
      const p = Buffer.alloc(10);
      p.writeUInt32BE(id, 0);
      p.writeUInt32BE(0, 4);
      p.writeUInt16BE(0, 8);
      return controlFrame(FrameType.SYN_STREAM, fin ? FLAG_FIN : 0, Buffer.concat([p, block]));
    });
    await Promise.race([replied, new Promise<void>((_r, reject) => s.once('close', () => reject(new Error(`stream ${id} was reset`))))]);
    return s;
  }

  /** Sends a PING with `id` (tests). */
  ping(id: number): Promise<void> {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(id >>> 0);
    return this.enqueue(() => controlFrame(FrameType.PING, 0, p));
  }

  /** Removes a stream that is closed both ways. */
  maybeForget(s: SpdyStream): void {
    if (s.localClosed && s.remoteClosed) this.forget(s);
  }
  /** Removes a stream from the session. */
  forget(s: SpdyStream): void {
    if (this.streams.get(s.id) === s) this.streams.delete(s.id);
  }

  private async handleFrame(f: RawFrame): Promise<void> {
    if (!f.control) {
      const s = this.streams.get(f.streamId!);
      if (!s) return;
      if (f.payload.length && !s.remoteClosed) s.push(Buffer.from(f.payload));
      if (f.flags & FLAG_FIN) this.remoteFin(s);
      return;
    }
    if (f.version !== 3) throw new Error(`unsupported SPDY version ${f.version}`);
    const p = f.payload;
    switch (f.type) {
      case FrameType.SYN_STREAM: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.process(p.subarray(10)));
        if (this.goneAway || this.closed) return;
        if (id % 2 === (this.isServer ? 0 : 1) || id <= this.lastPeerId || this.streams.has(id)) {
          const r = Buffer.alloc(8);
          r.writeUInt32BE(id, 0);
          r.writeUInt32BE(RstStatus.PROTOCOL_ERROR, 4);
          void this.enqueue(() => controlFrame(FrameType.RST_STREAM, 0, r)).catch(() => undefined);
          return;
        }
        this.lastPeerId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        if (f.flags & FLAG_FIN) this.remoteFin(s);
        this.emit('stream', s);
        return;
      }
      case FrameType.SYN_REPLY: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        await this.inflate.process(p.subarray(4));
        this.replyWaiters.get(id)?.();
        this.replyWaiters.delete(id);
        const s = this.streams.get(id);
        if (s && f.flags & FLAG_FIN) this.remoteFin(s);
        return;
      }
      case FrameType.HEADERS: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        await this.inflate.process(p.subarray(4)); // keeps the zlib context in step
        const s = this.streams.get(id);
        if (s && f.flags & FLAG_FIN) this.remoteFin(s);
        return;
      }
      case FrameType.RST_STREAM: {
        const s = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          s.wasReset = true;
          s.localClosed = true;
          s.remoteClosed = true;
          this.forget(s);
          s.destroy();
        }
        return;
      }
      case FrameType.PING: {
        const id = p.readUInt32BE(0);
        // Our own pings use our parity; echo the peer's.
        if ((id & 1) === (this.isServer ? 1 : 0)) void this.enqueue(() => controlFrame(FrameType.PING, 0, Buffer.from(p))).catch(() => undefined);
        else this.emit('pong', id);
        return;
      }
      case FrameType.GOAWAY:
        this.goneAway = true;
        this.emit('goaway');
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, NOOP, CREDENTIAL: ignored (no flow control, as spdystream)
    }
  }

  private remoteFin(s: SpdyStream): void {
    if (s.remoteClosed) return;
    s.remoteClosed = true;
    s.push(null);
    this.maybeForget(s);
  }

  /** Sends GOAWAY (status OK) and ends the connection once queued frames are written. */
  async goAway(): Promise<void> {
    if (this.closed) return;
    this.goneAway = true;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(this.lastPeerId, 0);
    p.writeUInt32BE(0, 4);
    await this.enqueue(() => controlFrame(FrameType.GOAWAY, 0, p)).catch(() => undefined);
  }

  /** Tears the session down: every stream is destroyed, the connection ended, `close` emitted once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    SpdySession.live.delete(this);
    for (const s of [...this.streams.values()]) {
      // A stream the peer already finished keeps its buffered data readable to the end.
      const finished = s.remoteClosed;
      s.wasReset = !finished;
      s.localClosed = true;
      s.remoteClosed = true;
      if (!finished) s.destroy();
    }
    this.streams.clear();
    this.deflate.close();
    this.inflate.close();
    void this.out.finally(() => {
      if (!this.conn.destroyed) this.conn.end();
      setTimeout(() => this.conn.destroy(), 1000).unref();
    });
    this.emit('close');
  }
}

/**
 * Closes every open SPDY session of the process (port-forward and SPDY exec connections), as the
 * apiserver does on shutdown; their pod connections and exec sessions are torn down with them.
 */
export function closeAllSpdySessions(): void {
  for (const s of [...SpdySession.live]) s.close();
}

/**
 * Bytes over a WebSocket: each write is one binary message; each received binary message is read
 * as bytes (a text message is a protocol error and destroys the stream). Ending the Duplex closes
 * the WebSocket normally (1000); the socket closing ends the readable side.
 * After client-go tools/portforward TunnelingConnection.
 */
export function webSocketDuplex(ws: WebSocket): Duplex {
  const d = new Duplex({
    allowHalfOpen: false,
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb(new Error('websocket closed'));
      ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
    },
    final(cb) {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      cb();
    },
    destroy(err, cb) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
      cb(err);
    },
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (!isBinary) {
      d.destroy(new Error('invalid message type received'));
      return;
    }
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!d.push(buf)) ws.pause();
  });
  ws.on('close', () => {
    d.push(null);
  });
  ws.on('error', (e) => d.destroy(e));
  return d;
}
