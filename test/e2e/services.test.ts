/**
 * e2e: the Service control plane in a real `skiff server` with real kubectl: `default/kubernetes`
 * gets the first IP of `--service-cidr`; `kubectl create service` allocates from the range
 * (ClusterIP and NodePort); after a restart on the same data dir the allocations are still held
 * (a request for a taken IP is refused with upstream's message) and new Services get other IPs.
 * No pods are started. Leaves nothing of the run on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { firstIP, parseCIDR, parseIPv4 } from '../../src/apiserver/registry/service/ipallocator.ts';

describe('e2e: Service ClusterIP/NodePort allocation survives a restart', { timeout: 300_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster | undefined;

  before(() => {
    id = newRunIdentity();
  });

  after(async () => {
    try {
      await c?.stop();
      // A last run with --cleanup-on-exit removes whatever the first run left.
      const last = await startCluster(id);
      await last.stop();
      assert.deepEqual(await leftovers(id), []);
    } finally {
      removeRunDir(id);
    }
  });

  const inRange = (ip: string) => {
    const r = parseCIDR(id.serviceCIDR);
    const n = parseIPv4(ip);
    return n !== undefined && n > r.base && n < r.base + 2 ** (32 - r.bits) - 1;
  };

  test('allocate, restart, still allocated', async () => {
    c = await startCluster(id, { cleanupOnExit: false });
    const k = c;
    const kip = await waitFor('default/kubernetes', async () => (await k.kubectlRaw(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout.trim() || undefined, 30_000, 200);
    assert.equal(kip, firstIP(id.serviceCIDR));
    await c.kubectl(['create', 'service', 'clusterip', 'alpha', '--tcp=80:8080']);
    await c.kubectl(['create', 'service', 'nodeport', 'beta', '--tcp=80:8080']);
    const alpha = (await c.kubectl(['get', 'svc', 'alpha', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.ok(inRange(alpha), `${alpha} not in ${id.serviceCIDR}`);
    const row = await c.kubectl(['get', 'svc', 'beta', '--no-headers']);
    assert.match(row, /^beta\s+NodePort\s+\S+\s+<none>\s+80:3\d{4}\/TCP\s+\S+/);
    const betaPort = Number((await c.kubectl(['get', 'svc', 'beta', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim());

    await c.stop();
    c = await startCluster(id, { cleanupOnExit: false });
    const dup = await c.kubectlRaw(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: Service\nmetadata: {name: gamma}\nspec:\n  clusterIP: ${alpha}\n  ports:\n  - port: 80\n`,
    });
    assert.notEqual(dup.code, 0);
    assert.ok(
      dup.stderr.includes(`The Service "gamma" is invalid: spec.clusterIPs: Invalid value: []string{"${alpha}"}: failed to allocate IP ${alpha}: provided IP is already allocated`),
      dup.stderr,
    );
    const dupPort = await c.kubectlRaw(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: Service\nmetadata: {name: delta}\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: ${betaPort}\n`,
    });
    assert.notEqual(dupPort.code, 0);
    assert.ok(dupPort.stderr.includes(`spec.ports[0].nodePort: Invalid value: ${betaPort}: provided port is already allocated`), dupPort.stderr);
    await c.kubectl(['create', 'service', 'clusterip', 'epsilon', '--tcp=80:8080']);
    const eps = (await c.kubectl(['get', 'svc', 'epsilon', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.ok(inRange(eps) && eps !== alpha && eps !== firstIP(id.serviceCIDR), eps);
    // deleting frees the IP for a request
    await c.kubectl(['delete', 'svc', 'alpha']);
    await c.kubectl(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Service\nmetadata: {name: gamma}\nspec:\n  clusterIP: ${alpha}\n  ports:\n  - port: 80\n` });
    assert.equal((await c.kubectl(['get', 'svc', 'gamma', '-o', 'jsonpath={.spec.clusterIP}'])).trim(), alpha);
  });
});
