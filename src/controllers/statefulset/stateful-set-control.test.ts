/**
 * StatefulSetControl decisions beyond the case file (stateful_set_control_test.go in spirit):
 * OnDelete leaves old pods until they are deleted, a Failed pod is deleted and recreated,
 * WhenDeleted=Delete gives claims an ownerReference to the set, a rollback reuses the old
 * revision (renumbered), and status counters and revisions.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GVR } from '../../client/interface.ts';
import { controllerRevisionsGVR, type ControllerRevision } from '../history/controller-history.ts';
import { getPodRevision, pvcsGVR, statefulSetsGVR, type PVC } from './stateful-set-utils.ts';
import { newStatefulSet, Stepper } from './test-support.ts';

async function runUp(s: Stepper, n: number): Promise<void> {
  for (let i = 0; i < 30 && !(s.pods().length === n && s.set().status?.readyReplicas === n); i++) {
    await s.step();
    await s.markReady();
  }
  await s.step();
  assert.equal(s.set().status?.readyReplicas, n);
}

async function setImage(s: Stepper, image: string, extra: Record<string, unknown> = {}): Promise<void> {
  const set = s.set();
  const tpl = structuredClone(set.spec!.template);
  tpl.spec!.containers[0].image = image;
  await s.client.update(statefulSetsGVR, 'default', { ...set, spec: { ...set.spec, ...extra, template: tpl } });
}

describe('StatefulSetControl', () => {
  test('OnDelete: a template change deletes nothing; a deleted pod comes back on the update revision', async () => {
    const s = new Stepper();
    await s.client.create(statefulSetsGVR, 'default', newStatefulSet('web', 2, { updateStrategy: { type: 'OnDelete' } }));
    await runUp(s, 2);
    const oldRev = s.set().status!.currentRevision;
    await setImage(s, 'nginx:2');
    for (let i = 0; i < 5; i++) assert.deepEqual(await s.step(), { create: [], delete: [] });
    const st = s.set().status!;
    assert.notEqual(st.updateRevision, oldRev);
    assert.equal(st.currentRevision, oldRev);
    assert.equal(st.updatedReplicas, 0);
    await s.client.delete(GVR.pods, 'default', 'web-1');
    assert.deepEqual(await s.step(), { create: ['web-1'], delete: [] });
    const p1 = s.client.peek<any>(GVR.pods, 'default', 'web-1');
    assert.equal(getPodRevision(p1), st.updateRevision);
    assert.equal(p1.spec.containers[0].image, 'nginx:2');
    assert.equal(getPodRevision(s.client.peek<any>(GVR.pods, 'default', 'web-0')), oldRev);
  });

  test('a Failed pod is deleted, then recreated under the same name', async () => {
    const s = new Stepper();
    await s.client.create(statefulSetsGVR, 'default', newStatefulSet('web', 1));
    await runUp(s, 1);
    const p = structuredClone(s.client.peek<any>(GVR.pods, 'default', 'web-0'));
    p.status.phase = 'Failed';
    await s.client.update(GVR.pods, 'default', p, { subresource: 'status' });
    assert.deepEqual(await s.step(), { create: [], delete: ['web-0'] });
    assert.deepEqual(await s.step(), { create: ['web-0'], delete: [] });
    assert.ok(s.recorder.events.includes('Normal SuccessfulDelete delete Pod web-0 in StatefulSet web successful'), s.recorder.events.join('\n'));
  });

  test('WhenDeleted=Delete: claims carry an ownerReference to the set', async () => {
    const s = new Stepper();
    const set = await s.client.create(
      statefulSetsGVR,
      'default',
      newStatefulSet('web', 1, {
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
        volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      }),
    );
    await s.step();
    const claim = s.client.peek<PVC>(pvcsGVR, 'default', 'www-web-0')!;
    assert.deepEqual(claim.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata!.uid }]);
    assert.deepEqual(claim.metadata?.labels, { app: 'web' });
    assert.ok(s.recorder.events.includes('Normal SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success'), s.recorder.events.join('\n'));
  });

  test('rollback to an earlier template reuses its revision with a new number; rollout completes', async () => {
    const s = new Stepper();
    await s.client.create(statefulSetsGVR, 'default', newStatefulSet('web', 2));
    await runUp(s, 2);
    const rev1 = s.set().status!.currentRevision!;
    await setImage(s, 'nginx:2');
    await runUp(s, 2);
    for (let i = 0; i < 20 && s.set().status?.currentRevision === rev1; i++) {
      await s.step();
      await s.markReady();
    }
    const rev2 = s.set().status!.currentRevision!;
    assert.notEqual(rev2, rev1);
    assert.equal(s.set().status!.updatedReplicas, 2);
    await setImage(s, 'nginx:1');
    for (let i = 0; i < 20 && s.set().status?.currentRevision !== rev1; i++) {
      await s.step();
      await s.markReady();
    }
    const st = s.set().status!;
    assert.equal(st.currentRevision, rev1);
    assert.equal(st.updateRevision, rev1);
    const revs = s.client.peekAll<ControllerRevision>(controllerRevisionsGVR, 'default');
    assert.deepEqual(revs.map((r) => [r.metadata.name, r.revision]).sort(), [[rev1, 3], [rev2, 2]].sort());
    for (const p of s.pods()) assert.equal(getPodRevision(p), rev1);
  });

  test('maxUnavailable 2: outdated pods are deleted two at a time, highest ordinals first, above the partition', async () => {
    const s = new Stepper();
    await s.client.create(statefulSetsGVR, 'default', newStatefulSet('web', 5, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: 2 } } }));
    await runUp(s, 5);
    await setImage(s, 'nginx:2');
    const batches: string[][] = [];
    for (let i = 0; i < 20; i++) {
      const r = await s.step();
      if (r.delete.length) batches.push(r.delete);
      await s.markReady();
    }
    assert.deepEqual(batches, [['web-4', 'web-3'], ['web-2', 'web-1']]);
    const upd = s.set().status!.updateRevision;
    assert.notEqual(getPodRevision(s.client.peek<any>(GVR.pods, 'default', 'web-0')), upd);
    for (const n of [1, 2, 3, 4]) assert.equal(getPodRevision(s.client.peek<any>(GVR.pods, 'default', `web-${n}`)), upd);
  });
});
