import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { ReplicaSetController } from '../replicaset/replica-set.ts';
import { DeploymentController } from './deployment-controller.ts';
import { until, markPodsReady } from '../shared/test-harness.ts';

const dep = (image: string, replicas = 3, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    ...extra,
  },
});

async function start(c: FakeClient) {
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const rsc = new ReplicaSetController({ client: c, factory, recorder });
  const dc = new DeploymentController({ client: c, factory, recorder });
  const ac = new AbortController();
  factory.start(ac.signal);
  const runs = [rsc.run(2, ac.signal), dc.run(2, ac.signal)];
  // fake kubelet: pods become Running+Ready shortly after creation
  let maxPods = 0;
  const kubelet = setInterval(() => {
    maxPods = Math.max(maxPods, c.peekAll(GVR.pods, 'default').length);
    void markPodsReady(c, 'default').catch(() => {});
  }, 10);
  return {
    recorder,
    maxPods: () => maxPods,
    stop: async () => {
      clearInterval(kubelet);
      ac.abort();
      await Promise.all(runs);
      await factory.shutdown();
    },
  };
}

const rss = (c: FakeClient) => c.peekAll<any>(GVR.replicasets, 'default');
const d = (c: FakeClient) => c.peek<any>(GVR.deployments, 'default', 'web')!;
const complete = (c: FakeClient, replicas: number) => {
  const x = d(c);
  const s = x.status ?? {};
  return (
    s.observedGeneration >= x.metadata.generation &&
    s.updatedReplicas === replicas &&
    s.replicas === replicas &&
    s.availableReplicas === replicas &&
    s.conditions?.some((k: any) => k.type === 'Progressing' && k.reason === 'NewReplicaSetAvailable')
  );
};

