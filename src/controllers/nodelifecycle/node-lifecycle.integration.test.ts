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
import { eventually, startInProcessCluster, type InProcessCluster } from '../../../test/support/in-process-cluster.ts';
import { GVR, type Client } from '../../client/interface.ts';
import { SimulatedNodes } from '../../agent/simulated/simulated-nodes.ts';
import { TaintNodeUnreachable } from './node-lifecycle-controller.ts';

let c: Client;
let sim: SimulatedNodes;
let cluster: InProcessCluster;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

before(async () => {
  cluster = await startInProcessCluster({ nodes: { count: 2, clusterCIDR: '10.78.0.0/16', leaseRenewIntervalMs: 500, logger: silent }, controllers: { logger: silent, nodeLifecycle: { gracePeriodMs: 3000, monitorPeriodMs: 500 } } });
  c = cluster.client;
  sim = cluster.sim;
});

after(async () => {
  await cluster?.stop();
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
