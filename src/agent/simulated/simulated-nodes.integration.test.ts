/**
 * Simulated nodes against the real apiserver pipeline (resource table, SQLite backend) with the
 * controller manager and the scheduler, in-process, as `skiff server --simulated-nodes 3` wires
 * them: 3 nodes register Ready with Leases; a 30-replica Deployment becomes available with its pods
 * spread over the nodes and each given a distinct IP from its node's pod CIDR; scaling down removes
 * pods (deletion handled by the pod-delete stage); a restartPolicy Never pod Succeeds, one annotated
 * `skiff.io/simulated-fail: "true"` Fails; readiness flips with `skiff.io/simulated-ready`; a pod bound to a node that is not simulated is left alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startInProcessCluster, type InProcessCluster } from '../../../test/support/in-process-cluster.ts';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { SIMULATED_NODE_LABEL, SimulatedNodes } from './simulated-nodes.ts';

let c: Client;
let sim: SimulatedNodes;
let cluster: InProcessCluster;

before(async () => {
  cluster = await startInProcessCluster({ nodes: { count: 3, clusterCIDR: '10.77.0.0/16', leaseRenewIntervalMs: 1000 }, controllers: {} });
  c = cluster.client;
  sim = cluster.sim;
});

after(async () => {
  await cluster?.stop();
});

const podsOf = async (selector: string) => (await c.list<any>(GVR.pods, 'default', { labelSelector: selector })).items;

test('3 simulated nodes register Ready, labelled, with pod CIDRs and Leases', async () => {
  const nodes = (await c.list<any>(GVR.nodes, undefined)).items;
  assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
  for (const n of nodes) {
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], n.metadata.name);
    assert.equal(n.metadata.labels[SIMULATED_NODE_LABEL], 'true');
    assert.equal(n.status.conditions.find((x: any) => x.type === 'Ready')?.status, 'True');
    assert.deepEqual({ cpu: n.status.capacity.cpu, memory: n.status.capacity.memory, pods: n.status.capacity.pods }, { cpu: '32', memory: '256Gi', pods: '110' });
  }
  assert.deepEqual(nodes.map((n) => n.spec.podCIDR).sort(), ['10.77.1.0/24', '10.77.2.0/24', '10.77.3.0/24']);
  const leases = await eventually('3 leases', async () => {
    const l = (await c.list<any>(GVR.leases, 'kube-node-lease')).items;
    return l.length === 3 && l;
  });
  for (const l of leases) assert.equal(l.spec.holderIdentity, l.metadata.name);
  // The heartbeat renews.
  const first = leases.find((l) => l.metadata.name === 'sim-node-1').spec.renewTime;
  await eventually('lease renewal', async () => (await c.get<any>(GVR.leases, 'kube-node-lease', 'sim-node-1')).spec.renewTime !== first, 15_000);
});

test('a 30-replica Deployment becomes available across the nodes, then scales down', async () => {
  const dep: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 30,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  };
  await c.create(GVR.deployments, 'default', dep);
  await eventually(
    'deployment available with 30 replicas',
    async () => {
      const d = await c.get<any>(GVR.deployments, 'default', 'web');
      const s = d.status ?? {};
      return s.availableReplicas === 30 && s.updatedReplicas === 30 && s.observedGeneration >= d.metadata.generation && (s.conditions ?? []).some((x: any) => x.type === 'Available' && x.status === 'True');
    },
    120_000,
  );
  const pods = (await podsOf('app=web')).filter((p) => !p.metadata.deletionTimestamp);
  assert.equal(pods.length, 30);
  const perNode = new Map<string, number>();
  for (const p of pods) {
    perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.status.containerStatuses[0].ready, true);
    assert.ok(p.status.containerStatuses[0].state.running, 'container running');
    const idx = Number(p.spec.nodeName.slice('sim-node-'.length));
    assert.ok(p.status.podIP.startsWith(`10.77.${idx + 1}.`), `${p.status.podIP} in the pod CIDR of ${p.spec.nodeName}`);
    assert.equal(p.status.hostIP, `127.1.0.${idx + 1}`);
  }
  assert.equal(new Set(pods.map((p) => p.status.podIP)).size, 30, 'pod IPs are unique');
  assert.deepEqual([...perNode.keys()].sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
  for (const [node, n] of perNode) assert.ok(n >= 5, `${node} got ${n} pods (spread expected)`);

  await c.patch(GVR.deployments, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 4 } });
  await eventually(
    'scaled down to 4 pods (terminating pods removed)',
    async () => {
      const d = await c.get<any>(GVR.deployments, 'default', 'web');
      const all = await podsOf('app=web');
      return all.length === 4 && d.status?.availableReplicas === 4 && d.status?.replicas === 4;
    },
    60_000,
  );
});

test('readiness flips with the skiff.io/simulated-ready annotation', async () => {
  const [victim] = (await podsOf('app=web')).filter((p) => !p.metadata.deletionTimestamp);
  const name = victim.metadata.name;
  await c.patch(GVR.pods, 'default', name, 'application/merge-patch+json', { metadata: { annotations: { 'skiff.io/simulated-ready': 'false' } } });
  await eventually('pod not ready, deployment 3/4 available', async () => {
    const p = await c.get<any>(GVR.pods, 'default', name);
    const d = await c.get<any>(GVR.deployments, 'default', 'web');
    return p.status.conditions.find((x: any) => x.type === 'Ready').status === 'False' && p.status.containerStatuses[0].ready === false && d.status.availableReplicas === 3;
  });
  await c.patch(GVR.pods, 'default', name, 'application/merge-patch+json', { metadata: { annotations: { 'skiff.io/simulated-ready': null } } });
  await eventually('pod ready again, deployment 4/4 available', async () => {
    const p = await c.get<any>(GVR.pods, 'default', name);
    const d = await c.get<any>(GVR.deployments, 'default', 'web');
    return p.status.conditions.find((x: any) => x.type === 'Ready').status === 'True' && d.status.availableReplicas === 4;
  });
});

function barePod(name: string, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { kind: 'job' }, ...(annotations ? { annotations } : {}) },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
  };
}

test('a restartPolicy Never pod reaches Succeeded; one annotated to fail reaches Failed; a delay annotation holds completion back', async () => {
  await c.create(GVR.pods, 'default', barePod('job-ok'));
  await c.create(GVR.pods, 'default', barePod('job-fail', { 'skiff.io/simulated-fail': 'true' }));
  await c.create(GVR.pods, 'default', barePod('job-slow', { 'skiff.io/simulated-complete-delay': '1h' }));
  const ok = await eventually('job-ok Succeeded', async () => {
    const p = await c.get<any>(GVR.pods, 'default', 'job-ok');
    return p.status?.phase === 'Succeeded' && p;
  });
  assert.equal(ok.status.containerStatuses[0].state.terminated.exitCode, 0);
  assert.equal(ok.status.containerStatuses[0].state.terminated.reason, 'Completed');
  assert.equal(ok.status.conditions.find((x: any) => x.type === 'Ready').reason, 'PodCompleted');
  const bad = await eventually('job-fail Failed', async () => {
    const p = await c.get<any>(GVR.pods, 'default', 'job-fail');
    return p.status?.phase === 'Failed' && p;
  });
  assert.equal(bad.status.containerStatuses[0].state.terminated.exitCode, 1);
  assert.equal(bad.status.containerStatuses[0].state.terminated.reason, 'Error');
  const ev = await eventually('Failed event', async () => {
    const evs = (await c.list<any>(GVR.events, 'default')).items;
    return evs.find((e) => e.involvedObject?.name === 'job-fail' && e.reason === 'Failed');
  });
  assert.equal(ev.type, 'Warning');
  // Completed pods keep their status (no further stage applies).
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await c.get<any>(GVR.pods, 'default', 'job-ok')).status.phase, 'Succeeded');
  // The delay annotation holds completion back (1 h) while the others have finished.
  const slow = await eventually('job-slow Running', async () => {
    const p = await c.get<any>(GVR.pods, 'default', 'job-slow');
    return p.status?.phase === 'Running' && p;
  });
  assert.equal(slow.status.containerStatuses[0].ready, true);
});

test('pods bound to a node that is not simulated are not touched', async () => {
  const p = barePod('elsewhere');
  (p.spec as any).nodeName = 'real-node';
  (p.spec as any).restartPolicy = 'Always';
  await c.create(GVR.pods, 'default', p);
  // A simulated pod created after it gets Running: by then the controller has seen both.
  const probe = barePod('probe');
  (probe.spec as any).nodeName = 'sim-node-0';
  (probe.spec as any).restartPolicy = 'Always';
  await c.create(GVR.pods, 'default', probe);
  await eventually('probe Running', async () => (await c.get<any>(GVR.pods, 'default', 'probe')).status?.phase === 'Running');
  const got = await c.get<any>(GVR.pods, 'default', 'elsewhere');
  assert.equal(got.status?.podIP, undefined);
  assert.notEqual(got.status?.phase, 'Running');
  // Deletion of a simulated pod completes without a kubelet.
  await c.delete(GVR.pods, 'default', 'probe');
  await eventually('probe gone', async () => (await c.list<any>(GVR.pods, 'default', { fieldSelector: 'metadata.name=probe' })).items.length === 0);
});
