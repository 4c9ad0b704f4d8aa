/**
 * e2e: stale UDP conntrack entries are deleted when a UDP Service's endpoint is replaced (kube-proxy's
 * CleanStaleEntries), with a real `skiff server` and the host's conntrack table.
 *
 * The endpoints are two network namespaces this test makes (`<prefix>-udpa`, `<prefix>-udpb`, veths
 * on the run's bridge, addresses .250/.251 of the run's pod CIDR), each running a tiny node UDP
 * responder that answers its own name; a selector-less Service `udp` (UDP 5005) gets a hand-written
 * EndpointSlice. The client is a UDP socket in the test process with a FIXED source port sending
 * every 100 ms, so its conntrack entry (DNAT to the first endpoint) never times out: without the
 * cleanup the flow would keep going to the dead endpoint forever; with it, the next packet after
 * the proxy sync is DNATed to the new endpoint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const sh = promisify(execFile);

const RESPONDER = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(process.argv[1], r.port, r.address));
s.bind(5005, () => console.log('listening'));`;

describe('e2e: UDP Service endpoint replaced → stale conntrack entry deleted', { timeout: 180_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  const responders = new Map<string, ChildProcess>();
  const made: { ns: string; veth: string }[] = [];
  let client: Socket | undefined;
  let base = '';

  /** A netns with a veth on the run's bridge, address `<base>.<host>/24`, running the responder that answers `name`. */
  async function endpoint(name: string, host: number): Promise<string> {
    const ns = `${id.prefix}-udp${name.toLowerCase()}`;
    const veth = `${id.prefix}u${name.toLowerCase()}`;
    const peer = `${veth}p`;
    const ip = `${base}.${host}`;
    made.push({ ns, veth });
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', peer]);
    await sh('ip', ['link', 'set', peer, 'netns', ns]);
    await sh('ip', ['link', 'set', veth, 'master', `${id.prefix}0`, 'up']);
    await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', peer]);
    await sh('ip', ['-n', ns, 'link', 'set', peer, 'up']);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', `${base}.1`]);
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', RESPONDER, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    responders.set(name, p);
    await new Promise<void>((resolve, reject) => {
      p.stdout!.once('data', () => resolve());
      p.once('exit', (code) => reject(new Error(`responder ${name} exited ${code}`)));
    });
    return ip;
  }

  async function removeEndpoint(name: string): Promise<void> {
    const p = responders.get(name);
    if (p && p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    }
    responders.delete(name);
    const m = made.find((x) => x.ns.endsWith(`-udp${name.toLowerCase()}`));
    if (m) {
      await sh('ip', ['link', 'del', m.veth]).catch(() => undefined);
      await sh('ip', ['netns', 'del', m.ns]).catch(() => undefined);
    }
  }

  const slice = (ip: string) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: udp-1
  labels:
    kubernetes.io/service-name: udp
addressType: IPv4
endpoints:
- addresses: ["${ip}"]
  conditions: { ready: true }
ports:
- name: u
  port: 5005
  protocol: UDP
`;

  before(async () => {
    id = newRunIdentity();
    base = id.clusterCIDR.split('/')[0]!.split('.').slice(0, 3).join('.');
    c = await startCluster(id);
  });

  after(async () => {
    try {
      client?.close();
      for (const name of [...responders.keys()]) await removeEndpoint(name);
      for (const m of made) {
        await sh('ip', ['link', 'del', m.veth]).catch(() => undefined);
        await sh('ip', ['netns', 'del', m.ns]).catch(() => undefined);
      }
      await c?.stop();
    } finally {
      const left = id ? await leftovers(id) : [];
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  test('the flow moves to the new endpoint once the old one is gone', async () => {
    await waitFor('bridge up', async () => (await sh('ip', ['link', 'show', `${id.prefix}0`]).then(() => true, () => undefined)), 30_000);
    const ipA = await endpoint('A', 250);
    const ipB = await endpoint('B', 251);
    await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Service
metadata:
  name: udp
spec:
  ports:
  - { name: u, port: 5005, protocol: UDP }
`,
    });
    await c.kubectl(['apply', '-f', '-'], { input: slice(ipA) });
    const clusterIP: string = JSON.parse(await c.kubectl(['get', 'service', 'udp', '-o', 'json'])).spec.clusterIP;

    // One client flow: fixed source port, a packet every 100 ms.
    const replies: { from: string; at: number }[] = [];
    client = createSocket('udp4');
    client.on('message', (m) => replies.push({ from: m.toString(), at: Date.now() }));
    client.on('error', () => undefined);
    await new Promise<void>((r) => client!.bind(0, r));
    const sport = client.address().port;
    const timer = setInterval(() => client?.send('ping', 5005, clusterIP), 100);
    try {
      await waitFor('endpoint A answers through the ClusterIP', () => replies.some((r) => r.from === 'A'), 60_000);
      const entry = async () => (await sh('conntrack', ['-L', '-p', 'udp', '--orig-dst', clusterIP, '--orig-port-src', String(sport)])).stdout;
      assert.match(await entry(), new RegExp(`src=${ipA.replace(/\./g, '\\.')} `), 'the flow is DNATed to A');

      // A dies; the EndpointSlice moves to B. The flow's entry would keep pointing at A.
      await removeEndpoint('A');
      const t0 = Date.now();
      await c.kubectl(['apply', '-f', '-'], { input: slice(ipB) });
      await waitFor('the same flow reaches endpoint B', () => replies.some((r) => r.from === 'B' && r.at >= t0), 30_000, 100);
      const ms = replies.find((r) => r.from === 'B' && r.at >= t0)!.at - t0;
      console.log(`UDP flow moved to the new endpoint ${ms} ms after the EndpointSlice update`);
      assert.match(await entry(), new RegExp(`src=${ipB.replace(/\./g, '\\.')} `), 'the flow is DNATed to B now');
    } finally {
      clearInterval(timer);
    }
    await c.kubectl(['delete', 'service', 'udp']);
    await c.kubectl(['delete', 'endpointslice', 'udp-1']);
  });
});
