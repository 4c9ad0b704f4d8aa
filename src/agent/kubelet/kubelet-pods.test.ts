import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { expand, getPodDNS, parseResolvConf, podHostnameAndDomain } from './kubelet-pods.ts';
import { quantityBytes, quantityMillis } from './volumes.ts';
import { defaultPullPolicy } from './images.ts';
import { Backoff, formatGoDuration } from './backoff.ts';
import { loadCases } from '../../machinery/testdata.ts';

const cases = loadCases<{ kind: string; input: string; method: string; expected: number; id: string }>('quantities.json').cases;

describe('kubelet helpers', () => {
  test('quantities: Value / MilliValue (shared/cases/quantities.json intValue)', () => {
    for (const c of cases.filter((x) => x.kind === 'intValue')) {
      const got = c.method === 'Value' ? quantityBytes(c.input) : quantityMillis(c.input);
      assert.equal(got, c.expected, `${c.id} ${c.method}(${c.input})`);
    }
  });

  test('$(VAR) expansion', () => {
    const vars = new Map([['A', 'x'], ['B', 'y']]);
    assert.equal(expand('$(A)-$(B)', vars), 'x-y');
    assert.equal(expand('$$(A)', vars), '$(A)');
    assert.equal(expand('$(C)', vars), '$(C)');
    assert.equal(expand('cost $5', vars), 'cost $5');
  });

  test('DNS per dnsPolicy', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-dns-test-'));
    try {
      const rc = path.join(dir, 'resolv.conf');
      writeFileSync(rc, 'nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n');
      assert.deepEqual(parseResolvConf(readFileSync(rc, 'utf8')), { servers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0'] });
      const pod: Pod = { metadata: { name: 'p', namespace: 'ns1' }, spec: { containers: [] } };
      assert.deepEqual(getPodDNS(pod, { clusterDNS: ['10.96.0.10'], resolvConf: rc }), {
        servers: ['10.96.0.10'],
        searches: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
        options: ['ndots:5'],
      });
      // ClusterFirst without cluster DNS falls back to the host's file.
      assert.equal(getPodDNS(pod, { resolvConf: rc }), undefined);
      const none: Pod = { ...pod, spec: { containers: [], dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }] } } };
      assert.deepEqual(getPodDNS(none, { clusterDNS: ['10.96.0.10'], resolvConf: rc }), { servers: ['1.1.1.1'], searches: ['a.example'], options: ['ndots:2'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hostname and subdomain', () => {
    assert.deepEqual(podHostnameAndDomain({ metadata: { name: 'web-0', namespace: 'ns' }, spec: { containers: [], subdomain: 'web' } }), { hostname: 'web-0', domain: 'web.ns.svc.cluster.local' });
    assert.deepEqual(podHostnameAndDomain({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [], hostname: 'h' } }), { hostname: 'h', domain: '' });
  });

  test('default pull policy', () => {
    assert.equal(defaultPullPolicy('busybox'), 'Always');
    assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
    assert.equal(defaultPullPolicy('127.0.0.1:5000/web'), 'Always');
    assert.equal(defaultPullPolicy('127.0.0.1:5000/web:1'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('busybox@sha256:abc'), 'IfNotPresent');
  });

  test('Go duration strings and back-off doubling with reset', () => {
    assert.deepEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 120, 1387].map(formatGoDuration), ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '120ms', '1.387s']);
    let now = 0;
    const b = new Backoff(10_000, 300_000, () => now);
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      b.next('k', now);
      seen.push(b.get('k'));
    }
    assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    assert.equal(b.isInBackOffSince('k', now), true);
    now += 300_000;
    assert.equal(b.isInBackOffSince('k', 0), false);
    // More than 2×max after the last failure (10 min of running): back to the initial delay.
    now = 600_001;
    b.next('k', now);
    assert.equal(b.get('k'), 10_000);
  });
});
