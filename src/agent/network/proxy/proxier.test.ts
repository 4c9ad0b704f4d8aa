/**
 * Integration test of the iptables proxier on the host (root): two busybox httpd pods on a per-run
 * bridge (RuncRuntime + CNI), a Service and an EndpointSlice written through FakeClient, and the
 * real Proxier (informers → one iptables-restore per sync) under a per-run chain prefix and a per-run
 * service CIDR. Checks ClusterIP load balancing from the host, hairpin from inside a pod, NodePort on
 * 127.0.0.1, ClientIP affinity, connection refused without endpoints, and that stop() leaves no
 * chain, rule, route or sysctl change behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClient } from '../../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../../client/interface.ts';
import type { ContainerConfig, PodSandboxConfig } from '../../runtime/types.ts';
import { RuncRuntime } from '../../runtime/runc/runtime.ts';
import { buildBusyboxRootfs, leftovers, perRunNames, StaticImageResolver } from '../../runtime/runc/test-support.ts';
import { Proxier } from './proxier.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(f: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** GET over a fresh connection (no keep-alive, so every request is a new conntrack entry). */
function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('Proxier (real iptables, real pods)', () => {
  const n = perRunNames();
  const b = randomBytes(2);
  const serviceCIDR = `10.${250 + (b[0]! % 5)}.${b[1]}.0/24`;
  const vip = serviceCIDR.replace(/0\/24$/, '10');
  const nodePort = 30000 + (b[1]! * 7 + b[0]!) % 2700;
  const chainPrefix = n.prefix.toUpperCase();
  let base = '';
  let rt: RuncRuntime;
  let proxier: Proxier | undefined;
  const client = new FakeClient();
  const pods: { name: string; ip: string; container: string }[] = [];
  let natTableExisted = true;

  const sandboxConfig = (name: string): PodSandboxConfig => ({
    metadata: { name, namespace: 'default', uid: `uid-${name}-${n.prefix}`, attempt: 0 },
    hostname: name,
    labels: { 'io.kubernetes.pod.name': name },
    annotations: {},
    portMappings: [],
  });
  const containerConfig = (name: string, command: string[]): ContainerConfig => ({
    metadata: { name, attempt: 0 },
    image: 'busybox',
    command,
    envs: [],
    mounts: [],
    labels: { 'io.kubernetes.container.name': name },
    annotations: {},
    logPath: join(base, 'logs', `${name}.log`),
  });
  const service = (extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'NodePort', clusterIP: vip, clusterIPs: [vip], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort }], ...extra },
  });
  const slice = (ips: string[]): KubeObject => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node1' })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  } as KubeObject);

  before(async () => {
    base = await mkdtemp(join(tmpdir(), `${n.prefix}-proxy-`));
    await buildBusyboxRootfs(join(base, 'image'));
    natTableExisted = execFileSync('nft', ['list', 'tables']).toString().includes('table ip nat');
    rt = new RuncRuntime({
      stateDir: join(base, 'state'),
      runcRoot: join(base, 'runc'),
      prefix: n.prefix,
      images: new StaticImageResolver(join(base, 'image'), { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/' }),
      cni: { bridge: n.bridge, subnet: n.subnet },
      cgroupParent: n.cgroupParent,
    });
    for (const name of ['web-a', 'web-b']) {
      const sbc = sandboxConfig(name);
      const sb = await rt.runPodSandbox(sbc);
      const ip = (await rt.podSandboxStatus(sb)).ip!;
      const c = await rt.createContainer(sb, containerConfig('httpd', ['sh', '-c', 'hostname > /www/index.html; exec httpd -f -p 8080 -h /www']), sbc);
      await rt.startContainer(c);
      pods.push({ name, ip, container: c });
    }
    for (const p of pods) assert.equal(await eventually(() => httpGet(`http://${p.ip}:8080/`).catch(() => undefined), `pod ${p.name}`), p.name);
  });

  after(async () => {
    await proxier?.stop();
    let cleanupErr: unknown;
    try {
      if (rt) await rt.cleanupAll();
    } catch (e) {
      cleanupErr = e;
    }
    const left = base ? await leftovers({ ...n, stateDir: join(base, 'state'), runcRoot: join(base, 'runc') }) : [];
    const save = execFileSync('iptables-save').toString();
    for (const l of save.split('\n')) if (l.includes(`${chainPrefix}-`)) left.push(`iptables ${l}`);
    if (!natTableExisted) {
      const rules = execFileSync('iptables', ['-t', 'nat', '-S']).toString().split('\n').filter((l) => l && !l.startsWith('-P'));
      if (rules.every((l) => l.includes('CNI-HOSTPORT-'))) execFileSync('nft', ['delete', 'table', 'ip', 'nat'], { stdio: 'ignore' });
    }
    if (left.length === 0 && base) await rm(base, { recursive: true, force: true });
    assert.equal(cleanupErr, undefined);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  test('ClusterIP, hairpin, NodePort on 127.0.0.1, affinity, no endpoints, cleanup', async () => {
    // A stale chain + jump from a "crashed" run with the same prefix is removed at start.
    execFileSync('iptables-restore', ['-w', '5', '--noflush'], {
      input: `*nat\n:${chainPrefix}-SVC-STALE - [0:0]\n-A OUTPUT -m comment --comment "stale" -j ${chainPrefix}-SVC-STALE\nCOMMIT\n`,
    });
    const localnetFile = `/proc/sys/net/ipv4/conf/${n.bridge}/route_localnet`;
    const localnetBefore = (await readFile(localnetFile, 'utf8')).trim();

    await client.create(GVR.services, 'default', service());
    await client.create(GVR.endpointslices, 'default', slice(pods.map((p) => p.ip)));
    proxier = new Proxier({
      client,
      nodeName: 'node1',
      resourcePrefix: n.prefix,
      serviceCIDR,
      bridge: n.bridge,
      clusterCIDR: n.subnet,
      nodePortAddresses: ['127.0.0.0/8'],
      minSyncPeriodMs: 50,
    });
    await proxier.start();
    assert.ok(!execFileSync('iptables-save').toString().includes(`${chainPrefix}-SVC-STALE`), 'stale chain removed at start');
    await eventually(async () => proxier!.syncCount > 0, 'first sync');

    // Route for the service CIDR through the pod bridge.
    assert.match(execFileSync('ip', ['-o', 'route', 'show', 'exact', serviceCIDR]).toString(), new RegExp(`dev ${n.bridge}\\b`));

    // Host → ClusterIP: both endpoints answer across 30 requests.
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const body = await httpGet(`http://${vip}/`);
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ['web-a', 'web-b'], `answers: ${JSON.stringify([...seen])}`);

    // Hairpin: pod web-a → its own Service, reaching itself (and web-b) through the ClusterIP.
    const fromPod = new Set<string>();
    for (let i = 0; i < 20 && fromPod.size < 2; i++) {
      const r = await rt.execSync(pods[0]!.container, ['wget', '-q', '-O-', `http://${vip}/`], 10);
      assert.equal(r.exitCode, 0, `wget from pod: ${r.stderr.toString()}`);
      fromPod.add(r.stdout.toString().trim());
    }
    assert.deepEqual([...fromPod].sort(), ['web-a', 'web-b'], 'pod reaches both endpoints, itself included (hairpin)');

    // NodePort on 127.0.0.1 (route_localnet on the bridge + masquerade).
    const np = new Set<string>();
    for (let i = 0; i < 20; i++) np.add(await httpGet(`http://127.0.0.1:${nodePort}/`));
    assert.deepEqual([...np].sort(), ['web-a', 'web-b']);
    assert.equal((await readFile(localnetFile, 'utf8')).trim(), '1');

    // Exactly one copy of each jump rule, even after a periodic re-check.
    const jumps = () => execFileSync('iptables-save').toString().split('\n').filter((l) => / -j [A-Z0-9]+-/.test(l) && l.startsWith('-A ') && !l.startsWith(`-A ${chainPrefix}-`) && l.includes(`-j ${chainPrefix}-`));
    assert.equal(jumps().length, 9, jumps().join('\n'));

    // ClientIP affinity: every request from the host lands on one endpoint.
    await client.update(GVR.services, 'default', { ...service({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }), metadata: client.peek(GVR.services, 'default', 'web')!.metadata });
    await eventually(async () => execFileSync('iptables-save', ['-t', 'nat']).toString().includes('--rcheck'), 'affinity rules');
    const sticky = new Set<string>();
    for (let i = 0; i < 15; i++) sticky.add(await httpGet(`http://${vip}/`));
    assert.equal(sticky.size, 1, `affinity: ${[...sticky]}`);

    // Endpoints removed → connection refused (REJECT in filter).
    const cur = client.peek(GVR.endpointslices, 'default', 'web-abcde')!;
    await client.update(GVR.endpointslices, 'default', { ...slice([]), metadata: cur.metadata });
    const err = await eventually(
      () => httpGet(`http://${vip}/`).then(() => undefined, (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? e : undefined)),
      'connection refused without endpoints',
    );
    assert.equal(err.code, 'ECONNREFUSED');
    const err2 = await httpGet(`http://127.0.0.1:${nodePort}/`).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    assert.equal(err2?.code, 'ECONNREFUSED');

    // Stop: no chain or rule with the prefix, no route, sysctl restored; idempotent.
    await proxier.stop();
    await proxier.stop();
    const save = execFileSync('iptables-save').toString();
    assert.deepEqual(save.split('\n').filter((l) => l.includes(`${chainPrefix}-`) || l.includes(`"${n.prefix} `)), []);
    assert.equal(execFileSync('ip', ['-o', 'route', 'show', 'exact', serviceCIDR]).toString().trim(), '');
    assert.equal((await readFile(localnetFile, 'utf8')).trim(), localnetBefore);
  });
});
