/**
 * Forwarding of queries outside the cluster zone to the host's resolvers, after CoreDNS' `forward`
 * plugin as the default Corefile uses it (`forward . /etc/resolv.conf`): upstreams are the
 * `nameserver` lines of the host's resolv.conf, tried in order; a query goes out over the
 * protocol it came in on (UDP, or TCP with the 2-byte length prefix); each attempt has a timeout;
 * when every upstream fails the caller answers SERVFAIL.
 *
 * The raw query bytes are relayed unchanged under a fresh message id, and the reply is returned
 * with the client's id restored, so EDNS options and flags pass through as CoreDNS' forwarder does.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** An upstream resolver. */
export interface Upstream {
  host: string;
  port: number;
}

/** Parses `host`, `host:port`, `[v6]:port` or a bare IPv6 address into an {@link Upstream} (default port 53). */
export function parseUpstream(s: string): Upstream {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : 53 };
  if (net.isIPv6(s)) return { host: s, port: 53 };
  const i = s.lastIndexOf(':');
  if (i > 0) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s, port: 53 };
}

/**
 * The `nameserver` addresses of a resolv.conf file (default /etc/resolv.conf), as upstreams on
 * port 53. A missing or unreadable file gives [].
 */
export function upstreamsFromResolvConf(path = '/etc/resolv.conf'): Upstream[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'nameserver' && f[1] && net.isIP(f[1].replace(/%.*$/, ''))) out.push({ host: f[1].replace(/%.*$/, ''), port: 53 });
  }
  return out;
}

/** Options of {@link Forward}. */
export interface ForwardOptions {
  upstreams: Upstream[];
  /** Per-attempt timeout, ms (default 2000). */
  timeoutMs?: number;
}

/** The forwarder; see the module comment. */
export class Forward {
  readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly inflight = new Set<() => void>();
  private closed = false;

  constructor(opts: ForwardOptions) {
    this.upstreams = opts.upstreams;
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  /**
   * Sends `query` (a whole DNS message) to the upstreams in turn over `transport` and resolves
   * with the first reply (the client's id restored), or undefined when none answered in time.
   */
  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (query.length < 12) return undefined;
    const clientId = query.readUInt16BE(0);
    for (const up of this.upstreams) {
      if (this.closed) return undefined;
      const id = randomInt(0, 0x10000);
      const q = Buffer.from(query);
      q.writeUInt16BE(id, 0);
      const reply = await (transport === 'udp' ? this.exchangeUDP(up, q, id) : this.exchangeTCP(up, q, id)).catch(() => undefined);
      if (reply) {
        const out = Buffer.from(reply);
        out.writeUInt16BE(clientId, 0);
        return out;
      }
    }
    return undefined;
  }

  /** Aborts in-flight exchanges; later calls resolve undefined. */
  close(): void {
    this.closed = true;
    for (const abort of [...this.inflight]) abort();
  }

  private exchangeUDP(up: Upstream, q: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = dgram.createSocket(net.isIPv6(up.host) ? 'udp6' : 'udp4');
      let done = false;
      const finish = (v: Buffer | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inflight.delete(abort);
        try {
          sock.close();
        } catch {
          /* already closed */
        }
        resolve(v);
      };
      const abort = () => finish(undefined);
      this.inflight.add(abort);
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      sock.on('error', () => finish(undefined));
      sock.on('message', (msg, rinfo) => {
        // Only a reply from the upstream with our id and the same question counts.
        if (rinfo.port !== up.port || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        if (!sameQuestion(q, msg)) return;
        finish(msg);
      });
      sock.send(q, up.port, up.host, (err) => {
        if (err) finish(undefined);
      });
    });
  }

  private exchangeTCP(up: Upstream, q: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: up.host, port: up.port });
      let buf = Buffer.alloc(0);
      let done = false;
      const finish = (v: Buffer | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inflight.delete(abort);
        sock.destroy();
        resolve(v);
      };
      const abort = () => finish(undefined);
      this.inflight.add(abort);
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      sock.on('error', () => finish(undefined));
      sock.on('close', () => finish(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(q.length);
        sock.write(Buffer.concat([len, q]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          if (msg.length >= 12 && msg.readUInt16BE(0) === id && sameQuestion(q, msg)) return finish(Buffer.from(msg));
        }
      });
    });
  }
}

/** True when the question section (first question, compared case-insensitively) of two messages is equal. */
function sameQuestion(a: Buffer, b: Buffer): boolean {
  const qa = questionBytes(a);
  const qb = questionBytes(b);
  return qa !== undefined && qb !== undefined && qa.equals(qb);
}

function questionBytes(m: Buffer): Buffer | undefined {
  if (m.length < 12 || m.readUInt16BE(4) < 1) return undefined;
  let off = 12;
  const labels: number[] = [];
  for (;;) {
    if (off >= m.length) return undefined;
    const l = m[off];
    if (l === 0) break;
    if (l & 0xc0) return undefined; // a question name is never compressed in practice
    for (let i = off; i <= off + l && i < m.length; i++) labels.push(i === off ? m[i] : m[i] | 0x20 * Number(m[i] >= 65 && m[i] <= 90));
    off += l + 1;
  }
  if (off + 5 > m.length) return undefined;
  return Buffer.concat([Buffer.from(labels), m.subarray(off, off + 5)]);
}
