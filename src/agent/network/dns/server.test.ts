/**
 * The DNS server over real sockets on 127.0.0.0/8: UDP and TCP answers from fixture records,
 * forwarding to a fake upstream (UDP and TCP, cluster names never forwarded), SERVFAIL when the
 * upstream is silent, truncation over UDP, FORMERR/NOTIMP, and that close() releases the port.
 * Also startClusterDNS over a FakeClient: informer-fed records that follow Service changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { FakeClient } from '../../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../../client/interface.ts';
import { Kubernetes } from './kubernetes.ts';
import { Forward } from './forward.ts';
import { DNSServer } from './server.ts';
import { startClusterDNS } from './cluster-dns.ts';
import { fixtureObjects, fixtureStores, query, queryTCP, queryUDP, randomLoopback, startFakeUpstream } from './test-fixtures.ts';

const data = (p: { answers?: unknown[] }) => (p.answers ?? []).map((a) => String((a as { data: unknown }).data));

describe('DNSServer on 127.0.0.x', () => {
  const host = randomLoopback();
  let upstreamHost = randomLoopback();
  while (upstreamHost === host) upstreamHost = randomLoopback();
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let server: DNSServer;
  let port = 0;

  before(async () => {
    upstream = await startFakeUpstream(upstreamHost, { 'example.com': '192.0.2.77', 'registry.example.org': '192.0.2.78' });
    const stores = fixtureStores();
    // Many ready endpoints behind one headless service: too big for a 512-byte UDP answer.
    const o = fixtureObjects();
    stores.services.set({ ...o.services[1], metadata: { name: 'big', namespace: 'default' } });
    stores.endpointSlices.set({
      ...o.slices[1],
      metadata: { name: 'big-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'big' } },
      endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.88.1.${i + 1}`], conditions: { ready: true } })),
    });
    server = new DNSServer({
      kubernetes: new Kubernetes({ stores, nsIPs: ['10.96.0.10'] }),
      forward: new Forward({ upstreams: [{ host: upstreamHost, port: upstream.port }], timeoutMs: 2000 }),
    });
    port = (await server.listen(host, 0)).port;
  });

  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  test('UDP: A for a ClusterIP service, authoritative, id and RD echoed, RA set', async () => {
    const r = await queryUDP(host, port, query('web.default.svc.cluster.local', 'A', { id: 4242 }));
    assert.equal(r.id, 4242);
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.flag_qr, true);
    assert.equal(r.flag_aa, true);
    assert.equal(r.flag_rd, true);
    assert.equal(r.flag_ra, true);
    assert.deepEqual(data(r), ['10.96.0.50']);
    assert.equal((r.answers![0] as { ttl: number }).ttl, 5);
  });

  test('UDP: NXDOMAIN with the SOA in authority; AAAA NODATA', async () => {
    const nx = await queryUDP(host, port, query('nope.default.svc.cluster.local', 'A'));
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    const aaaa = await queryUDP(host, port, query('web.default.svc.cluster.local', 'AAAA'));
    assert.equal(aaaa.rcode, 'NOERROR');
    assert.deepEqual(aaaa.answers, []);
    assert.equal(aaaa.authorities?.[0]?.type, 'SOA');
  });

  test('TCP: several length-prefixed queries on one connection', async () => {
    const replies = await queryTCP(host, port, [
      query('web.default.svc.cluster.local', 'A', { id: 1 }),
      query('_mysql._tcp.db.default.svc.cluster.local', 'SRV', { id: 2 }),
      query('50.0.96.10.in-addr.arpa', 'PTR', { id: 3 }),
    ]);
    const byId = new Map(replies.map((r) => [r.id, r]));
    assert.deepEqual(data(byId.get(1)!), ['10.96.0.50']);
    assert.equal(byId.get(2)!.answers!.length, 3);
    assert.deepEqual(data(byId.get(3)!), ['web.default.svc.cluster.local']);
  });

  test('forwards other names to the upstream over UDP and TCP; never cluster names', async () => {
    const before = upstream.seen.length;
    const r = await queryUDP(host, port, query('example.com', 'A', { id: 77 }));
    assert.equal(r.id, 77);
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(data(r), ['192.0.2.77']);
    const [t] = await queryTCP(host, port, [query('registry.example.org', 'A', { id: 78 })]);
    assert.equal(t.id, 78);
    assert.deepEqual(data(t), ['192.0.2.78']);
    const nx = await queryUDP(host, port, query('missing.example.com', 'A'));
    assert.equal(nx.rcode, 'NXDOMAIN', 'the upstream rcode is relayed');
    // Unknown reverse names fall through to the upstream too.
    await queryUDP(host, port, query('1.2.0.192.in-addr.arpa', 'PTR'));
    await queryUDP(host, port, query('nope.default.svc.cluster.local', 'A'));
    await queryUDP(host, port, query('web.default.svc.cluster.local.default.svc.cluster.local', 'A'));
    assert.deepEqual(upstream.seen.slice(before), ['example.com', 'registry.example.org', 'missing.example.com', '1.2.0.192.in-addr.arpa']);
  });

  test('ExternalName: CNAME chased through the upstream', async () => {
    const r = await queryUDP(host, port, query('ext.default.svc.cluster.local', 'A'));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(
      r.answers!.map((a) => [a.type, String((a as { data: unknown }).data)]),
      [
        ['CNAME', 'example.com'],
        ['A', '192.0.2.77'],
      ],
    );
  });

  test('UDP answers over 512 bytes are truncated (TC); TCP and EDNS carry them whole', async () => {
    const udp = await queryUDP(host, port, query('big.default.svc.cluster.local', 'A'));
    assert.equal(udp.flag_tc, true);
    assert.deepEqual(udp.answers, []);
    const [tcp] = await queryTCP(host, port, [query('big.default.svc.cluster.local', 'A')]);
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers!.length, 60);
    const edns = await queryUDP(host, port, query('big.default.svc.cluster.local', 'A', { edns: 4096 }));
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers!.length, 60);
    assert.ok(edns.additionals?.some((a) => a.type === 'OPT'), 'OPT echoed');
  });

  test('record types dns-packet does not name (HTTPS = 65): NODATA / NXDOMAIN, question echoed', async () => {
    const https = query('web.default.svc.cluster.local', 'A');
    https.writeUInt16BE(65, https.length - 4);
    const r = await queryUDP(host, port, https);
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.questions?.[0]?.type, 'UNKNOWN_65');
    assert.deepEqual(r.answers, []);
    assert.equal(r.authorities?.[0]?.type, 'SOA');
    const nx = query('nope.default.svc.cluster.local', 'A');
    nx.writeUInt16BE(65, nx.length - 4);
    assert.equal((await queryUDP(host, port, nx)).rcode, 'NXDOMAIN');
  });

  test('FORMERR for garbage and for two questions; NOTIMP for other opcodes', async () => {
    const garbage = Buffer.alloc(14, 0xff);
    garbage.writeUInt16BE(0x1234, 0);
    garbage.writeUInt16BE(0x0100, 2);
    garbage.writeUInt16BE(5, 4);
    const fe = await queryUDP(host, port, garbage);
    assert.equal(fe.id, 0x1234);
    assert.equal(fe.rcode, 'FORMERR');
    const two = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [
        { name: 'a.example', type: 'A' },
        { name: 'b.example', type: 'A' },
      ],
    });
    assert.equal((await queryUDP(host, port, two)).rcode, 'FORMERR');
    const notify = query('web.default.svc.cluster.local', 'A');
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2); // opcode NOTIFY
    assert.equal((await queryUDP(host, port, notify)).rcode, 'NOTIMP');
  });

  test('SERVFAIL when no upstream answers; close() releases UDP and TCP', async () => {
    const h = randomLoopback();
    const silent = dgram.createSocket('udp4'); // an upstream that never replies
    await new Promise<void>((r) => silent.bind(0, h, () => r()));
    const s = new DNSServer({
      kubernetes: new Kubernetes({ stores: fixtureStores() }),
      forward: new Forward({ upstreams: [{ host: h, port: silent.address().port }], timeoutMs: 300 }),
    });
    const p = (await s.listen(h, 0)).port;
    try {
      const r = await queryUDP(h, p, query('example.com', 'A'));
      assert.equal(r.rcode, 'SERVFAIL');
    } finally {
      await s.close();
      silent.close();
    }
    // Both sockets are gone: the same port binds again.
    const u = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      u.once('error', reject);
      u.bind(p, h, () => resolve());
    });
    u.close();
    const t = net.createServer();
    await new Promise<void>((resolve, reject) => {
      t.once('error', reject);
      t.listen(p, h, () => resolve());
    });
    await new Promise<void>((r) => t.close(() => r()));
  });
});

describe('startClusterDNS over a client', () => {
  test('records follow the informers; stop closes the sockets', async () => {
    const o = fixtureObjects();
    const client = new FakeClient([
      ...o.namespaces.map((x) => [GVR.namespaces, x] as [typeof GVR.namespaces, KubeObject]),
      ...o.services.map((x) => [GVR.services, x] as [typeof GVR.services, KubeObject]),
      ...o.slices.map((x) => [GVR.endpointslices, x] as [typeof GVR.endpointslices, KubeObject]),
      ...o.pods.map((x) => [GVR.pods, x] as [typeof GVR.pods, KubeObject]),
    ]);
    const host = randomLoopback();
    const dns = startClusterDNS({ client, address: host, port: 0, upstreams: [] });
    try {
      const addr = await dns.listening;
      assert.ok(addr);
      assert.equal(await dns.synced(), true);
      assert.deepEqual(data(await queryUDP(host, addr.port, query('web.default.svc.cluster.local', 'A'))), ['10.96.0.50']);
      assert.equal((await queryUDP(host, addr.port, query('api.default.svc.cluster.local', 'A'))).rcode, 'NXDOMAIN');
      await client.create(GVR.services, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: 'default' },
        spec: { clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      });
      const deadline = Date.now() + 20_000;
      let got: string[] = [];
      while (Date.now() < deadline) {
        got = data(await queryUDP(host, addr.port, query('api.default.svc.cluster.local', 'A')));
        if (got.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(got, ['10.96.7.7']);
      // Outside the zone with no upstreams: SERVFAIL, not a hang.
      assert.equal((await queryUDP(host, addr.port, query('example.com', 'A'))).rcode, 'SERVFAIL');
      await dns.stop();
      const u = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        u.once('error', reject);
        u.bind(addr.port, host, () => resolve());
      });
      u.close();
    } finally {
      await dns.stop();
    }
  });
});
