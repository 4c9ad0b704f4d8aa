/**
 * Node loss end to end, in-process: the real apiserver pipeline (SQLite, admission incl.
 * DefaultTolerationSeconds), the controller manager, the node lifecycle + taint-eviction
 * controllers (grace period 3 s instead of 40 s), the scheduler and 2 simulated nodes renewing
 * their Leases every 500 ms. A Deployment whose pods tolerate `unreachable:NoExecute` for 2 s runs
 * on both nodes; one node is paused (Lease and status stop) → its Ready condition becomes Unknown
 * (NodeStatusUnknown), it gets the unreachable NoExecute + NoSchedule taints, its pods are marked
 * for deletion (TaintManagerEviction) and the ReplicaSet replaces them on the other node. Resuming
 * the node removes the taints.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../apiserver/auth/token.ts';
import { realMachinery } from '../../apiserver/machinery-real.ts';
import { RESOURCES } from '../../api/resource-table.ts';
import { GVR, type Client } from '../../client/interface.ts';
import { startControllers } from '../manager.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { SimulatedNodes } from '../../agent/simulated/simulated-nodes.ts';
import { TaintNodeUnreachable } from './node-lifecycle-controller.ts';

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let c: Client;
let sim: SimulatedNodes;
const ac = new AbortController();
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** Polls `fn` every 100 ms until it returns a truthy value; throws after `timeoutMs` with the last value. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-nlc-'));
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator(), resources: RESOURCES, machinery: realMachinery() });
  await api.waitReady();
  c = api.inProcessClient();
  void startControllers(c, ac.signal, { workers: 4, logger: silent, nodeLifecycle: { gracePeriodMs: 3000, monitorPeriodMs: 500 } });
  void new Scheduler({ client: c }).start(ac.signal);
  sim = new SimulatedNodes({ client: c, count: 2, clusterCIDR: '10.78.0.0/16', leaseRenewIntervalMs: 500, logger: silent });
  await sim.start(ac.signal);
});

after(async () => {
  ac.abort();
  await sim?.stop();
  await new Promise((r) => setTimeout(r, 100));
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a node whose Lease stops becomes Unknown and tainted; its pods are evicted after tolerationSeconds and replaced on the other node', async () => {
  await c.create(GVR.deployments, 'default', {
    metadata: { name: 'web' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'c', image: 'nginx' }],
          tolerations: [{ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
        },
      },
    },
  });
  const live = async () => (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
  const ready = (p: any) => p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');
  const before = await eventually('4 ready pods on both nodes', async () => {
    const ps = await live();
    return ps.length === 4 && ps.every(ready) && new Set(ps.map((p) => p.spec.nodeName)).size === 2 && ps;
  });
  // DefaultTolerationSeconds added not-ready:300 but kept our unreachable:2.
  const tol = before[0].spec.tolerations.map((t: any) => `${t.key}:${t.tolerationSeconds}`).sort();
  assert.deepEqual(tol, ['node.kubernetes.io/not-ready:300', 'node.kubernetes.io/unreachable:2']);

  const lost = before[0].spec.nodeName as string;
  const other = sim.nodeNames.find((n) => n !== lost)!;
  const lostPods = before.filter((p) => p.spec.nodeName === lost).map((p) => p.metadata.name as string);
  sim.pauseNode(lost);

  const node = await eventually('node Unknown with unreachable taints', async () => {
    const n = await c.get<any>(GVR.nodes, undefined, lost);
    const taints = (n.spec.taints ?? []).map((t: any) => `${t.key}:${t.effect}`).sort();
    return n.status.conditions.find((x: any) => x.type === 'Ready')?.status === 'Unknown' && taints.join(',') === `${TaintNodeUnreachable}:NoExecute,${TaintNodeUnreachable}:NoSchedule` && n;
  });
  const readyCond = node.status.conditions.find((x: any) => x.type === 'Ready');
  assert.equal(readyCond.reason, 'NodeStatusUnknown');
  assert.equal(readyCond.message, 'Kubelet stopped posting node status.');

  await eventually('pods replaced on the other node', async () => {
    const ps = await live();
    return ps.length === 4 && ps.every((p) => p.spec.nodeName === other) && ps.every(ready);
  });
  const events = (await c.list<any>(GVR.events, 'default')).items.filter((e) => e.reason === 'TaintManagerEviction');
  for (const name of lostPods) assert.ok(events.some((e) => e.message === `Marking for deletion Pod default/${name}`), `eviction event for ${name}`);

  await sim.resumeNode(lost);
  await eventually('taints removed after recovery', async () => {
    const n = await c.get<any>(GVR.nodes, undefined, lost);
    return n.status.conditions.find((x: any) => x.type === 'Ready')?.status === 'True' && !(n.spec.taints ?? []).length;
  });
});
