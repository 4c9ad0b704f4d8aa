/**
 * PodGC in-process against the real apiserver pipeline, the controller manager (PodGC pass every
 * 300 ms, 1 s quarantine, terminated-pod threshold 2), the scheduler and 2 simulated nodes:
 * a node that is stopped and deleted has its pods marked Failed with DisruptionTarget
 * (DeletionByPodGC) and force-deleted, and the ReplicaSet replaces them on the other node;
 * terminated pods above the threshold are deleted oldest first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startInProcessCluster, type InProcessCluster } from '../../../test/support/in-process-cluster.ts';
import { GVR, type Client } from '../../client/interface.ts';

let c: Client;
let cluster: InProcessCluster;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

before(async () => {
  cluster = await startInProcessCluster({
    nodes: { count: 2, clusterCIDR: '10.81.0.0/16', leaseRenewIntervalMs: 500, logger: silent },
    controllers: { logger: silent, podGC: { gcCheckPeriodMs: 300, quarantineTimeMs: 1000, terminatedPodThreshold: 2 } },
  });
  c = cluster.client;
});

after(async () => {
  await cluster?.stop();
});

test('pods of a deleted node are force-deleted (DeletionByPodGC) and replaced on the other node', async () => {
  await c.create(GVR.deployments, 'default', {
    metadata: { name: 'web' },
    spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  const ready = (p: any) => p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');
  const live = async () => (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
  const before = await eventually('4 ready pods on both nodes', async () => {
    const ps = await live();
    return ps.length === 4 && ps.every(ready) && new Set(ps.map((p) => p.spec.nodeName)).size === 2 && ps;
  });
  const gone = before[0].spec.nodeName as string;
  const other = cluster.sim.nodeNames.find((n) => n !== gone)!;
  const orphans = new Set(before.filter((p) => p.spec.nodeName === gone).map((p) => p.metadata.name as string));
  cluster.sim.pauseNode(gone);
  // Watch the orphans' states (in order) until they vanish.
  const states = new Map<string, any[]>();
  const ac = new AbortController();
  void c
    .watch<any>(GVR.pods, 'default', {}, (ev) => {
      const name = ev.object?.metadata?.name;
      if (orphans.has(name)) states.set(name, [...(states.get(name) ?? []), { type: ev.type, obj: ev.object }]);
    }, ac.signal)
    .catch(() => undefined);
  await eventually('watch sees the orphans', async () => states.size === orphans.size);
  await c.delete(GVR.nodes, undefined, gone);

  await eventually('orphans deleted and replaced on the other node', async () => {
    const all = (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=web' })).items;
    return all.every((p) => !orphans.has(p.metadata.name)) && all.length === 4 && all.every((p) => p.spec.nodeName === other && ready(p));
  });
  await eventually('DELETED events seen', async () => [...states.values()].every((evs) => evs.some((e) => e.type === 'DELETED')));
  ac.abort();
  for (const [name, evs] of states) {
    const failed = evs.find((e) => e.obj.status?.phase === 'Failed')?.obj;
    assert.ok(failed, `${name} went Failed before deletion`);
    const dt = failed.status.conditions.find((x: any) => x.type === 'DisruptionTarget');
    assert.deepEqual({ status: dt?.status, reason: dt?.reason, message: dt?.message }, { status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
  }
});

test('terminated pods above --terminated-pod-gc-threshold are deleted oldest first', async () => {
  for (const name of ['done-1', 'done-2', 'done-3']) {
    await c.create(GVR.pods, 'default', { metadata: { name, labels: { app: 'batch' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } });
    await eventually(`${name} Succeeded`, async () => (await c.get<any>(GVR.pods, 'default', name)).status?.phase === 'Succeeded');
    await new Promise((r) => setTimeout(r, 1100)); // distinct creationTimestamps (1 s resolution)
  }
  await eventually('only the 2 newest terminated pods remain', async () => {
    const names = (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=batch' })).items.map((p) => p.metadata.name).sort();
    return JSON.stringify(names) === JSON.stringify(['done-2', 'done-3']);
  });
});
