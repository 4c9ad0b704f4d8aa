/**
 * Cluster DNS from inside a real runc pod (root): startClusterDNS on the per-run bridge's gateway
 * address, port 53 — it creates the bridge and adds the address before any pod exists, and the
 * CNI bridge plugin must then accept that bridge — then busybox `nslookup` in a pod resolves a
 * Service name to its ClusterIP, through the pod's resolv.conf search path too, gets NXDOMAIN for
 * an unknown name, and a name outside the cluster is forwarded to a fake upstream on 127.0.0.x.
 * Everything uses a per-run prefix/bridge/subnet and is removed afterwards (asserted).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClient } from '../../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../../client/interface.ts';
import { RuncRuntime } from '../../runtime/runc/runtime.ts';
import { buildBusyboxRootfs, leftovers, perRunNames, StaticImageResolver } from '../../runtime/runc/test-support.ts';
import type { PodSandboxConfig } from '../../runtime/types.ts';
import { startClusterDNS, type ClusterDNS } from './cluster-dns.ts';
import { podCIDRGateway } from './kube-dns.ts';
import { fixtureObjects, randomLoopback, startFakeUpstream } from './test-fixtures.ts';

describe('cluster DNS answers busybox nslookup inside a runc pod', { timeout: 180_000 }, () => {
  const n = perRunNames();
  const gateway = podCIDRGateway(n.subnet);
  let base = '';
  let rt: RuncRuntime;
  let dns: ClusterDNS | undefined;
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>> | undefined;
  let ipForward = '';
  let natTableExisted = true;
  let nat6TableExisted = true;
  let container = '';

  before(async () => {
    base = await mkdtemp(join(tmpdir(), `${n.prefix}-dns-`));
    await buildBusyboxRootfs(join(base, 'image'));
    ipForward = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    const tables = execFileSync('nft', ['list', 'tables']).toString();
    natTableExisted = tables.includes('table ip nat');
    nat6TableExisted = tables.includes('table ip6 nat');
    rt = new RuncRuntime({
      stateDir: join(base, 'state'),
      runcRoot: join(base, 'runc'),
      prefix: n.prefix,
      images: new StaticImageResolver(join(base, 'image')),
      cni: { bridge: n.bridge, subnet: n.subnet },
      cgroupParent: n.cgroupParent,
    });
    const upstreamHost = randomLoopback();
    upstream = await startFakeUpstream(upstreamHost, { 'registry.example.org': '192.0.2.78' });
    const o = fixtureObjects();
    const client = new FakeClient([
      ...o.namespaces.map((x) => [GVR.namespaces, x] as [typeof GVR.namespaces, KubeObject]),
      ...o.services.map((x) => [GVR.services, x] as [typeof GVR.services, KubeObject]),
      ...o.slices.map((x) => [GVR.endpointslices, x] as [typeof GVR.endpointslices, KubeObject]),
      ...o.pods.map((x) => [GVR.pods, x] as [typeof GVR.pods, KubeObject]),
    ]);
    dns = startClusterDNS({
      client,
      address: gateway,
      bridge: { name: n.bridge, prefixLength: Number(n.subnet.split('/')[1]) },
      upstreams: [{ host: upstreamHost, port: upstream.port }],
    });
  });

  after(async () => {
    let err: unknown;
    try {
      await dns?.stop();
      await upstream?.close();
      if (rt) await rt.cleanupAll();
    } catch (e) {
      err = e;
    }
    const left = base ? await leftovers({ ...n, stateDir: join(base, 'state'), runcRoot: join(base, 'runc') }) : [];
    await writeFile('/proc/sys/net/ipv4/ip_forward', ipForward);
    const tablesNow = execFileSync('nft', ['list', 'tables']).toString();
    for (const [fam, cmd, existed] of [
      ['ip', 'iptables', natTableExisted],
      ['ip6', 'ip6tables', nat6TableExisted],
    ] as const) {
      if (existed || !tablesNow.includes(`table ${fam} nat`)) continue;
      const rules = execFileSync(cmd, ['-t', 'nat', '-S']).toString().split('\n').filter((l) => l && !l.startsWith('-P'));
      if (rules.every((l) => l.includes('CNI-HOSTPORT-'))) execFileSync('nft', ['delete', 'table', fam, 'nat'], { stdio: 'ignore' });
    }
    if (left.length === 0 && base) await rm(base, { recursive: true, force: true });
    assert.equal(err, undefined);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  test('the server binds the gateway before any pod (bridge + address made), and the pod network still comes up', async () => {
    const addr = await dns!.listening;
    assert.deepEqual(addr, { address: gateway, port: 53 });
    assert.match(execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', n.bridge]).toString(), new RegExp(` ${gateway.replace(/\./g, '\\.')}/24 `));
    const sbc: PodSandboxConfig = {
      metadata: { name: 'client', namespace: 'default', uid: `uid-client-${n.prefix}`, attempt: 0 },
      hostname: 'client',
      labels: { 'io.kubernetes.pod.name': 'client' },
      annotations: {},
      portMappings: [],
      // What the kubelet writes for dnsPolicy ClusterFirst in namespace default (getPodDNS).
      dnsConfig: { servers: [gateway], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
    };
    const sb = await rt.runPodSandbox(sbc);
    assert.equal((await rt.podSandboxStatus(sb)).state, 'SANDBOX_READY');
    container = await rt.createContainer(
      sb,
      {
        metadata: { name: 'c', attempt: 0 },
        image: 'busybox',
        command: ['sleep', '3600'],
        envs: [],
        mounts: [],
        labels: { 'io.kubernetes.container.name': 'c' },
        annotations: {},
        logPath: join(base, 'c.log'),
      },
      sbc,
    );
    await rt.startContainer(container);
    assert.match((await rt.execSync(container, ['cat', '/etc/resolv.conf'], 10)).stdout.toString(), new RegExp(`nameserver ${gateway.replace(/\./g, '\\.')}`));
  });

  test('nslookup <service FQDN> <gateway> → the ClusterIP', async () => {
    assert.ok(container, 'pod started');
    await dns!.synced();
    const r = await rt.execSync(container, ['nslookup', 'web.default.svc.cluster.local', gateway], 20);
    const out = r.stdout.toString();
    assert.equal(r.exitCode, 0, out + r.stderr.toString());
    assert.match(out, /Name:\s+web\.default\.svc\.cluster\.local\s+Address:\s+10\.96\.0\.50/);
  });

  test('short name through the resolv.conf search path; StatefulSet-style name; NXDOMAIN; forwarding', async () => {
    assert.ok(container, 'pod started');
    const web = await rt.execSync(container, ['nslookup', 'web'], 20);
    assert.match(web.stdout.toString(), /Address:\s+10\.96\.0\.50/, web.stdout.toString() + web.stderr.toString());
    // (busybox nslookup applies the search list only to names without dots)
    const db0 = await rt.execSync(container, ['nslookup', 'db-0.db.default.svc.cluster.local'], 20);
    assert.match(db0.stdout.toString(), /Address:\s+10\.88\.0\.5\b/, db0.stdout.toString() + db0.stderr.toString());
    const nx = await rt.execSync(container, ['nslookup', 'nope.default.svc.cluster.local', gateway], 20);
    assert.notEqual(nx.exitCode, 0);
    assert.match(nx.stdout.toString() + nx.stderr.toString(), /NXDOMAIN/);
    const fwd = await rt.execSync(container, ['nslookup', 'registry.example.org.', gateway], 20);
    assert.match(fwd.stdout.toString(), /Address:\s+192\.0\.2\.78/, fwd.stdout.toString() + fwd.stderr.toString());
  });

  test('reverse lookups: a Service ClusterIP and an endpoint IP (CoreDNS PTR names)', async () => {
    assert.ok(container, 'pod started');
    const svc = await rt.execSync(container, ['nslookup', '10.96.0.10'], 20);
    assert.equal(svc.exitCode, 0, svc.stdout.toString() + svc.stderr.toString());
    assert.match(svc.stdout.toString(), /10\.0\.96\.10\.in-addr\.arpa\s+name = kube-dns\.kube-system\.svc\.cluster\.local/);
    const ep = await rt.execSync(container, ['nslookup', '10.88.0.5', gateway], 20);
    assert.match(ep.stdout.toString(), /name = db-0\.db\.default\.svc\.cluster\.local/, ep.stdout.toString() + ep.stderr.toString());
  });
});
