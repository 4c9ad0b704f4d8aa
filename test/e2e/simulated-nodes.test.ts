/**
 * e2e: `skiff server --simulated-nodes 3 --disable-agent` (a real server process, real kubectl):
 * `kubectl get nodes` lists 3 Ready simulated nodes, a Deployment rolls out on them
 * (`kubectl rollout status`), its pods spread over the nodes, and nothing is left on the host.
 * Then coexistence: a server with its real node agent plus 2 simulated nodes lists 3 Ready nodes,
 * and a Deployment pinned to the simulated nodes (nodeSelector) rolls out with simulated container
 * statuses (the real kubelet leaves those pods alone).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: sim-web
spec:
  replicas: 6
  selector:
    matchLabels: {app: sim-web}
  template:
    metadata:
      labels: {app: sim-web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

describe('e2e: simulated nodes', { timeout: 180_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;

  before(async () => {
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--simulated-nodes', '3', '--disable-agent'] });
  });

  after(async () => {
    await c?.stop();
    const left = id ? await leftovers(id) : [];
    if (id) removeRunDir(id);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  test('kubectl get nodes shows 3 Ready simulated nodes', async () => {
    const out = await c.kubectl(['get', 'nodes', '--no-headers']);
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.map((r) => r[0]).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2'], out);
    for (const r of rows) assert.equal(r[1], 'Ready', out);
    const labelled = await c.kubectl(['get', 'nodes', '-l', 'node.skiff.io/simulated=true', '-o', 'name']);
    assert.equal(labelled.trim().split('\n').length, 3);
  });

  test('a Deployment rolls out on the simulated nodes', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployment });
    const status = await c.kubectl(['rollout', 'status', 'deployment/sim-web', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.match(status, /successfully rolled out/);
    const pods = await waitFor('6 Running pods', async () => {
      const list = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=sim-web', '-o', 'json'])).items;
      return list.length === 6 && list.every((p: any) => p.status?.phase === 'Running') && list;
    });
    const nodes = new Set(pods.map((p: any) => p.spec.nodeName));
    assert.ok(nodes.size >= 2, `pods spread over ${[...nodes].join(',')}`);
    await c.kubectl(['delete', 'deployment', 'sim-web']);
    await waitFor('pods deleted', async () => (await c.kubectl(['get', 'pods', '-l', 'app=sim-web', '-o', 'name'])).trim() === '', 60_000);
  });
});

describe('e2e: simulated nodes beside the real node', { timeout: 180_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;

  before(async () => {
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--simulated-nodes', '2', '--simulated-node-prefix', `${id.prefix}-sim-`] });
  });

  after(async () => {
    await c?.stop();
    const left = id ? await leftovers(id) : [];
    if (id) removeRunDir(id);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  test('3 Ready nodes; a Deployment pinned to simulated nodes rolls out there', async () => {
    const want = [id.nodeName, `${id.prefix}-sim-0`, `${id.prefix}-sim-1`].sort();
    await waitFor('3 Ready nodes', async () => {
      const nodes = JSON.parse(await c.kubectl(['get', 'nodes', '-o', 'json'])).items;
      const ready = nodes.filter((n: any) => n.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')).map((n: any) => n.metadata.name);
      return JSON.stringify(ready.sort()) === JSON.stringify(want);
    });
    const pinned = deployment.replace('    spec:\n      containers:', '    spec:\n      nodeSelector: {node.skiff.io/simulated: "true"}\n      containers:');
    assert.notEqual(pinned, deployment);
    await c.kubectl(['apply', '-f', '-'], { input: pinned });
    const status = await c.kubectl(['rollout', 'status', 'deployment/sim-web', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.match(status, /successfully rolled out/);
    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=sim-web', '-o', 'json'])).items;
    assert.equal(pods.length, 6);
    for (const p of pods) {
      assert.ok(p.spec.nodeName.startsWith(`${id.prefix}-sim-`), p.spec.nodeName);
      assert.ok(p.status.containerStatuses[0].containerID.startsWith('simulated://'), p.status.containerStatuses[0].containerID);
    }
    await c.kubectl(['delete', 'deployment', 'sim-web']);
    await waitFor('pods deleted', async () => (await c.kubectl(['get', 'pods', '-l', 'app=sim-web', '-o', 'name'])).trim() === '', 60_000);
  });
});
