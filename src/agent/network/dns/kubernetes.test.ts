/**
 * Record resolution of the kubernetes plugin: a table of queries → rcode + answers, with expected
 * values from the Kubernetes DNS specification (kubernetes/dns docs/specification.md) and CoreDNS'
 * kubernetes plugin semantics (NXDOMAIN vs NODATA, SOA in authority, SRV weights, reverse).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer, RecordType } from 'dns-packet';
import { extractAddressFromReverse, Kubernetes, parseRequest, InvalidRequestError } from './kubernetes.ts';
import { fixtureStores } from './test-fixtures.ts';

type Row = {
  q: string;
  type: RecordType;
  /** undefined = not answered by the plugin (forwarded). */
  rcode?: string;
  /** Answers as "TYPE data" strings (order-insensitive). */
  answers?: string[];
  additionals?: string[];
  soa?: boolean;
};

function fmt(a: Answer): string {
  const d = (a as { data: unknown }).data;
  if (a.type === 'SRV') {
    const s = d as { priority: number; weight: number; port: number; target: string };
    return `SRV ${s.priority} ${s.weight} ${s.port} ${s.target}`;
  }
  if (a.type === 'SOA') return `SOA ${(d as { mname: string }).mname}`;
  if (a.type === 'TXT') return `TXT ${([] as unknown[]).concat(d).map(String).join(' ')}`;
  return `${a.type} ${String(d)}`;
}

