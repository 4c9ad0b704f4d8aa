/**
 * Unit tests of the iptables rule generator. Chain hashes are checked against upstream's
 * proxier_test.go data (ns1/svc1:p80 tcp → KUBE-SVC-XPGD46QRK7WJZT7O, endpoint 10.180.0.1:80 →
 * KUBE-SEP-SXIVWICOYRO3J4NJ); rule lines follow upstream's syncProxyRules output with Skiff's prefix.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  base32,
  chainHash,
  generateRules,
  jumpRules,
  MAX_CHAIN_NAME,
  servicePortChainName,
  servicePortEndpointChainName,
  type ProxyEndpointSlice,
  type ProxyService,
  type RuleConfig,
} from './rules.ts';
import { cleanupRestoreInput, missingJumps, parseSave } from './iptables.ts';

const cfg: RuleConfig = { chainPrefix: 'SKIFF', commentPrefix: 'skiff', nodeName: 'node1', clusterCIDR: '10.0.0.0/24' };

function svc(name: string, spec: ProxyService['spec'], ns = 'ns1'): ProxyService {
  return { metadata: { name, namespace: ns }, spec };
}
function slice(svcName: string, eps: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string }[], ports: { name?: string; port: number; protocol?: string }[], ns = 'ns1'): ProxyEndpointSlice {
  return {
    metadata: { name: `${svcName}-abc`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true, serving: e.serving, terminating: e.terminating }, nodeName: e.node })),
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Splits restore text into {nat, filter} line arrays (without the *table / COMMIT lines). */
function tables(restore: string): { nat: string[]; filter: string[] } {
  const out = { nat: [] as string[], filter: [] as string[] };
  let cur: string[] | undefined;
  for (const l of restore.split('\n')) {
    if (l === '*nat') cur = out.nat;
    else if (l === '*filter') cur = out.filter;
    else if (l === 'COMMIT') cur = undefined;
    else if (l && cur) cur.push(l);
  }
  return out;
}

