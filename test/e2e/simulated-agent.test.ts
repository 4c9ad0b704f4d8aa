/**
 * e2e: `skiff agent --simulated 3` as its own process beside a real `skiff server` (its real node
 * agent plus one simulated node of its own), real kubectl. The agent's nodes (zone-b) register
 * next to the server's nodes and run a 6-replica Deployment pinned to them (`kubectl rollout
 * status`). Killing the agent by PID stops their Leases: after the node-monitor grace period
 * (20 s here, above the 10 s Lease renewal of the server's own nodes) they are Unknown with the
 * `node.kubernetes.io/unreachable` NoExecute taint, the pods (tolerationSeconds 2) are marked for
 * deletion and their replacements stay Pending (no node fits), while the server's nodes stay
 * Ready. Nothing is left on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent-web
spec:
  replicas: 6
  selector:
    matchLabels: {app: agent-web}
  template:
    metadata:
      labels: {app: agent-web}
    spec:
      nodeSelector: {pool: agent}
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      containers:
      - name: web
        image: nginx:1.27
`;

describe('e2e: skiff agent --simulated', { timeout: 180_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  let agent: ChildProcess | undefined;
  let agentOut = '';

  before(async () => {
    id = newRunIdentity();
    c = await startCluster(id, {
      extraArgs: ['--simulated-nodes', '1', '--simulated-node-prefix', `${id.prefix}-own-`, '--node-monitor-grace-period', '20s', '--node-monitor-period', '1s', '--node-eviction-rate', '2'],
    });
  });

  after(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) process.kill(agent.pid!, 'SIGKILL');
    await c?.stop();
    const left = id ? await leftovers(id) : [];
    if (id) removeRunDir(id);
    assert.deepEqual(left, [], 'nothing left on the host');
  });

  test('agent nodes join, run a Deployment, and go Unknown with the unreachable taint when the agent is killed', async () => {
    const prefix = `${id.prefix}-agent-`;
    agent = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'agent', '--simulated', '3', '--kubeconfig', c.kubeconfig, '--node-name-prefix', prefix, '--cluster-cidr', id.clusterCIDR, '--node-labels', 'pool=agent,topology.kubernetes.io/zone=zone-b', '--node-lease-duration-seconds', '4', '--log-level', 'warn'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d) => (agentOut += d));
    agent.stderr!.on('data', (d) => (agentOut += d));
    await waitFor('agent ready line', () => {
      if (agent!.exitCode !== null) throw new Error(`agent exited ${agent!.exitCode}: ${agentOut}`);
      return /skiff agent is ready: 3 simulated nodes/.test(agentOut);
    }, 60_000, 200);

    const serverNodes = [id.nodeName, `${id.prefix}-own-0`];
    const agentNodes = [0, 1, 2].map((i) => `${prefix}${i}`);
    await waitFor('5 Ready nodes', async () => {
      const nodes = JSON.parse(await c.kubectl(['get', 'nodes', '-o', 'json'])).items;
      const ready = nodes.filter((n: any) => n.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')).map((n: any) => n.metadata.name);
      return JSON.stringify(ready.sort()) === JSON.stringify([...serverNodes, ...agentNodes].sort());
    });

    await c.kubectl(['apply', '-f', '-'], { input: deployment });
    const status = await c.kubectl(['rollout', 'status', 'deployment/agent-web', '--timeout=90s'], { timeoutMs: 120_000 });
    assert.match(status, /successfully rolled out/);
    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=agent-web', '-o', 'json'])).items;
    assert.equal(pods.length, 6);
    for (const p of pods) assert.ok(agentNodes.includes(p.spec.nodeName), p.spec.nodeName);
    const original = new Set(pods.map((p: any) => p.metadata.name));

    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    process.kill(agent.pid!, 'SIGTERM');
    assert.equal(await exited, 0, agentOut);

    await waitFor('agent nodes Unknown and tainted unreachable:NoExecute', async () => {
      const nodes = JSON.parse(await c.kubectl(['get', 'nodes', '-o', 'json'])).items.filter((n: any) => agentNodes.includes(n.metadata.name));
      return nodes.length === 3 && nodes.every((n: any) => n.status.conditions.find((x: any) => x.type === 'Ready')?.status === 'Unknown' && (n.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
    }, 90_000);
    const own = JSON.parse(await c.kubectl(['get', 'nodes', '-o', 'json'])).items.filter((n: any) => serverNodes.includes(n.metadata.name));
    for (const n of own) assert.equal(n.status.conditions.find((x: any) => x.type === 'Ready')?.status, 'True', n.metadata.name);

    await waitFor('old pods marked for deletion, 6 Pending replacements', async () => {
      const list = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=agent-web', '-o', 'json'])).items;
      const old = list.filter((p: any) => original.has(p.metadata.name));
      const fresh = list.filter((p: any) => !original.has(p.metadata.name));
      return old.every((p: any) => p.metadata.deletionTimestamp) && fresh.length === 6 && fresh.every((p: any) => p.status.phase === 'Pending' && !p.spec.nodeName);
    }, 60_000);
    const events = JSON.parse(await c.kubectl(['get', 'events', '-o', 'json'])).items;
    assert.ok(events.some((e: any) => e.reason === 'TaintManagerEviction'), 'TaintManagerEviction events');
    assert.ok(events.some((e: any) => e.reason === 'NodeNotReady' && agentNodes.includes(e.involvedObject.name)), 'NodeNotReady events');
  });
});
