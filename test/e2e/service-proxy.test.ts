/**
 * e2e: Services through the agent's iptables proxy with a real `skiff server`, real kubectl and
 * runc pods. A 3-replica Deployment (imported offline image) → `kubectl expose` → curl the ClusterIP
 * from the host: every replica answers across 30 requests; the NodePort answers on 127.0.0.1.
 * The server runs with a per-run service CIDR; after it stops, no chain, rule or route of the run
 * is left on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { buildWebImages } from '../support/registry.ts';
import { deploymentYaml } from '../support/http.ts';

/** GET over a fresh connection (no keep-alive), body trimmed. */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const hostnameOf = (body: string) => /hostname: (\S+)/.exec(body)?.[1];

describe('e2e: Service ClusterIP and NodePort through the iptables proxy', { timeout: 300_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  const b = randomBytes(2);
  const serviceCIDR = `10.${250 + (b[0]! % 5)}.${b[1]}.0/24`;

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
      const upper = id?.prefix.toUpperCase();
      if (upper) for (const l of execFileSync('iptables-save').toString().split('\n')) if (l.includes(`${upper}-`)) left.push(`iptables ${l}`);
      if (execFileSync('ip', ['-o', 'route', 'show', 'exact', serviceCIDR]).toString().trim()) left.push(`route ${serviceCIDR}`);
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  test('kubectl expose → every replica answers on the ClusterIP; NodePort on 127.0.0.1', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deploymentYaml('skiff.local/web:1', 3).replace('image: skiff.local/web:1', 'image: skiff.local/web:1\n        imagePullPolicy: IfNotPresent') });
    await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=180s'], { timeoutMs: 190_000 });
    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items.map((p: { metadata: { name: string } }) => p.metadata.name).sort();
    assert.equal(pods.length, 3);

    const t0 = performance.now();
    assert.match(await c.kubectl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080', '--type', 'NodePort']), /service\/web exposed/);
    const svc = JSON.parse(await c.kubectl(['get', 'service', 'web', '-o', 'json']));
    const clusterIP: string = svc.spec.clusterIP;
    const nodePort: number = svc.spec.ports[0].nodePort;
    assert.ok(clusterIP.startsWith(serviceCIDR.replace(/0\/24$/, '')), `clusterIP ${clusterIP} in ${serviceCIDR}`);
    assert.ok(nodePort >= 30000 && nodePort <= 32767);

    // Wait until the Service answers (EndpointSlice controller → proxy sync), then count.
    let lastErr = '';
    try {
      await waitFor('ClusterIP answers', () => get(`http://${clusterIP}/`).then((b2) => hostnameOf(b2), (e: Error) => void (lastErr = e.message)), 60_000, 50);
    } catch (e) {
      const diag = [
        `last error: ${lastErr}`,
        execFileSync('ip', ['route']).toString(),
        execFileSync('iptables-save').toString().split('\n').filter((l) => l.includes(id.prefix.toUpperCase()) || l.includes(id.prefix)).join('\n'),
        await c.kubectl(['get', 'endpointslices', '-o', 'yaml']),
        c.output().slice(-4000),
      ].join('\n----\n');
      throw new Error(`${(e as Error).message}\n${diag}`);
    }
    console.log(`# kubectl expose → first answer on the ClusterIP: ${(performance.now() - t0).toFixed(0)} ms`);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const h = hostnameOf(await get(`http://${clusterIP}/`));
      assert.ok(h, 'response names its pod');
      seen.set(h, (seen.get(h) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), pods, `answers across 30 requests: ${JSON.stringify([...seen])}`);

    const np = new Set<string>();
    for (let i = 0; i < 30 && np.size < 3; i++) np.add(hostnameOf(await get(`http://127.0.0.1:${nodePort}/`)) ?? '');
    assert.deepEqual([...np].sort(), pods);

    // The chains exist under the run's prefix while the server runs.
    const save = execFileSync('iptables-save', ['-t', 'nat']).toString();
    assert.match(save, new RegExp(`-A PREROUTING -m comment --comment "${id.prefix} service portals" -j ${id.prefix.toUpperCase()}-SERVICES`));
  });
});
