/**
 * StatefulSet controller against the real apiserver pipeline (resource table, SQLite backend),
 * the controller manager, the scheduler and 2 simulated nodes, in-process: ordered creation
 * (no pod exists before its predecessor is Running and Ready, checked on every snapshot), claims
 * `www-web-<n>` created before their pods and kept after scale-down, reverse-order scale-down,
 * a partitioned rolling update, and upstream's event wording.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startInProcessCluster, type InProcessCluster } from '../../../test/support/in-process-cluster.ts';
import { GVR, type Client } from '../../client/interface.ts';
import { SimulatedNodes } from '../../agent/simulated/simulated-nodes.ts';
import { pvcsGVR, statefulSetsGVR } from './stateful-set-utils.ts';

let c: Client;
let sim: SimulatedNodes;
let cluster: InProcessCluster;

before(async () => {
  cluster = await startInProcessCluster({ nodes: { count: 2, clusterCIDR: '10.78.0.0/16', leaseRenewIntervalMs: 1000 }, controllers: { controllers: ['statefulset', 'garbagecollector', 'namespace'] } });
  c = cluster.client;
  sim = cluster.sim;
  // Claims wait for their first consumer (as local-path does), so the scheduler places their pods.
  await c.create({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' }, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'sim' },
    provisioner: 'skiff.io/none',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
});

after(async () => {
  await cluster?.stop();
});

const ready = (p: any) => p.status?.phase === 'Running' && p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');
const pods = async () => (await c.list<any>(GVR.pods, 'default', { labelSelector: 'app=web' })).items;
const byName = (ps: any[]) => new Map(ps.map((p) => [p.metadata.name as string, p]));
const image = (p: any) => p.spec.containers[0].image;

/** Polls until `done(snapshot)`, asserting `invariant(snapshot)` on every snapshot on the way. */
async function watchUntil(what: string, invariant: (m: Map<string, any>) => void, done: (m: Map<string, any>) => boolean): Promise<Map<string, any>> {
  return eventually(what, async () => {
    const m = byName(await pods());
    invariant(m);
    return done(m) ? m : undefined;
  });
}

test('OrderedReady: pods web-0..2 created in order, each after its predecessor is Running and Ready; claims first', async () => {
  await c.create(statefulSetsGVR, 'default', {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { storageClassName: 'sim', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  });
  const orderedInvariant = (m: Map<string, any>) => {
    for (const name of m.keys()) {
      const ord = Number(name.split('-')[1]);
      if (ord > 0) assert.ok(ready(m.get(`web-${ord - 1}`)), `${name} exists while web-${ord - 1} is not Running and Ready`);
    }
  };
  const m = await watchUntil('3 ready pods', orderedInvariant, (m) => m.size === 3 && [...m.values()].every(ready));
  const p1 = m.get('web-1');
  assert.equal(p1.spec.hostname, 'web-1');
  assert.equal(p1.spec.subdomain, 'web');
  assert.equal(p1.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-1');
  assert.equal(p1.metadata.labels['apps.kubernetes.io/pod-index'], '1');
  assert.deepEqual(p1.spec.volumes.find((v: any) => v.name === 'www').persistentVolumeClaim, { claimName: 'www-web-1' });
  const claims = (await c.list<any>(pvcsGVR, 'default')).items.map((x) => x.metadata.name).sort();
  assert.deepEqual(claims, ['www-web-0', 'www-web-1', 'www-web-2']);
  const st = await eventually('status', async () => {
    const s = await c.get<any>(statefulSetsGVR, 'default', 'web');
    return s.status?.readyReplicas === 3 && s.status?.availableReplicas === 3 ? s.status : undefined;
  });
  assert.equal(st.replicas, 3);
  assert.equal(st.currentReplicas, 3);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.currentRevision, st.updateRevision);
  assert.equal(st.observedGeneration, 1);
  assert.equal(st.collisionCount, 0);
  assert.equal(p1.metadata.labels['controller-revision-hash'], st.updateRevision);
  const revs = (await c.list<any>({ group: 'apps', version: 'v1', resource: 'controllerrevisions' }, 'default')).items;
  assert.deepEqual(revs.map((r) => [r.metadata.name, r.revision]), [[st.updateRevision, 1]]);
  const events = (await c.list<any>(GVR.events, 'default')).items.filter((e) => e.involvedObject?.name === 'web').map((e) => `${e.reason} ${e.message}`);
  assert.ok(events.includes('SuccessfulCreate create Pod web-0 in StatefulSet web successful'), events.join('\n'));
  assert.ok(events.includes('SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success'), events.join('\n'));
});

test('scale 3 -> 1 deletes web-2 before web-1 and keeps every claim (Retain)', async () => {
  await c.patch(statefulSetsGVR, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 1 } });
  await watchUntil(
    'only web-0 left',
    (m) => {
      if (!m.has('web-2') || m.get('web-2')?.metadata.deletionTimestamp) return;
      assert.ok(m.has('web-1') && !m.get('web-1').metadata.deletionTimestamp, 'web-1 went before web-2');
    },
    (m) => m.size === 1 && m.has('web-0'),
  );
  const claims = (await c.list<any>(pvcsGVR, 'default')).items.map((x) => x.metadata.name).sort();
  assert.deepEqual(claims, ['www-web-0', 'www-web-1', 'www-web-2']);
  const events = (await c.list<any>(GVR.events, 'default')).items.filter((e) => e.involvedObject?.name === 'web').map((e) => `${e.reason} ${e.message}`);
  assert.ok(events.includes('SuccessfulDelete delete Pod web-2 in StatefulSet web successful'), events.join('\n'));
});

