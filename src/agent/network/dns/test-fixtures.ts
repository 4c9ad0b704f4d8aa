/**
 * Test fixtures for cluster DNS: a small cluster (namespaces, Services, EndpointSlices, Pods) as
 * informer stores, and tiny UDP/TCP DNS clients and a fake upstream server for 127.0.0.0/8 tests.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { Indexer } from '../../../client/informer.ts';
import type { KubeObject } from '../../../client/interface.ts';
import type { EndpointSlice, KubernetesStores, Namespace, Pod, Service } from './kubernetes.ts';

const ns = (name: string): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** The fixture objects: see the comments for what each exercises. */
export function fixtureObjects(): { namespaces: Namespace[]; services: Service[]; slices: EndpointSlice[]; pods: Pod[] } {
  const svc = (name: string, namespace: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });
  const slice = (name: string, namespace: string, service: string, rest: Partial<EndpointSlice>): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    ...rest,
    addressType: 'IPv4',
  }) as EndpointSlice;
  const pod = (name: string, namespace: string, ip: string, spec: Partial<Pod['spec']> = {}): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'c' }], ...spec },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  });
  return {
    namespaces: [ns('default'), ns('kube-system'), ns('testns')],
    services: [
      // A ClusterIP service with two named ports.
      svc('web', 'default', {
        type: 'ClusterIP',
        clusterIP: '10.96.0.50',
        clusterIPs: ['10.96.0.50'],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
        ],
        selector: { app: 'web' },
      }),
      // A headless service (StatefulSet style).
      svc('db', 'default', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }], selector: { app: 'db' } }),
      // Headless without endpoints.
      svc('empty', 'default', { clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }], selector: { app: 'none' } }),
      svc('ext', 'default', { type: 'ExternalName', externalName: 'example.com' }),
      // ExternalName holding an IP: CoreDNS answers nothing for it.
      svc('extip', 'default', { type: 'ExternalName', externalName: '192.0.2.1' }),
      svc('kube-dns', 'kube-system', {
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
    ],
    slices: [
      slice('web-abc', 'default', 'web', {
        endpoints: [{ addresses: ['10.88.0.20'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default' } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      }),
      slice('db-abc', 'default', 'db', {
        endpoints: [
          // hostname set by the EndpointSlice controller (pod hostname + subdomain = service).
          { addresses: ['10.88.0.5'], hostname: 'db-0', conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'db-0', namespace: 'default' } },
          // no hostname in the slice, but the pod has hostname db-1 and subdomain db.
          { addresses: ['10.88.0.6'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'db-x', namespace: 'default' } },
          // not ready: never in DNS.
          { addresses: ['10.88.0.7'], hostname: 'db-2', conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'db-2', namespace: 'default' } },
          // ready unknown (nil) counts as ready; no hostname → dashed IP.
          { addresses: ['10.88.0.8'], targetRef: { kind: 'Pod', name: 'plain', namespace: 'default' } },
        ],
        ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }],
      }),
    ],
    pods: [
      pod('db-x', 'default', '10.88.0.6', { hostname: 'db-1', subdomain: 'db' }),
      pod('plain', 'default', '10.88.0.8'),
      pod('lonely', 'testns', '10.88.0.30'),
    ],
  };
}

/** Indexers holding the fixture objects. */
export function fixtureStores(): KubernetesStores {
  const o = fixtureObjects();
  const fill = <T extends KubeObject>(items: T[]) => {
    const idx = new Indexer<T>();
    for (const i of items) idx.set(i);
    return idx;
  };
  return { namespaces: fill(o.namespaces), services: fill(o.services), endpointSlices: fill(o.slices), pods: fill(o.pods) };
}

/** A random loopback address 127.x.y.z (x,y,z in 1..254) for a test's sockets. */
export function randomLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
}

/** A query message for (name, type), with an optional EDNS0 OPT record. */
export function query(name: string, type: RecordType, opts: { edns?: number; id?: number } = {}): Buffer {
  const p: Packet = { type: 'query', id: opts.id ?? randomInt(0, 0x10000), flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] };
  if (opts.edns) p.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: 0, options: [] } as unknown as Answer];
  return dnsPacket.encode(p);
}

/** Sends `msg` over UDP to host:port and resolves with the decoded reply (rejects after `timeoutMs`). */
export function queryUDP(host: string, port: number, msg: Buffer, timeoutMs = 5000): Promise<DecodedPacket & { rcode: string }> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP reply from ${host}:${port}`));
    }, timeoutMs);
    sock.on('message', (m) => {
      clearTimeout(t);
      sock.close();
      resolve(dnsPacket.decode(m) as DecodedPacket & { rcode: string });
    });
    sock.send(msg, port, host);
  });
}

/** Sends each message over one TCP connection (length-prefixed) and resolves with the replies in arrival order. */
export function queryTCP(host: string, port: number, msgs: Buffer[], timeoutMs = 5000): Promise<(DecodedPacket & { rcode: string })[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const out: (DecodedPacket & { rcode: string })[] = [];
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TCP reply from ${host}:${port}`));
    }, timeoutMs);
    sock.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    sock.on('connect', () => {
      for (const m of msgs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        sock.write(Buffer.concat([len, m]));
      }
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as DecodedPacket & { rcode: string });
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        clearTimeout(t);
        sock.end();
        resolve(out);
      }
    });
  });
}

/**
 * A fake upstream resolver on host:port (UDP + TCP): answers A queries for names in `records`
 * with that address, NXDOMAIN otherwise, and records every question name it saw.
 */
export async function startFakeUpstream(host: string, records: Record<string, string>): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const answer = (m: Buffer): Buffer => {
    const q = dnsPacket.decode(m);
    const question = q.questions![0];
    seen.push(question.name);
    const ip = records[question.name.toLowerCase()];
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE | (ip ? 0 : 3),
      questions: q.questions,
      answers: ip && question.type === 'A' ? [{ name: question.name, type: 'A', class: 'IN', ttl: 60, data: ip }] : [],
    });
  };
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, host, () => r()));
  const port = udp.address().port;
  udp.on('message', (m, rinfo) => udp.send(answer(m), rinfo.port, rinfo.address));
  const conns = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const reply = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.write(Buffer.concat([len, reply]));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(port, host, () => r()));
  return {
    port,
    seen,
    close: async () => {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