/** Upstream's checkIPTablesRuleJumps: every jump target / filled chain is declared; no declared chain is unused. */
function checkRuleJumps(restore: string): void {
  const t = tables(restore);
  for (const [name, lines] of Object.entries(t)) {
    const created = new Set(lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
    for (const l of lines) if (l.startsWith('-X ')) created.delete(l.slice(3));
    const filled = new Set(lines.filter((l) => l.startsWith('-A ')).map((l) => l.split(' ')[1]));
    const jumped = new Set(lines.map((l) => / -j (\S+)/.exec(l)?.[1]).filter((x): x is string => !!x));
    for (const b of ['ACCEPT', 'REJECT', 'DROP', 'MARK', 'RETURN', 'DNAT', 'MASQUERADE']) jumped.delete(b);
    for (const c of [...jumped, ...filled]) assert.ok(created.has(c), `${name}: ${c} used but not created`);
    for (const c of jumped) if (c !== 'SKIFF-NODEPORTS') assert.ok(filled.has(c), `${name}: ${c} jumped to but empty`);
  }
}

describe('chain names', () => {
  test('hashes match upstream (base32(sha256(name + protocol [+ endpoint]))[:16])', () => {
    assert.equal(chainHash('ns1/svc1:p80tcp'), 'XPGD46QRK7WJZT7O');
    assert.equal(servicePortChainName('KUBE', 'SVC', 'ns1/svc1:p80', 'TCP'), 'KUBE-SVC-XPGD46QRK7WJZT7O');
    assert.equal(servicePortEndpointChainName('KUBE', 'ns1/svc1:p80', 'TCP', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
  test('base32 is RFC 4648', () => {
    assert.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32(Buffer.from('f')), 'MY');
  });
  test('a long prefix shortens the hash to stay within 28 characters', () => {
    const n = servicePortChainName('ABCDEFGHIJ', 'SVC', 'ns1/svc1:p80', 'TCP');
    assert.equal(n.length, MAX_CHAIN_NAME);
    assert.ok(n.startsWith('ABCDEFGHIJ-SVC-XPGD46QRK7WJZ'));
    assert.ok(servicePortEndpointChainName('ABCDEFGHIJ', 'ns1/svc1:p80', 'TCP', '10.180.0.1:80').length <= MAX_CHAIN_NAME);
  });
});

describe('generateRules', () => {
  const svcChain = 'SKIFF-SVC-XPGD46QRK7WJZT7O';
  const sep1 = 'SKIFF-SEP-SXIVWICOYRO3J4NJ';
  const sep2 = servicePortEndpointChainName('SKIFF', 'ns1/svc1:p80', 'TCP', '10.180.0.2:80');

  test('ClusterIP service with 2 ready endpoints', () => {
    const g = generateRules(
      cfg,
      [svc('svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] })],
      [slice('svc1', [{ ip: '10.180.0.2' }, { ip: '10.180.0.1' }], [{ name: 'p80', port: 80 }])],
    );
    const t = tables(g.restore);
    assert.deepEqual(t.nat, [
      ':SKIFF-SERVICES - [0:0]',
      ':SKIFF-NODEPORTS - [0:0]',
      ':SKIFF-POSTROUTING - [0:0]',
      ':SKIFF-MARK-MASQ - [0:0]',
      `:${svcChain} - [0:0]`,
      `:${sep1} - [0:0]`,
      `:${sep2} - [0:0]`,
      '-A SKIFF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A SKIFF-POSTROUTING -j MARK --xor-mark 0x4000',
      '-A SKIFF-POSTROUTING -m comment --comment "skiff service traffic requiring SNAT" -j MASQUERADE --random-fully',
      '-A SKIFF-MARK-MASQ -j MARK --or-mark 0x4000',
      `-A SKIFF-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j ${svcChain}`,
      `-A ${svcChain} ! -s 10.0.0.0/24 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j SKIFF-MARK-MASQ`,
      `-A ${svcChain} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
      `-A ${svcChain} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${sep2}`,
      '-A SKIFF-SERVICES -m addrtype --dst-type LOCAL -m comment --comment "skiff service nodeports; NOTE: this must be the last rule in this chain" -j SKIFF-NODEPORTS',
      `-A ${sep1} -s 10.180.0.1/32 -m comment --comment "ns1/svc1:p80" -j SKIFF-MARK-MASQ`,
      `-A ${sep1} -p tcp -m comment --comment "ns1/svc1:p80" -m tcp -j DNAT --to-destination 10.180.0.1:80`,
      `-A ${sep2} -s 10.180.0.2/32 -m comment --comment "ns1/svc1:p80" -j SKIFF-MARK-MASQ`,
      `-A ${sep2} -p tcp -m comment --comment "ns1/svc1:p80" -m tcp -j DNAT --to-destination 10.180.0.2:80`,
    ]);
    // filter: only the fixed chains, no REJECT.
    assert.ok(!t.filter.some((l) => l.includes('REJECT')));
    assert.equal(g.servicePorts, 1);
    assert.equal(g.hasNodePorts, false);
    checkRuleJumps(g.restore);
  });

  test('three endpoints: probabilities 1/3, 1/2, then unconditional', () => {
    const g = generateRules(
      cfg,
      [svc('svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] })],
      [slice('svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }, { ip: '10.180.0.3' }], [{ name: 'p80', port: 80 }])],
    );
    const probs = tables(g.restore).nat.filter((l) => l.startsWith(`-A ${svcChain} -m comment`)).map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last');
    assert.deepEqual(probs, ['0.3333333333', '0.5000000000', 'last']);
  });

  test('NodePort: nodeports chain → EXT chain (masquerade) → SVC chain', () => {
    const g = generateRules(
      cfg,
      [svc('svc2', { type: 'NodePort', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] })],
      [slice('svc2', [{ ip: '10.180.0.1' }], [{ name: 'p80', port: 8080 }])],
    );
    const ext = servicePortChainName('SKIFF', 'EXT', 'ns1/svc2:p80', 'TCP');
    const svc2 = servicePortChainName('SKIFF', 'SVC', 'ns1/svc2:p80', 'TCP');
    const nat = tables(g.restore).nat;
    assert.ok(nat.includes(`-A SKIFF-NODEPORTS -p tcp -m comment --comment "ns1/svc2:p80" -m tcp --dport 30080 -j ${ext}`));
    assert.ok(nat.includes(`-A ${ext} -m comment --comment "masquerade traffic for ns1/svc2:p80 external destinations" -j SKIFF-MARK-MASQ`));
    assert.ok(nat.includes(`-A ${ext} -j ${svc2}`));
    assert.ok(nat.some((l) => l.endsWith('-j DNAT --to-destination 10.180.0.1:8080')));
    assert.equal(g.hasNodePorts, true);
    checkRuleJumps(g.restore);
  });

  test('NodePort on restricted addresses (nodePortAddresses)', () => {
    const g = generateRules(
      { ...cfg, nodePortAddresses: ['127.0.0.0/8'] },
      [svc('svc2', { type: 'NodePort', clusterIP: '172.30.0.42', ports: [{ name: 'p80', port: 80, nodePort: 30080 }] })],
      [],
    );
    const t = tables(g.restore);
    assert.ok(t.nat.includes('-A SKIFF-SERVICES -d 127.0.0.0/8 -m comment --comment "skiff service nodeports; NOTE: this must be the last rule in this chain" -j SKIFF-NODEPORTS'));
    assert.ok(t.filter.includes('-A SKIFF-EXTERNAL-SERVICES -d 127.0.0.0/8 -p tcp -m comment --comment "ns1/svc2:p80 has no endpoints" -m tcp --dport 30080 -j REJECT'));
  });

  test('sessionAffinity ClientIP: recent --rcheck per endpoint before the random fan-out, recent --set in SEP', () => {
    const g = generateRules(
      cfg,
      [svc('svc1', { clusterIP: '172.30.0.41', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } }, ports: [{ name: 'p80', port: 80 }] })],
      [slice('svc1', [{ ip: '10.180.0.1' }, { ip: '10.180.0.2' }], [{ name: 'p80', port: 80 }])],
    );
    const nat = tables(g.restore).nat.filter((l) => l.startsWith(`-A ${svcChain} -m comment`));
    assert.deepEqual(nat, [
      `-A ${svcChain} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m recent --rcheck --seconds 300 --reap --name ${sep1} --mask 255.255.255.255 --rsource -j ${sep1}`,
      `-A ${svcChain} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -m recent --rcheck --seconds 300 --reap --name ${sep2} --mask 255.255.255.255 --rsource -j ${sep2}`,
      `-A ${svcChain} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
      `-A ${svcChain} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${sep2}`,
    ]);
    assert.ok(
      tables(g.restore).nat.includes(`-A ${sep1} -p tcp -m comment --comment "ns1/svc1:p80" -m recent --set --name ${sep1} --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.180.0.1:80`),
    );
    // default timeout is 10800 s
    const g2 = generateRules(cfg, [svc('svc1', { clusterIP: '172.30.0.41', sessionAffinity: 'ClientIP', ports: [{ name: 'p80', port: 80 }] })], [slice('svc1', [{ ip: '10.180.0.1' }], [{ name: 'p80', port: 80 }])]);
    assert.match(g2.restore, /--rcheck --seconds 10800 --reap/);
  });

  test('no endpoints: REJECT in filter, no SVC chain', () => {
    const g = generateRules(cfg, [svc('svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] })], []);
    const t = tables(g.restore);
    assert.ok(t.filter.includes('-A SKIFF-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp --dport 80 -j REJECT'));
    assert.ok(!t.nat.some((l) => l.includes('SKIFF-SVC-')));
    checkRuleJumps(g.restore);
  });

  test('only not-ready endpoints: falls back to serving+terminating ones; none of those → no endpoints', () => {
    const sv = svc('svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80 }] });
    const g = generateRules(cfg, [sv], [slice('svc1', [{ ip: '10.180.0.1', ready: false, serving: true, terminating: true }, { ip: '10.180.0.2', ready: false, serving: false, terminating: true }], [{ name: 'p80', port: 80 }])]);
    assert.match(g.restore, /DNAT --to-destination 10\.180\.0\.1:80/);
    assert.doesNotMatch(g.restore, /10\.180\.0\.2:80/);
    const g2 = generateRules(cfg, [sv], [slice('svc1', [{ ip: '10.180.0.1', ready: false, serving: false }], [{ name: 'p80', port: 80 }])]);
    assert.match(g2.restore, /has no endpoints/);
    // A ready endpoint wins over terminating ones.
    const g3 = generateRules(cfg, [sv], [slice('svc1', [{ ip: '10.180.0.1', ready: false, serving: true, terminating: true }, { ip: '10.180.0.3' }], [{ name: 'p80', port: 80 }])]);
    assert.doesNotMatch(g3.restore, /10\.180\.0\.1:80/);
    assert.match(g3.restore, /10\.180\.0\.3:80/);
  });

  test('headless and ExternalName services are skipped; ports are matched by name and protocol', () => {
    const g = generateRules(
      cfg,
      [
        svc('headless', { clusterIP: 'None', ports: [{ name: 'p80', port: 80 }] }),
        svc('ext', { type: 'ExternalName', ports: [] }),
        svc('multi', { clusterIP: '172.30.0.50', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
      ],
      [slice('multi', [{ ip: '10.180.0.9' }], [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'http', port: 9999, protocol: 'UDP' }])],
    );
    assert.equal(g.servicePorts, 2);
    assert.match(g.restore, /-p udp -m comment --comment "ns1\/multi:dns" -m udp -j DNAT --to-destination 10\.180\.0\.9:5353/);
    assert.match(g.restore, /-p tcp -m comment --comment "ns1\/multi:http" -m tcp -j DNAT --to-destination 10\.180\.0\.9:8080/);
    assert.doesNotMatch(g.restore, /9999/);
    checkRuleJumps(g.restore);
  });

  test('externalTrafficPolicy Local: NodePort only to local endpoints, cluster IP to all', () => {
    const g = generateRules(
      cfg,
      [svc('loc', { type: 'NodePort', externalTrafficPolicy: 'Local', clusterIP: '172.30.0.43', ports: [{ name: 'p', port: 80, nodePort: 30081 }] })],
      [slice('loc', [{ ip: '10.180.0.1', node: 'node1' }, { ip: '10.180.0.2', node: 'node2' }], [{ name: 'p', port: 80 }])],
    );
    const ext = servicePortChainName('SKIFF', 'EXT', 'ns1/loc:p', 'TCP');
    const svl = servicePortChainName('SKIFF', 'SVL', 'ns1/loc:p', 'TCP');
    const nat = tables(g.restore).nat;
    assert.ok(nat.includes(`-A ${ext} -j ${svl}`));
    const svlRules = nat.filter((l) => l.startsWith(`-A ${svl} `));
    assert.equal(svlRules.length, 1);
    assert.match(svlRules[0]!, /10\.180\.0\.1:80/);
    assert.ok(nat.some((l) => l.startsWith(`-A ${ext} -m comment --comment "masquerade LOCAL traffic`)));
    checkRuleJumps(g.restore);
  });

  test('stale chains are flushed and deleted; extra lines land before COMMIT', () => {
    const g = generateRules(cfg, [], [], { nat: ['SKIFF-SVC-OLD', 'SKIFF-SERVICES'], filter: [] }, { nat: ['-I OUTPUT 1 -j SKIFF-SERVICES'], filter: [] });
    const t = tables(g.restore);
    assert.ok(t.nat.includes(':SKIFF-SVC-OLD - [0:0]'));
    assert.ok(t.nat.includes('-X SKIFF-SVC-OLD'));
    assert.ok(!t.nat.includes('-X SKIFF-SERVICES'));
    assert.equal(t.nat.at(-1), '-I OUTPUT 1 -j SKIFF-SERVICES');
  });

  test('partial sync: unchanged service chains are left out; changed and new ones are rewritten', () => {
    const svcs = [svc('a', { clusterIP: '172.30.0.1', ports: [{ name: 'p', port: 80 }] }), svc('b', { clusterIP: '172.30.0.2', ports: [{ name: 'p', port: 80 }] })];
    const g1 = generateRules(cfg, svcs, [slice('a', [{ ip: '10.180.0.1' }], [{ name: 'p', port: 80 }]), slice('b', [{ ip: '10.180.0.2' }], [{ name: 'p', port: 80 }])]);
    const g2 = generateRules(
      cfg,
      svcs,
      [slice('a', [{ ip: '10.180.0.1' }], [{ name: 'p', port: 80 }]), slice('b', [{ ip: '10.180.0.3' }], [{ name: 'p', port: 80 }])],
      { nat: g1.natChains, filter: g1.filterChains },
      undefined,
      g1.chainContent,
    );
    const svcA = servicePortChainName('SKIFF', 'SVC', 'ns1/a:p', 'TCP');
    const svcB = servicePortChainName('SKIFF', 'SVC', 'ns1/b:p', 'TCP');
    const sepA = servicePortEndpointChainName('SKIFF', 'ns1/a:p', 'TCP', '10.180.0.1:80');
    const sepB2 = servicePortEndpointChainName('SKIFF', 'ns1/b:p', 'TCP', '10.180.0.2:80');
    const sepB3 = servicePortEndpointChainName('SKIFF', 'ns1/b:p', 'TCP', '10.180.0.3:80');
    const nat = tables(g2.restore).nat;
    assert.ok(!nat.some((l) => l.includes(svcA) && !l.startsWith('-A SKIFF-SERVICES')), 'unchanged SVC chain of a not rewritten');
    assert.ok(!nat.some((l) => l.includes(sepA)), 'unchanged SEP chain of a not rewritten');
    assert.ok(nat.includes(`-A SKIFF-SERVICES -d 172.30.0.1/32 -p tcp -m comment --comment "ns1/a:p cluster IP" -m tcp --dport 80 -j ${svcA}`), 'SERVICES always rewritten');
    assert.ok(nat.includes(`:${svcB} - [0:0]`));
    assert.ok(nat.includes(`:${sepB3} - [0:0]`));
    assert.ok(nat.includes(`-X ${sepB2}`));
    assert.ok(g2.rulesWritten < g2.ruleCount);
    assert.ok(g2.natChains.includes(svcA) && g2.natChains.includes(sepA), 'skipped chains stay active (not stale next time)');
  });

  test('1,000 services × 2 endpoints produce one restore with every chain declared', () => {
    const svcs: ProxyService[] = [];
    const slices: ProxyEndpointSlice[] = [];
    for (let i = 0; i < 1000; i++) {
      svcs.push(svc(`s${i}`, { clusterIP: `172.30.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80 }] }));
      slices.push(slice(`s${i}`, [{ ip: `10.1.${i >> 7}.${(i & 127) * 2}` }, { ip: `10.1.${i >> 7}.${(i & 127) * 2 + 1}` }], [{ name: 'http', port: 8080 }]));
    }
    const g = generateRules(cfg, svcs, slices);
    assert.equal(g.servicePorts, 1000);
    assert.equal(g.natChains.length, 4 + 1000 + 2000);
    checkRuleJumps(g.restore);
  });
});

describe('iptables-save handling', () => {
  const saved = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':CNI-HOSTPORT-DNAT - [0:0]',
    ':SKIFF-SERVICES - [0:0]',
    ':SKIFF-SVC-AAAA - [0:0]',
    ':SKIFFX-SERVICES - [0:0]',
    '-A PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES',
    '-A PREROUTING -m comment --comment "skiffx service portals" -j SKIFFX-SERVICES',
    '-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
    '-A SKIFF-SERVICES -d 10.96.0.1/32 -j SKIFF-SVC-AAAA',
    'COMMIT',
  ].join('\n');

  test('cleanup removes only the prefix chains and the jumps into them, by exact saved text', () => {
    const input = cleanupRestoreInput('SKIFF', { nat: parseSave(saved) });
    assert.equal(
      input,
      [
        '*nat',
        ':SKIFF-SERVICES - [0:0]',
        ':SKIFF-SVC-AAAA - [0:0]',
        '-D PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES',
        '-X SKIFF-SERVICES',
        '-X SKIFF-SVC-AAAA',
        'COMMIT',
        '',
      ].join('\n'),
    );
    assert.equal(cleanupRestoreInput('OTHER', { nat: parseSave(saved) }), '');
  });

  test('missingJumps lists only absent jump rules, as inserts at position 1', () => {
    const m = missingJumps(jumpRules(cfg), { nat: parseSave(saved), filter: parseSave('') });
    assert.deepEqual(m.nat, [
      '-I OUTPUT 1 -m comment --comment "skiff service portals" -j SKIFF-SERVICES',
      '-I POSTROUTING 1 -m comment --comment "skiff postrouting rules" -j SKIFF-POSTROUTING',
    ]);
    assert.equal(m.filter.length, 6);
  });
});
