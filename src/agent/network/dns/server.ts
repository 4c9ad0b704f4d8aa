/**
 * The cluster DNS server: UDP (node:dgram) and TCP (node:net, RFC 1035 §4.2.2 two-byte length
 * prefix) on one address and port, with dns-packet for the wire format. Each query goes through
 * the plugin chain CoreDNS' default Corefile sets up: `kubernetes` (cluster zone and known reverse
 * names, see kubernetes.ts) → `forward` (everything else, see forward.ts). Names in the cluster
 * zone are never forwarded.
 *
 * Responses: id, RD and the question echoed; RA set; AA on the plugin's own answers; an OPT record
 * when the query had one (EDNS0, payload size 1232). Over UDP a response larger than the client's
 * limit (512 bytes, or its EDNS payload size) goes out with TC set and empty sections, so the client
 * retries over TCP. Malformed queries get FORMERR, multi-question queries FORMERR, opcodes other
 * than QUERY NOTIMP; forwarding failures SERVFAIL.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import type { Kubernetes, Rcode } from './kubernetes.ts';
import { inZone } from './kubernetes.ts';
import type { Forward } from './forward.ts';

const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const QR = 0x8000;

/** The subset of a pino logger the server uses. */
export interface DNSLogger {
  warn(obj: object, msg?: string): void;
}

/** Options of {@link DNSServer}. */
export interface DNSServerOptions {
  kubernetes: Kubernetes;
  /** Forwarder for names outside the zone; without it those get SERVFAIL. */
  forward?: Forward;
  log?: DNSLogger;
  /** TCP idle timeout per connection, ms (default 10000). */
  tcpIdleTimeoutMs?: number;
}

/** The address a {@link DNSServer} listens on (UDP and TCP share it). */
export interface DNSServerAddress {
  address: string;
  port: number;
}

/** A DNS server; see the module comment. */
export class DNSServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  private bound?: DNSServerAddress;

  constructor(private readonly opts: DNSServerOptions) {}

  /** Where the server listens, once `listen` resolved. */
  address(): DNSServerAddress | undefined {
    return this.bound;
  }

  /**
   * Binds UDP and TCP on `host:port` (port 0: a free port, the same for both).
   * @throws the bind error (EADDRNOTAVAIL when the address is not on any interface, EADDRINUSE,
   *   EACCES without CAP_NET_BIND_SERVICE for port 53)
   */
  async listen(host: string, port = 53): Promise<DNSServerAddress> {
    if (this.bound) throw new Error('DNS server already listening');
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      }).catch((e) => {
        udp.close();
        throw e;
      });
      const udpPort = udp.address().port;
      const tcp = net.createServer((s) => this.serveTCP(s));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host, port: udpPort, exclusive: true }, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        udp.close();
        if (port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 10) continue;
        throw e;
      }
      udp.on('message', (msg, rinfo) => void this.serveUDP(udp, msg, rinfo));
      udp.on('error', (err) => this.opts.log?.warn({ err: err.message }, 'dns: udp socket error'));
      tcp.on('error', (err) => this.opts.log?.warn({ err: err.message }, 'dns: tcp server error'));
      this.udp = udp;
      this.tcp = tcp;
      this.bound = { address: host, port: udpPort };
      return this.bound;
    }
  }

  /** Closes both sockets and every TCP connection; resolves when closed. Idempotent. */
  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    this.bound = undefined;
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }

  private async serveUDP(udp: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    try {
      const reply = await this.handle(msg, 'udp');
      if (reply && this.udp === udp) udp.send(reply, rinfo.port, rinfo.address);
    } catch (err) {
      this.opts.log?.warn({ err: (err as Error).message }, 'dns: udp query failed');
    }
  }

  private serveTCP(sock: net.Socket): void {
    this.conns.add(sock);
    sock.setTimeout(this.opts.tcpIdleTimeoutMs ?? 10_000, () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + msg.length);
        void this.handle(msg, 'tcp')
          .then((reply) => {
            if (!reply || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(reply.length);
            sock.write(Buffer.concat([len, reply]));
          })
          .catch((err) => this.opts.log?.warn({ err: (err as Error).message }, 'dns: tcp query failed'));
      }
    });
  }

  /**
   * Answers one DNS message received over `transport`; resolves with the reply bytes, or undefined
   * when nothing should be sent (responses, garbage shorter than a header).
   */
  async handle(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (msg.length < 12 || msg.readUInt16BE(2) & QR) return undefined;
    let req: DecodedPacket;
    try {
      req = dnsPacket.decode(msg);
    } catch {
      return headerOnly(msg, RCODES.FORMERR);
    }
    const opcode = (msg.readUInt16BE(2) >> 11) & 0xf;
    if (opcode !== 0) return headerOnly(msg, RCODES.NOTIMP);
    const questions = req.questions ?? [];
    if (questions.length !== 1) return headerOnly(msg, RCODES.FORMERR);
    const q = questions[0];
    const opt = (req.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;

    const result = this.opts.kubernetes.serveDNS(q);
    if (!result) {
      // Not ours: forward (never for names in the cluster zone; serveDNS answers those).
      if (inZone(q.name.replace(/\.$/, ''), this.opts.kubernetes.zone)) return this.reply(req, opt, transport, 'SERVFAIL', false, []);
      const fwd = await this.opts.forward?.forward(msg, transport);
      if (fwd) return fwd;
      return this.reply(req, opt, transport, 'SERVFAIL', false, []);
    }
    let answers = result.answers;
    // Chase a CNAME that leaves the zone (ExternalName services), as CoreDNS' upstream lookup does.
    const last = answers[answers.length - 1];
    if (last?.type === 'CNAME' && (q.type === 'A' || q.type === 'AAAA') && !inZone(String(last.data), this.opts.kubernetes.zone) && this.opts.forward) {
      const sub = dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: String(last.data), type: q.type, class: 'IN' }] });
      const fwd = await this.opts.forward.forward(sub, transport).catch(() => undefined);
      if (fwd) {
        try {
          answers = [...answers, ...(dnsPacket.decode(fwd).answers ?? [])];
        } catch {
          /* keep the CNAME alone */
        }
      }
    }
    return this.reply(req, opt, transport, result.rcode, result.authoritative, answers, result.authorities, result.additionals);
  }

  private reply(
    req: DecodedPacket,
    opt: { udpPayloadSize?: number } | undefined,
    transport: 'udp' | 'tcp',
    rcode: Rcode,
    aa: boolean,
    answers: Answer[],
    authorities: Answer[] = [],
    additionals: Answer[] = [],
  ): Buffer {
    let flags = RCODES[rcode] | dnsPacket.RECURSION_AVAILABLE | (req.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0);
    const extra: Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as Answer] : [];
    const packet: Packet = { type: 'response', id: req.id, flags, questions: req.questions, answers, authorities, additionals: [...additionals, ...extra] };
    let out = dnsPacket.encode(packet);
    const limit = transport === 'tcp' ? 65535 : Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
    if (out.length > limit) {
      flags |= dnsPacket.TRUNCATED_RESPONSE;
      out = dnsPacket.encode({ ...packet, flags, answers: [], authorities: [], additionals: extra });
    }
    return out;
  }
}

/** A reply that is just the query's header with QR, RA and `rcode` set and no sections (FORMERR/NOTIMP). */
function headerOnly(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 4);
  const flags = (msg.readUInt16BE(2) & 0x7900) | QR | 0x0080 | rcode; // keep opcode + RD, set QR, RA
  out.writeUInt16BE(flags, 2);
  return out;
}