const table: Row[] = [
  // Services: ClusterIP.
  { q: 'web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.96.0.50'] },
  { q: 'kube-dns.kube-system.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.96.0.10'] },
  // IPv4-only name asked for AAAA: NODATA with the SOA.
  { q: 'web.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: [], soa: true },
  // Unknown service / namespace: NXDOMAIN with the SOA.
  { q: 'nope.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', answers: [], soa: true },
  { q: 'web.nons.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', answers: [], soa: true },
  { q: 'nope.default.svc.cluster.local', type: 'AAAA', rcode: 'NXDOMAIN', answers: [], soa: true },
  // ndots:5 search expansion of an already-qualified name.
  { q: 'web.default.svc.cluster.local.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { q: 'example.com.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  // Too many labels.
  { q: 'a.b.c.web.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  // Headless: ready endpoints only (ready unset counts as ready).
  { q: 'db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.88.0.5', 'A 10.88.0.6', 'A 10.88.0.8'] },
  { q: 'empty.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  // Per-endpoint names: hostname (StatefulSet), pod hostname+subdomain, dashed IP.
  { q: 'db-0.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.88.0.5'] },
  { q: 'db-1.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.88.0.6'] },
  { q: '10-88-0-8.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.88.0.8'] },
  { q: 'db-2.db.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { q: '10-88-0-20.web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.88.0.20'] },
  // SRV.
  {
    q: '_http._tcp.web.default.svc.cluster.local',
    type: 'SRV',
    rcode: 'NOERROR',
    answers: ['SRV 0 100 80 web.default.svc.cluster.local'],
    additionals: ['A 10.96.0.50'],
  },
  {
    q: 'web.default.svc.cluster.local',
    type: 'SRV',
    rcode: 'NOERROR',
    answers: ['SRV 0 50 80 web.default.svc.cluster.local', 'SRV 0 50 443 web.default.svc.cluster.local'],
    additionals: ['A 10.96.0.50'],
  },
  {
    q: '_mysql._tcp.db.default.svc.cluster.local',
    type: 'SRV',
    rcode: 'NOERROR',
    answers: [
      'SRV 0 33 3306 db-0.db.default.svc.cluster.local',
      'SRV 0 33 3306 db-1.db.default.svc.cluster.local',
      'SRV 0 33 3306 10-88-0-8.db.default.svc.cluster.local',
    ],
    additionals: ['A 10.88.0.5', 'A 10.88.0.6', 'A 10.88.0.8'],
  },
  { q: '_dns._udp.kube-dns.kube-system.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['SRV 0 100 53 kube-dns.kube-system.svc.cluster.local'] },
  { q: '_http._udp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN', soa: true },
  { q: '_nope._tcp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN', soa: true },
  // Pods (pods insecure).
  { q: '10-88-0-99.default.pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.88.0.99'] },
  { q: '10-88-0-99.nons.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { q: 'notanip.default.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  // Intermediate names exist without data.
  { q: 'default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: true },
  { q: 'nons.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { q: 'svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: true },
  { q: 'cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: true },
  { q: 'foo.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  // Apex records, dns-version, the name server.
  { q: 'cluster.local', type: 'SOA', rcode: 'NOERROR', answers: ['SOA ns.dns.cluster.local'] },
  { q: 'cluster.local', type: 'NS', rcode: 'NOERROR', answers: ['NS ns.dns.cluster.local'], additionals: ['A 10.96.0.10'] },
  { q: 'ns.dns.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['A 10.96.0.10'] },
  { q: 'dns-version.cluster.local', type: 'TXT', rcode: 'NOERROR', answers: ['TXT 1.1.0'] },
  // ExternalName.
  { q: 'ext.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['CNAME example.com'] },
  { q: 'ext.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['SRV 0 100 0 example.com'] },
  { q: 'x.ext.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  { q: 'extip.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: true },
  // Other types: NODATA for existing names, NXDOMAIN otherwise.
  { q: 'web.default.svc.cluster.local', type: 'MX', rcode: 'NOERROR', answers: [], soa: true },
  { q: 'nope.default.svc.cluster.local', type: 'MX', rcode: 'NXDOMAIN', soa: true },
  { q: 'web.default.svc.cluster.local', type: 'TXT', rcode: 'NOERROR', answers: [], soa: true },
  { q: 'cluster.local', type: 'AXFR', rcode: 'REFUSED', answers: [] },
  // Reverse: ClusterIP, endpoint (hostname), endpoint (dashed).
  { q: '50.0.96.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['PTR web.default.svc.cluster.local'] },
  { q: '5.0.88.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['PTR db-0.db.default.svc.cluster.local'] },
  { q: '8.0.88.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['PTR 10-88-0-8.db.default.svc.cluster.local'] },
  // A pod IP that is no endpoint: CoreDNS's reverse.go has no record, the query falls through (forwarded).
  { q: '30.0.88.10.in-addr.arpa', type: 'PTR' },
  // Not ready endpoint, unknown address, non-PTR reverse, and names outside the zone: forwarded.
  { q: '7.0.88.10.in-addr.arpa', type: 'PTR' },
  { q: '1.2.0.192.in-addr.arpa', type: 'PTR' },
  { q: '50.0.96.10.in-addr.arpa', type: 'A' },
  { q: 'example.com', type: 'A' },
  { q: 'cluster.local.example.com', type: 'A' },
];

describe('Kubernetes records (CoreDNS kubernetes plugin semantics)', () => {
  const k = new Kubernetes({ stores: fixtureStores(), nsIPs: ['10.96.0.10'] });
  for (const row of table) {
    test(`${row.type} ${row.q}`, () => {
      const r = k.serveDNS({ name: row.q, type: row.type, class: 'IN' });
      if (row.rcode === undefined) {
        assert.equal(r, undefined, 'forwarded');
        return;
      }
      assert.ok(r);
      assert.equal(r.rcode, row.rcode);
      if (row.answers) assert.deepEqual(r.answers.map(fmt).sort(), [...row.answers].sort());
      if (row.additionals) assert.deepEqual(r.additionals.map(fmt).sort(), [...row.additionals].sort());
      if (row.soa) {
        assert.equal(r.authorities.length, 1);
        assert.equal(fmt(r.authorities[0]), 'SOA ns.dns.cluster.local');
      }
      for (const a of [...r.answers, ...r.additionals, ...r.authorities]) assert.equal((a as { ttl?: number }).ttl, 5, 'TTL 5 s');
      if (r.rcode !== 'REFUSED' && r.rcode !== 'SERVFAIL') assert.equal(r.authoritative, true);
      for (const a of r.answers) assert.equal(a.name, row.q, 'answers are named as asked');
    });
  }

  test('answers keep the case of the question', () => {
    const r = k.serveDNS({ name: 'WEB.Default.svc.Cluster.Local', type: 'A', class: 'IN' });
    assert.equal(r?.rcode, 'NOERROR');
    assert.deepEqual(r?.answers.map((a) => [a.name, (a as { data: string }).data]), [['WEB.Default.svc.Cluster.Local', '10.96.0.50']]);
    assert.equal(r?.authorities.length, 0);
    const nx = k.serveDNS({ name: 'NOPE.default.svc.Cluster.Local', type: 'A', class: 'IN' });
    assert.equal(nx?.authorities[0].name, 'Cluster.Local');
  });

  test('SOA: ns.dns.<zone>, hostmaster.<zone>, 7200/1800/86400, minimum = TTL', () => {
    const soa = k.soa() as unknown as { name: string; data: Record<string, unknown> };
    assert.equal(soa.name, 'cluster.local');
    assert.deepEqual({ ...soa.data, serial: 0 }, {
      mname: 'ns.dns.cluster.local',
      rname: 'hostmaster.cluster.local',
      serial: 0,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: 5,
    });
  });

  test('name errors before the informers synced are SERVFAIL', () => {
    const unsynced = new Kubernetes({ stores: fixtureStores(), hasSynced: () => false });
    assert.equal(unsynced.serveDNS({ name: 'nope.default.svc.cluster.local', type: 'A', class: 'IN' })?.rcode, 'SERVFAIL');
    assert.equal(unsynced.serveDNS({ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' })?.rcode, 'NOERROR');
  });

  test('another cluster domain', () => {
    const other = new Kubernetes({ stores: fixtureStores(), zone: 'corp.internal.' });
    assert.deepEqual(other.serveDNS({ name: 'web.default.svc.corp.internal', type: 'A', class: 'IN' })?.answers.map(fmt), ['A 10.96.0.50']);
    assert.equal(other.serveDNS({ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }), undefined);
  });
});

describe('parseRequest / extractAddressFromReverse', () => {
  test('the three shapes', () => {
    assert.deepEqual(parseRequest('_http._tcp.web.default.svc.cluster.local', 'cluster.local'), {
      port: 'http',
      protocol: 'tcp',
      endpoint: '',
      service: 'web',
      namespace: 'default',
      podOrSvc: 'svc',
    });
    assert.deepEqual(parseRequest('web-0.web.default.svc.cluster.local', 'cluster.local'), {
      port: '',
      protocol: '',
      endpoint: 'web-0',
      service: 'web',
      namespace: 'default',
      podOrSvc: 'svc',
    });
    assert.equal(parseRequest('svc.cluster.local', 'cluster.local').podOrSvc, '');
    assert.throws(() => parseRequest('a.b.c.d.e.svc.cluster.local', 'cluster.local'), InvalidRequestError);
    assert.throws(() => parseRequest('foo.cluster.local', 'cluster.local'), InvalidRequestError);
  });

  test('reverse names', () => {
    assert.equal(extractAddressFromReverse('4.3.2.1.in-addr.arpa'), '1.2.3.4');
    assert.equal(extractAddressFromReverse('4.3.2.in-addr.arpa'), '');
    assert.equal(extractAddressFromReverse(`${'2.0.0.0.'}${'0.0.0.0.'.repeat(6)}0.0.d.f.ip6.arpa`), 'fd00::2');
  });
});
