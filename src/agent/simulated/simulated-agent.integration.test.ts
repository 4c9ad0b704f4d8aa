/**
 * `skiff agent --simulated 3` as a separate process against a control plane served over HTTPS
 * in-process (real apiserver pipeline on SQLite, token auth, kubeconfig; controller manager with a
 * 6 s node-monitor grace period and 2 nodes/s eviction rate; scheduler; one simulated node of the
 * server's own in zone-a). The agent is
 * a child process using the kubeconfig: its 3 nodes (zone-b) register next to the server's node with their
 * own pod CIDRs, a 6-replica Deployment selecting them runs Ready; SIGTERM to the agent's PID stops
 * its Leases → its nodes become Unknown with the unreachable NoExecute taint, the pods (toleration
 * 2 s) are marked for deletion and replaced by pods that stay Pending (no node fits), while the
 * server's own node stays Ready. (In one shared zone, 3 of 4 nodes down would be a partial
 * disruption of a small cluster, where upstream stops tainting altogether; here zone-b is fully
 * disrupted while zone-a is healthy, so tainting runs at the normal rate.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../apiserver/auth/token.ts';
import { ensureAdminToken, ensurePKI, writeKubeconfig } from '../../apiserver/pki.ts';
import { realMachinery } from '../../apiserver/machinery-real.ts';
import { RESOURCES } from '../../api/resource-table.ts';
import { GVR, type Client } from '../../client/interface.ts';
import { startControllers } from '../../controllers/manager.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { eventually } from '../../../test/support/in-process-cluster.ts';
import { SimulatedNodes } from './simulated-nodes.ts';
import { TaintNodeUnreachable } from '../../controllers/nodelifecycle/node-lifecycle-controller.ts';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { newRestClient } from '../../client/rest-client.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let c: Client;
let kubeconfig: string;
let serverSim: SimulatedNodes;
const ac = new AbortController();
let agent: ChildProcess | undefined;
let agentOut = '';

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skiff-agent-test-'));
  backend = SqliteBackend.open(path.join(dir, 'state.db'));
  const pki = ensurePKI(path.join(dir, 'server'));
  const token = ensureAdminToken(path.join(dir, 'server'));
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters', 'system:authenticated'] }), resources: RESOURCES, machinery: realMachinery() });
  await api.waitReady();
  const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
  kubeconfig = path.join(dir, 'kubeconfig.yaml');
  writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
  c = api.inProcessClient();
  void startControllers(c, ac.signal, { workers: 2, logger: silent, nodeLifecycle: { gracePeriodMs: 6000, monitorPeriodMs: 500, evictionRate: 2 } });
  void new Scheduler({ client: c }).start(ac.signal);
  serverSim = new SimulatedNodes({ client: c, count: 1, clusterCIDR: '10.79.0.0/16', labels: { 'topology.kubernetes.io/zone': 'zone-a' }, leaseRenewIntervalMs: 1000, logger: silent });
  await serverSim.start(ac.signal);
});

after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  ac.abort();
  await serverSim?.stop();
  await new Promise((r) => setTimeout(r, 100));
  await api?.stop();
  await backend?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the kubeconfig loader reads what the server writes', () => {
  const o = loadKubeconfig(kubeconfig);
  assert.match(o.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(o.caPem ?? '', /BEGIN CERTIFICATE/);
  assert.match(o.token ?? '', /^[0-9a-f]{64}$/);
});

test('skiff agent --simulated 3: nodes join over HTTPS, run a Deployment, and go Unknown when the agent is killed', async () => {
  agent = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'agent', '--simulated', '3', '--kubeconfig', kubeconfig, '--node-name-prefix', 'agent-node-', '--cluster-cidr', '10.79.0.0/16', '--node-labels', 'pool=agent,topology.kubernetes.io/zone=zone-b', '--capacity', 'cpu=4,memory=8Gi,pods=20', '--node-lease-duration-seconds', '4', '--log-level', 'warn'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  agent.stdout!.on('data', (d) => (agentOut += d));
  agent.stderr!.on('data', (d) => (agentOut += d));
  await eventually('agent ready line', async () => {
    if (agent!.exitCode !== null) throw new Error(`agent exited ${agent!.exitCode}: ${agentOut}`);
    return /skiff agent is ready: 3 simulated nodes \(agent-node-0, agent-node-1, agent-node-2\)/.test(agentOut);
  }, 60_000);

  const nodes = (await c.list<any>(GVR.nodes, undefined)).items;
  assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['agent-node-0', 'agent-node-1', 'agent-node-2', 'sim-node-0']);
  const cidrs = nodes.map((n) => n.spec.podCIDR);
  assert.equal(new Set(cidrs).size, 4, `distinct pod CIDRs: ${cidrs.join(' ')}`);
  for (const n of nodes.filter((x) => x.metadata.name.startsWith('agent-node-'))) {
    assert.equal(n.metadata.labels.pool, 'agent');
    assert.deepEqual({ cpu: n.status.capacity.cpu, memory: n.status.capacity.memory, pods: n.status.capacity.pods }, { cpu: '4', memory: '8Gi', pods: '20' });
    assert.equal(n.status.conditions.find((x: any) => x.type === 'Ready')?.status, 'True');
  }
  // The REST client sees the same nodes (the agent's transport).
  const rest = newRestClient(loadKubeconfig(kubeconfig));
  assert.equal((await rest.list(GVR.nodes, undefined)).items.length, 4);

  await c.create(GVR.deployments, 'default', {
    metadata: { name: 'web' },
    spec: {
      replicas: 6,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          nodeSelector: { pool: 'agent' },
          containers: [{ name: 'c', image: 'nginx' }],
          tolerations: [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
        },
      },
    },
  });
  const all = async () => (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=web' })).items;
  const ready = (p: any) => p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');
  const running = await eventually('6 ready pods on the agent nodes', async () => {
    const ps = (await all()).filter((p) => !p.metadata.deletionTimestamp);
    return ps.length === 6 && ps.every((p) => ready(p) && p.spec.nodeName.startsWith('agent-node-')) && ps;
  }, 60_000);
  for (const p of running) {
    const node = nodes.find((n) => n.metadata.name === p.spec.nodeName);
    const prefix = node.spec.podCIDR.split('.').slice(0, 3).join('.') + '.';
    assert.ok(p.status.podIP.startsWith(prefix), `pod IP ${p.status.podIP} in ${node.spec.podCIDR}`);
  }

  // Kill the agent by PID: its Leases stop being renewed.
  const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
  process.kill(agent.pid!, 'SIGTERM');
  assert.equal(await exited, 0, agentOut);

  await eventually('agent nodes Unknown with the unreachable NoExecute taint', async () => {
    const ns = (await c.list<any>(GVR.nodes, undefined)).items.filter((n) => n.metadata.name.startsWith('agent-node-'));
    return ns.length === 3 && ns.every((n) => {
      const r = n.status.conditions.find((x: any) => x.type === 'Ready');
      return r?.status === 'Unknown' && r.reason === 'NodeStatusUnknown' && (n.spec.taints ?? []).some((t: any) => t.key === TaintNodeUnreachable && t.effect === 'NoExecute');
    });
  }, 60_000);
  // The server's own simulated node keeps renewing and stays Ready (so this is not a full disruption).
  const own = await c.get<any>(GVR.nodes, undefined, 'sim-node-0');
  assert.equal(own.status.conditions.find((x: any) => x.type === 'Ready')?.status, 'True');

  const names = new Set(running.map((p) => p.metadata.name));
  await eventually('old pods marked for deletion, 6 replacements Pending and unscheduled', async () => {
    const ps = await all();
    const old = ps.filter((p) => names.has(p.metadata.name));
    const fresh = ps.filter((p) => !names.has(p.metadata.name));
    return old.every((p) => p.metadata.deletionTimestamp) && fresh.length === 6 && fresh.every((p) => !p.spec.nodeName && p.status?.phase === 'Pending');
  }, 60_000);
  const events = (await c.list<any>(GVR.events, 'default')).items.filter((e) => e.reason === 'TaintManagerEviction');
  for (const name of names) assert.ok(events.some((e) => e.message === `Marking for deletion Pod default/${name}`), `eviction event for ${name}`);
});