test('partitioned RollingUpdate: partition 2 updates only web-2; partition 0 then updates web-1 and web-0', async () => {
  await c.patch(statefulSetsGVR, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 3 } });
  await watchUntil('3 ready', () => {}, (m) => m.size === 3 && [...m.values()].every(ready));
  const set = await c.get<any>(statefulSetsGVR, 'default', 'web');
  const oldRev = set.status.currentRevision;
  // A JSON patch (no resourceVersion precondition, as `kubectl patch` sends): the controller keeps
  // writing status meanwhile, so a read-modify-write PUT could meet a 409.
  await c.patch(statefulSetsGVR, 'default', 'web', 'application/json-patch+json', [
    { op: 'replace', path: '/spec/updateStrategy', value: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:2' },
  ]);
  const m = await watchUntil('web-2 updated', () => {}, (m) => m.get('web-2')?.spec && image(m.get('web-2')) === 'nginx:2' && ready(m.get('web-2')));
  assert.equal(image(m.get('web-0')), 'nginx:1');
  assert.equal(image(m.get('web-1')), 'nginx:1');
  const st = await eventually('status updated=1', async () => {
    const s = await c.get<any>(statefulSetsGVR, 'default', 'web');
    return s.status?.updatedReplicas === 1 && s.status?.observedGeneration === s.metadata.generation ? s.status : undefined;
  });
  assert.equal(st.currentRevision, oldRev);
  assert.notEqual(st.updateRevision, oldRev);
  assert.equal(st.currentReplicas, 2);
  // Lower the partition: web-1 then web-0, highest first, each after the previous is ready.
  await c.patch(statefulSetsGVR, 'default', 'web', 'application/merge-patch+json', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
  await watchUntil(
    'all updated',
    (m) => {
      const p0 = m.get('web-0');
      if (p0 && image(p0) === 'nginx:2') assert.ok(m.get('web-1') && image(m.get('web-1')) === 'nginx:2', 'web-0 updated before web-1');
    },
    (m) => m.size === 3 && [...m.values()].every((p) => image(p) === 'nginx:2' && ready(p)),
  );
  await eventually('rollout complete', async () => {
    const s = await c.get<any>(statefulSetsGVR, 'default', 'web');
    return s.status?.currentRevision === s.status?.updateRevision && s.status?.updatedReplicas === 3 && s.status?.currentReplicas === 3;
  });
});