describe('DeploymentController (with ReplicaSetController over FakeClient)', () => {
  test('create → rollout → update image → rollback reuses the old RS', async () => {
    const c = new FakeClient();
    await c.create(GVR.deployments, 'default', dep('nginx:1'));
    const h = await start(c);
    try {
      await until(() => complete(c, 3), 'first rollout complete');
      assert.equal(rss(c).length, 1);
      const rs1 = rss(c)[0];
      const hash1 = rs1.metadata.labels['pod-template-hash'];
      assert.ok(hash1 && /^[bcdfghjklmnpqrstvwxz2456789]+$/.test(hash1));
      assert.equal(rs1.metadata.name, `web-${hash1}`);
      assert.deepEqual(rs1.spec.selector.matchLabels, { app: 'web', 'pod-template-hash': hash1 });
      assert.equal(rs1.metadata.annotations['deployment.kubernetes.io/revision'], '1');
      assert.equal(rs1.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '3');
      assert.equal(rs1.metadata.annotations['deployment.kubernetes.io/max-replicas'], '4');
      assert.equal(rs1.metadata.ownerReferences[0].kind, 'Deployment');
      assert.equal(rs1.metadata.ownerReferences[0].controller, true);
      assert.equal(d(c).metadata.annotations['deployment.kubernetes.io/revision'], '1');
      const avail = d(c).status.conditions.find((k: any) => k.type === 'Available');
      assert.equal(avail.status, 'True');
      assert.equal(avail.reason, 'MinimumReplicasAvailable');
      assert.equal(avail.message, 'Deployment has minimum availability.');
      const prog = d(c).status.conditions.find((k: any) => k.type === 'Progressing');
      assert.equal(prog.message, `ReplicaSet "web-${hash1}" has successfully progressed.`);
      assert.ok(h.recorder.events.includes(`Normal ScalingReplicaSet Scaled up replica set web-${hash1} from 0 to 3`), h.recorder.events.join('\n'));

      // Update the image: a second RS takes over, the first is scaled to 0.
      const cur = d(c);
      await c.update(GVR.deployments, 'default', { ...cur, spec: { ...cur.spec, template: { ...cur.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
      await until(() => rss(c).length === 2 && complete(c, 3), 'second rollout complete');
      const rs2 = rss(c).find((r: any) => r.metadata.name !== rs1.metadata.name);
      assert.equal(rs2.metadata.annotations['deployment.kubernetes.io/revision'], '2');
      assert.equal(c.peek<any>(GVR.replicasets, 'default', rs1.metadata.name).spec.replicas, 0);
      assert.equal(d(c).metadata.annotations['deployment.kubernetes.io/revision'], '2');
      assert.ok(h.maxPods() <= 4 + 1, `surge respected (saw ${h.maxPods()} pods)`);
      assert.ok(h.recorder.events.some((e) => e.startsWith(`Normal ScalingReplicaSet Scaled down replica set web-${hash1} from 3 to`)));
      const pods = c.peekAll<any>(GVR.pods, 'default');
      assert.ok(pods.every((p) => p.spec.containers[0].image === 'nginx:2'));

      // Roll back by re-applying the old template (what `kubectl rollout undo` does).
      const cur2 = d(c);
      const oldTemplate = structuredClone(rs1.spec.template);
      delete oldTemplate.metadata.labels['pod-template-hash'];
      await c.patch(GVR.deployments, 'default', 'web', 'application/json-patch+json', [{ op: 'replace', path: '/spec/template', value: oldTemplate }]);
      await until(() => d(c).metadata.generation > cur2.metadata.generation && complete(c, 3) && c.peek<any>(GVR.replicasets, 'default', rs1.metadata.name).spec.replicas === 3, 'rollback complete');
      assert.equal(rss(c).length, 2, 'no new RS for a rollback');
      assert.equal(c.peek<any>(GVR.replicasets, 'default', rs1.metadata.name).metadata.annotations['deployment.kubernetes.io/revision'], '3');
      assert.equal(d(c).metadata.annotations['deployment.kubernetes.io/revision'], '3');
    } finally {
      await h.stop();
    }
  });

  test('scaling a Deployment scales its RS and records ScalingReplicaSet', async () => {
    const c = new FakeClient();
    await c.create(GVR.deployments, 'default', dep('nginx:1', 2));
    const h = await start(c);
    try {
      await until(() => complete(c, 2), 'rollout');
      await c.patch(GVR.deployments, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 5 } });
      await until(() => complete(c, 5), 'scaled to 5');
      const rs = rss(c)[0];
      assert.equal(rs.spec.replicas, 5);
      assert.equal(rs.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '5');
      assert.ok(h.recorder.events.includes(`Normal ScalingReplicaSet Scaled up replica set ${rs.metadata.name} from 2 to 5`), h.recorder.events.join('\n'));
    } finally {
      await h.stop();
    }
  });

  test('Recreate: old pods are gone before new ones are created', async () => {
    const c = new FakeClient();
    await c.create(GVR.deployments, 'default', dep('nginx:1', 2, { strategy: { type: 'Recreate' } }));
    const h = await start(c);
    let mixed = false;
    const watch = setInterval(() => {
      const images = new Set(c.peekAll<any>(GVR.pods, 'default').map((p) => p.spec.containers[0].image));
      if (images.size > 1) mixed = true;
    }, 1);
    try {
      await until(() => complete(c, 2), 'rollout');
      const cur = d(c);
      await c.update(GVR.deployments, 'default', { ...cur, spec: { ...cur.spec, template: { ...cur.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
      await until(() => rss(c).length === 2 && complete(c, 2), 'recreate rollout');
      assert.equal(mixed, false, 'old and new pods never coexist');
    } finally {
      clearInterval(watch);
      await h.stop();
    }
  });

  test('revisionHistoryLimit removes old scaled-down ReplicaSets', async () => {
    const c = new FakeClient();
    await c.create(GVR.deployments, 'default', dep('v1', 1, { revisionHistoryLimit: 1 }));
    const h = await start(c);
    try {
      for (const img of ['v2', 'v3']) {
        await until(() => complete(c, 1), `rollout before ${img}`);
        await c.patch(GVR.deployments, 'default', 'web', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'c', image: img }] } } } });
        await until(() => d(c).status.observedGeneration === d(c).metadata.generation, 'observed');
      }
      await until(() => complete(c, 1) && rss(c).length === 2, 'old RS cleaned up to the limit (1 old + current)');
      const revs = rss(c).map((r: any) => r.metadata.annotations['deployment.kubernetes.io/revision']).sort();
      assert.deepEqual(revs, ['2', '3']);
    } finally {
      await h.stop();
    }
  });

  test('no progress within progressDeadlineSeconds → Progressing=False ProgressDeadlineExceeded', async () => {
    const c = new FakeClient();
    await c.create(GVR.deployments, 'default', dep('nginx:1', 2, { progressDeadlineSeconds: 1 }));
    // No kubelet: pods never become ready.
    const factory = new SharedInformerFactory(c);
    const recorder = new FakeRecorder();
    const rsc = new ReplicaSetController({ client: c, factory, recorder });
    const dc = new DeploymentController({ client: c, factory, recorder });
    const ac = new AbortController();
    factory.start(ac.signal);
    const runs = [rsc.run(1, ac.signal), dc.run(1, ac.signal)];
    try {
      await until(() => (d(c).status?.conditions ?? []).some((k: any) => k.type === 'Progressing' && k.reason === 'ProgressDeadlineExceeded'), 'deadline exceeded');
      const cond = d(c).status.conditions.find((k: any) => k.type === 'Progressing');
      assert.equal(cond.status, 'False');
      assert.match(cond.message, /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
      const avail = d(c).status.conditions.find((k: any) => k.type === 'Available');
      assert.equal(avail.status, 'False');
      assert.equal(avail.reason, 'MinimumReplicasUnavailable');
    } finally {
      ac.abort();
      await Promise.all(runs);
      await factory.shutdown();
    }
  });
});
