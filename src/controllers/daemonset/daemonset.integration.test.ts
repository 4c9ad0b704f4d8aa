/**
 * DaemonSet controller against the real apiserver pipeline with the scheduler and simulated nodes,
 * in-process: 3 nodes → 3 pods (one per node, bound by the scheduler through the node-name
 * affinity); a nodeSelector picks labelled nodes; a NoSchedule-tainted node gets a pod only from a
 * DaemonSet that tolerates the taint; a node added later gets its pod; a template change rolls the
 * pods one at a time (maxUnavailable 1) and records a second ControllerRevision; OnDelete leaves pods.
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
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { startControllers } from '../manager.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { SimulatedNodes } from '../../agent/simulated/simulated-nodes.ts';
import { daemonSetsGVR } from './daemonset-controller.ts';
import { controllerRevisionsGVR } from '../history/controller-history.ts';

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let c: Client;
const sims: SimulatedNodes[] = [];
const ac = new AbortController();

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

async function addNodes(prefix: string, count: number, cidr: string, extra: { taints?: any[] } = {}): Promise<void> {
  const sim = new SimulatedNodes({ client: c, count, prefix, clusterCIDR: cidr, leaseRenewIntervalMs: 1000, ...extra });
  sims.push(sim);
  await sim.start(ac.signal);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-ds-'));
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator(), resources: RESOURCES, machinery: realMachinery() });
  await api.waitReady();
  c = api.inProcessClient();
  void startControllers(c, ac.signal, { workers: 4, controllers: ['daemonset', 'garbagecollector', 'namespace'] });
  void new Scheduler({ client: c }).start(ac.signal);
  await addNodes('sim-node-', 3, '10.78.0.0/16');
});

after(async () => {
  ac.abort();
  for (const s of sims) await s.stop();
  await new Promise((r) => setTimeout(r, 100));
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ds = (name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }], ...podSpec } },
    ...spec,
  },
});
const livePods = async (app: string) => (await c.list<any>(GVR.pods, 'default', { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata.deletionTimestamp);
const nodesOf = (pods: any[]) => pods.map((p) => p.spec.nodeName).sort();
const ready = (p: any) => (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True');

test('3 nodes → 3 daemon pods, bound by node-name affinity, with tolerations, hash label and status', async () => {
  await c.create(daemonSetsGVR, 'default', ds('agent'));
  const d = await eventually('agent available on 3 nodes', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'agent');
    const s = d.status ?? {};
    return s.desiredNumberScheduled === 3 && s.numberAvailable === 3 && s.numberReady === 3 && s.updatedNumberScheduled === 3 && s.currentNumberScheduled === 3 && s.observedGeneration === d.metadata.generation && d;
  });
  assert.equal(d.status.numberMisscheduled, 0);
  const pods = await livePods('agent');
  assert.deepEqual(nodesOf(pods), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
  const crs = (await c.list<any>(controllerRevisionsGVR, 'default')).items.filter((r) => r.metadata.ownerReferences?.[0]?.uid === d.metadata.uid);
  assert.equal(crs.length, 1);
  assert.equal(crs[0].revision, 1);
  assert.equal(crs[0].data.spec.template.$patch, 'replace');
  for (const p of pods) {
    assert.equal(p.metadata.labels['controller-revision-hash'], crs[0].metadata.labels['controller-revision-hash']);
    assert.equal(p.metadata.labels['pod-template-generation'], '1');
    assert.deepEqual(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] },
    ]);
    const keys = p.spec.tolerations.map((t: any) => `${t.key}:${t.effect}`).sort();
    assert.deepEqual(keys, [
      'node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.equal(p.metadata.ownerReferences[0].kind, 'DaemonSet');
  }
  const events = (await c.list<any>(GVR.events, 'default')).items.filter((e) => e.involvedObject.name === 'agent' && e.reason === 'SuccessfulCreate');
  assert.ok(events.length >= 1, 'SuccessfulCreate events recorded');
});

test('nodeSelector: only labelled nodes run the pod', async () => {
  await c.patch(GVR.nodes, undefined, 'sim-node-1', 'application/merge-patch+json', { metadata: { labels: { disk: 'ssd' } } });
  await c.create(daemonSetsGVR, 'default', ds('ssd', {}, { nodeSelector: { disk: 'ssd' } }));
  await eventually('ssd pod on sim-node-1 only', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'ssd');
    const pods = await livePods('ssd');
    return d.status?.desiredNumberScheduled === 1 && d.status?.numberReady === 1 && pods.length === 1 && pods[0].spec.nodeName === 'sim-node-1';
  });
});

test('a tainted node runs only tolerating daemon pods; a node added later gets its pod', async () => {
  await addNodes('tainted-', 1, '10.79.0.0/16', { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] });
  await c.create(daemonSetsGVR, 'default', ds('tolerant', {}, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] }));
  await eventually('tolerant pods on all 4 nodes', async () => {
    const pods = await livePods('tolerant');
    return pods.length === 4 && pods.every(ready) && JSON.stringify(nodesOf(pods)) === JSON.stringify(['sim-node-0', 'sim-node-1', 'sim-node-2', 'tainted-0']);
  });
  // The intolerant DaemonSet has seen the tainted node (status recomputed) but made no pod there.
  const d = await eventually('agent still 3 desired', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'agent');
    return d.status?.desiredNumberScheduled === 3 && d;
  });
  assert.equal(d.status.currentNumberScheduled, 3);
  assert.deepEqual(nodesOf(await livePods('agent')), ['sim-node-0', 'sim-node-1', 'sim-node-2']);

  await addNodes('late-', 1, '10.80.0.0/16');
  await eventually('late node gets an agent pod', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'agent');
    const pods = await livePods('agent');
    return d.status?.desiredNumberScheduled === 4 && d.status?.numberAvailable === 4 && pods.some((p) => p.spec.nodeName === 'late-0' && ready(p));
  });
});

test('RollingUpdate replaces pods one at a time and records revision 2', async () => {
  const before = await c.get<any>(daemonSetsGVR, 'default', 'agent');
  const desired = before.status.desiredNumberScheduled;
  let minReady = Infinity;
  const watchAc = new AbortController();
  const seen = new Map<string, any>();
  let primed = false;
  const w = c.watch<any>(GVR.pods, 'default', { labelSelector: 'app=agent' }, (ev) => {
    if (ev.type === 'DELETED') seen.delete(ev.object.metadata.name);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') seen.set(ev.object.metadata.name, ev.object);
    const n = [...seen.values()].filter((p) => !p.metadata.deletionTimestamp && ready(p)).length;
    if (primed) minReady = Math.min(minReady, n);
  }, watchAc.signal).catch(() => {});
  await eventually('watch primed', async () => seen.size >= desired, 10_000);
  primed = true;
  await c.patch(daemonSetsGVR, 'default', 'agent', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } });
  const d = await eventually('rolled out', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'agent');
    const pods = await livePods('agent');
    const s = d.status ?? {};
    return s.observedGeneration === d.metadata.generation && s.updatedNumberScheduled === desired && s.numberAvailable === desired &&
      pods.length === desired && pods.every((p) => p.spec.containers[0].image === 'agent:2') && d;
  }, 120_000);
  watchAc.abort();
  await w;
  assert.ok(minReady >= desired - 1, `at most maxUnavailable=1 pod unavailable during the update (min ready seen ${minReady} of ${desired})`);
  const crs = (await c.list<any>(controllerRevisionsGVR, 'default')).items.filter((r) => r.metadata.ownerReferences?.[0]?.uid === d.metadata.uid);
  assert.deepEqual(crs.map((r) => r.revision).sort(), [1, 2]);
  const cur = crs.find((r) => r.revision === 2);
  for (const p of await livePods('agent')) {
    assert.equal(p.metadata.labels['controller-revision-hash'], cur.metadata.labels['controller-revision-hash']);
    assert.equal(p.metadata.labels['pod-template-generation'], '2');
  }
});

test('OnDelete: a template change leaves existing pods until they are deleted', async () => {
  await c.create(daemonSetsGVR, 'default', ds('manual', { updateStrategy: { type: 'OnDelete' } }, { nodeSelector: { disk: 'ssd' } }));
  const first = await eventually('manual pod ready', async () => {
    const pods = await livePods('manual');
    return pods.length === 1 && ready(pods[0]) && pods[0];
  });
  await c.patch(daemonSetsGVR, 'default', 'manual', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } });
  await eventually('status observed the new generation', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'manual');
    return d.status?.observedGeneration === d.metadata.generation && d.status?.updatedNumberScheduled === 0;
  });
  const pods = await livePods('manual');
  assert.equal(pods.length, 1);
  assert.equal(pods[0].metadata.uid, first.metadata.uid);
  await c.delete(GVR.pods, 'default', first.metadata.name, { gracePeriodSeconds: 0 });
  await eventually('replacement with the new template', async () => {
    const pods = await livePods('manual');
    return pods.length === 1 && pods[0].spec.containers[0].image === 'agent:2';
  });
});

test('maxSurge 1: the new pod becomes available before the old one is deleted', async () => {
  await c.create(daemonSetsGVR, 'default', ds('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }, { nodeSelector: { disk: 'ssd' } }));
  await eventually('surge pod ready', async () => {
    const pods = await livePods('surge');
    return pods.length === 1 && ready(pods[0]);
  });
  let minReady = Infinity;
  let maxPods = 0;
  const seen = new Map<string, any>();
  let primed = false;
  const watchAc = new AbortController();
  const w = c.watch<any>(GVR.pods, 'default', { labelSelector: 'app=surge' }, (ev) => {
    if (ev.type === 'DELETED') seen.delete(ev.object.metadata.name);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') seen.set(ev.object.metadata.name, ev.object);
    if (!primed) return;
    const live = [...seen.values()].filter((p) => !p.metadata.deletionTimestamp);
    minReady = Math.min(minReady, live.filter(ready).length);
    maxPods = Math.max(maxPods, live.length);
  }, watchAc.signal).catch(() => {});
  await eventually('watch primed', async () => seen.size >= 1, 10_000);
  primed = true;
  await c.patch(daemonSetsGVR, 'default', 'surge', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } });
  await eventually('surge rolled out', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'surge');
    const pods = await livePods('surge');
    return d.status?.observedGeneration === d.metadata.generation && d.status?.updatedNumberScheduled === 1 && d.status?.numberAvailable === 1 &&
      pods.length === 1 && pods[0].spec.containers[0].image === 'agent:2';
  });
  watchAc.abort();
  await w;
  assert.equal(minReady, 1, 'a ready pod at every observed moment');
  assert.equal(maxPods, 2, 'old and new pod side by side during the surge');
});

test('a removed node: its pod is not moved elsewhere', async () => {
  const late = sims.find((s) => s.nodeNames.includes('late-0'))!;
  await late.stop();
  const before = (await livePods('agent')).filter((p) => p.spec.nodeName !== 'late-0').map((p) => p.metadata.uid).sort();
  await c.delete(GVR.nodes, undefined, 'late-0');
  await eventually('agent desired back to 3', async () => {
    const d = await c.get<any>(daemonSetsGVR, 'default', 'agent');
    return d.status?.desiredNumberScheduled === 3;
  });
  const after = await livePods('agent');
  const others = after.filter((p) => p.spec.nodeName !== 'late-0');
  assert.deepEqual(others.map((p) => p.metadata.uid).sort(), before, 'pods on the remaining nodes untouched, none added');
});
