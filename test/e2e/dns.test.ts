/**
 * e2e: cluster DNS with a real `skiff server`, real kubectl and runc pods.
 * - the server creates `kube-system/kube-dns` (ClusterIP = 10th address of the service CIDR, ports
 *   dns 53/UDP, dns-tcp 53/TCP) and the agent publishes EndpointSlice `kube-dns-<node>` → the pod
 *   bridge gateway (first host of the node's pod CIDR);
 * - a pod's resolv.conf follows dnsPolicy ClusterFirst (nameserver = kube-dns ClusterIP, search
 *   `<ns>.svc.cluster.local svc.cluster.local cluster.local`, `ndots:5`);
 * - from inside the pod, busybox `nslookup` of a Service name gets its ClusterIP both through the
 *   kube-dns ClusterIP (proxy DNAT to the agent's DNS server) and at the gateway directly, the
 *   short name resolves through the search path, and an unknown name is NXDOMAIN.
 *   (busybox-static's wget segfaults inside pods even for IP URLs, so traffic by name is not
 *   exercised here; service-proxy.test.ts covers the ClusterIP data path.)
 * Runs with a per-run service CIDR; after stop nothing of the run is left on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { buildWebImages } from '../support/registry.ts';
import { deploymentYaml } from '../support/http.ts';
import { kubeDNSServiceIP, podCIDRGateway } from '../../src/agent/network/dns/kube-dns.ts';

const CLIENT = `apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
`;

describe('e2e: cluster DNS', { timeout: 300_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  const b = randomBytes(2);
  const serviceCIDR = `10.${250 + (b[0]! % 5)}.${b[1]}.0/24`;
  const dnsIP = kubeDNSServiceIP(serviceCIDR);

  before(async () => {
    const { archive } = buildWebImages();
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--import-images', archive, '--service-cidr', serviceCIDR] });
  });

  after(async () => {
    try {
      await c?.stop();
    } finally {
      const left = id ? await leftovers(id) : [];
      if (execFileSync('ip', ['-o', 'route', 'show', 'exact', serviceCIDR]).toString().trim()) left.push(`route ${serviceCIDR}`);
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  test('kube-dns Service and the node EndpointSlice', async () => {
    const svc = JSON.parse(await c.kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'json']));
    assert.equal(svc.spec.clusterIP, dnsIP);
    assert.deepEqual(
      svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => [p.name, p.port, p.protocol]),
      [
        ['dns', 53, 'UDP'],
        ['dns-tcp', 53, 'TCP'],
      ],
    );
    assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
    const slice = await waitFor('kube-dns EndpointSlice', async () => {
      const r = await c.kubectlRaw(['get', 'endpointslice', '-n', 'kube-system', `kube-dns-${id.nodeName}`, '-o', 'json']);
      return r.code === 0 && JSON.parse(r.stdout);
    }, 30_000);
    assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
    assert.deepEqual(slice.endpoints[0].addresses, [podCIDRGateway(id.clusterCIDR)]);
  });

  test('a pod resolves Service names through the kube-dns ClusterIP and at the gateway', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deploymentYaml('skiff.local/web:1', 2).replace('image: skiff.local/web:1', 'image: skiff.local/web:1\n        imagePullPolicy: IfNotPresent') });
    await c.kubectl(['apply', '-f', '-'], { input: CLIENT });
    assert.match(await c.kubectl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080']), /service\/web exposed/);
    const clusterIP: string = JSON.parse(await c.kubectl(['get', 'service', 'web', '-o', 'json'])).spec.clusterIP;
    await c.kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s'], { timeoutMs: 130_000 });

    const resolv = await c.kubectl(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m);
    assert.match(resolv, /^options ndots:5$/m);

    const gateway = podCIDRGateway(id.clusterCIDR);
    const direct = await c.kubectl(['exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local', gateway]);
    assert.match(direct, new RegExp(`Address:\\s+${clusterIP.replace(/\./g, '\\.')}\\b`));

    // Through the kube-dns ClusterIP (the proxy DNATs it to the agent's DNS server).
    const t0 = performance.now();
    let last = '';
    const viaService = await waitFor('nslookup through the kube-dns ClusterIP', async () => {
      const r = await c.kubectlRaw(['exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local']);
      last = `${r.code} ${r.stdout} ${r.stderr}`;
      return r.code === 0 && r.stdout;
    }, 60_000, 200).catch((e: Error) => {
      const slices = execFileSync('/usr/bin/kubectl', ['--kubeconfig', c.kubeconfig, 'get', 'endpointslices', '-A', '-o', 'wide']).toString();
      const nat = execFileSync('iptables-save', ['-t', 'nat']).toString().split('\n').filter((l) => l.includes(id.prefix.toUpperCase())).join('\n');
      throw new Error(`${e.message}: ${last}\n${slices}\n${nat}\n${c.output().slice(-5000)}`);
    });
    console.log(`# first answer through ${dnsIP}: ${(performance.now() - t0).toFixed(0)} ms after the client pod was Ready`);
    assert.match(viaService, new RegExp(`Server:\\s+${dnsIP.replace(/\./g, '\\.')}`));
    assert.match(viaService, new RegExp(`Name:\\s+web\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${clusterIP.replace(/\./g, '\\.')}\\b`));

    const nx = await c.kubectlRaw(['exec', 'client', '--', 'nslookup', 'nope.default.svc.cluster.local']);
    assert.notEqual(nx.code, 0);
    assert.match(nx.stdout + nx.stderr, /NXDOMAIN/);

    // The short name through the search path (busybox nslookup prints every search attempt).
    const short = await c.kubectlRaw(['exec', 'client', '--', 'nslookup', 'web']);
    assert.match(short.stdout, new RegExp(`Name:\\s+web\\.default\\.svc\\.cluster\\.local\\s+Address:\\s+${clusterIP.replace(/\./g, '\\.')}\\b`));

    // Reverse lookups of Service ClusterIPs (CoreDNS kubernetes plugin PTR: <svc>.<ns>.svc.<zone>).
    const ptr = await c.kubectlRaw(['exec', 'client', '--', 'nslookup', clusterIP]);
    assert.match(ptr.stdout, /name = web\.default\.svc\.cluster\.local/, ptr.stdout + ptr.stderr);
    const ptrDNS = await c.kubectlRaw(['exec', 'client', '--', 'nslookup', dnsIP]);
    assert.match(ptrDNS.stdout, /name = kube-dns\.kube-system\.svc\.cluster\.local/, ptrDNS.stdout + ptrDNS.stderr);
  });
});
