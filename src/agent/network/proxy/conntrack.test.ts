import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanStaleEntries, ipv4InCIDR, parseConntrackList, staleEntryFilters, udpServiceState, type ConntrackExec } from './conntrack.ts';
import type { ProxyEndpointSlice, ProxyService } from './rules.ts';

const LIST = `udp      17 118 src=10.201.5.1 dst=10.150.7.20 sport=40000 dport=5005 src=10.201.5.250 dst=10.201.5.1 sport=5005 dport=40000 [ASSURED] mark=0 use=1
udp      17 25 src=10.201.5.1 dst=10.150.7.20 sport=40001 dport=5005 [UNREPLIED] src=10.150.7.20 dst=10.201.5.1 sport=5005 dport=40001 mark=0 use=1
udp      17 100 src=10.201.5.1 dst=10.150.7.20 sport=40002 dport=5005 src=10.201.5.251 dst=10.201.5.1 sport=5005 dport=40002 [ASSURED] mark=0 use=1
udp      17 100 src=192.168.1.5 dst=192.168.1.9 sport=5000 dport=31000 src=10.201.5.250 dst=10.201.5.1 sport=5005 dport=5000 [ASSURED] mark=0 use=1
udp      17 100 src=192.168.1.5 dst=192.168.1.9 sport=5000 dport=31000 src=10.99.0.4 dst=192.168.1.5 sport=5005 dport=5000 [ASSURED] mark=0 use=1
udp      17 29 src=127.0.0.1 dst=127.0.0.53 sport=41000 dport=53 src=127.0.0.53 dst=127.0.0.1 sport=53 dport=41000 mark=0 use=1
tcp      6 431999 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 [ASSURED] mark=0 use=1
`;

const svc: ProxyService = {
  metadata: { name: 'udp', namespace: 'default' },
  spec: { clusterIP: '10.150.7.20', ports: [{ name: 'u', port: 5005, protocol: 'UDP', nodePort: 31000 }, { name: 't', port: 80, protocol: 'TCP' }] },
};
const slice = (ips: Record<string, boolean>): ProxyEndpointSlice => ({
  metadata: { name: 'udp-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'udp' } },
  addressType: 'IPv4',
  endpoints: Object.entries(ips).map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
  ports: [{ name: 'u', port: 5005, protocol: 'UDP' }, { name: 't', port: 8080, protocol: 'TCP' }],
});

describe('conntrack: stale UDP entries (upstream CleanStaleEntries)', () => {
  test('parses original destination and reply source; skips non-UDP lines', () => {
    const e = parseConntrackList(LIST);
    assert.equal(e.length, 6);
    assert.deepEqual(e[0], { origDst: '10.150.7.20', origDport: 5005, replySrc: '10.201.5.250' });
    assert.deepEqual(e[1], { origDst: '10.150.7.20', origDport: 5005, replySrc: '10.150.7.20' });
  });

  test('state: serving endpoints of UDP ports only, per frontend and NodePort', () => {
    const st = udpServiceState([svc], [slice({ '10.201.5.251': true, '10.201.5.252': false })]);
    assert.deepEqual([...st.frontends.keys()], ['10.150.7.20:5005']);
    assert.deepEqual([...st.frontends.get('10.150.7.20:5005')!], ['10.201.5.251']);
    assert.deepEqual([...st.nodePorts.get(31000)!], ['10.201.5.251']);
    assert.equal(udpServiceState([svc], [slice({ '10.201.5.251': false })]).frontends.size, 0, 'no serving endpoint: nothing to clean');
  });

  test('endpoint replaced: flows to the dead endpoint and un-NATed flows are deleted, the live one and unrelated entries stay', () => {
    const st = udpServiceState([svc], [slice({ '10.201.5.251': true })]);
    const f = staleEntryFilters(parseConntrackList(LIST), st, (ip) => ipv4InCIDR(ip, '10.201.5.0/24'));
    assert.deepEqual(f, [
      ['--orig-dst', '10.150.7.20', '--orig-port-dst', '5005', '--reply-src', '10.201.5.250'],
      ['--orig-dst', '10.150.7.20', '--orig-port-dst', '5005', '--reply-src', '10.150.7.20'],
      ['--orig-port-dst', '31000', '--reply-src', '10.201.5.250'],
    ]);
  });

  test('cleanStaleEntries lists once and deletes each filter; no UDP endpoints → no listing', async () => {
    const calls: string[] = [];
    const exec: ConntrackExec = {
      async listUDP() {
        calls.push('list');
        return LIST;
      },
      async delete(filter) {
        calls.push(filter.join(' '));
        return 1;
      },
    };
    assert.equal(await cleanStaleEntries(exec, [svc], [slice({ '10.201.5.251': false })], '10.201.5.0/24'), 0);
    assert.deepEqual(calls, []);
    assert.equal(await cleanStaleEntries(exec, [svc], [slice({ '10.201.5.251': true })], '10.201.5.0/24'), 3);
    assert.equal(calls[0], 'list');
    assert.equal(calls.length, 4);
  });

  test('ipv4InCIDR', () => {
    assert.equal(ipv4InCIDR('10.201.5.250', '10.201.5.0/24'), true);
    assert.equal(ipv4InCIDR('10.201.6.1', '10.201.5.0/24'), false);
    assert.equal(ipv4InCIDR('1.2.3.4', '0.0.0.0/0'), true);
    assert.equal(ipv4InCIDR('x', '10.0.0.0/8'), false);
  });
});
