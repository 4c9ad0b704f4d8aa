/**
 * shared/cases/statefulset.json as a table test: naming facts through newStatefulSetPod /
 * getPersistentVolumeClaims, and the reconcile decisions (nextAction, scaleDownPVC,
 * rollingUpdate) through StatefulSetControl steps over a FakeClient.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { loadCases } from '../../machinery/testdata.ts';
import { controllerRevisionsGVR } from '../history/controller-history.ts';
import {
  getPersistentVolumeClaims,
  newRevision,
  newStatefulSetPod,
  newVersionedStatefulSetPod,
  pvcsGVR,
  statefulSetsGVR,
  getOrdinal,
  getPodRevision,
  type PodObj,
  type PVC,
} from './stateful-set-utils.ts';
import { newStatefulSet, setPodStatus, Stepper } from './test-support.ts';

const file = loadCases('statefulset.json');
const claimTemplate = (name: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });

/** A stepper holding set `web` (stored, uid assigned) whose only revision is its current template. */
async function withSet(replicas: number, spec: Record<string, unknown> = {}): Promise<{ s: Stepper; rev: string }> {
  const s = new Stepper();
  const set = await s.client.create(statefulSetsGVR, 'default', newStatefulSet('web', replicas, spec));
  const rev = newRevision(set, 1, 0);
  await s.client.create(controllerRevisionsGVR, 'default', rev);
  return { s, rev: rev.metadata.name! };
}

describe('statefulset.json', () => {
  for (const c of file.cases) {
    test(`${c.id} ${c.kind}${c.note ? ` (${c.note})` : ''}`, async () => {
      switch (c.kind) {
        case 'podNames': {
          const set = newStatefulSet(c.statefulSet, c.replicas, c.ordinalsStart !== undefined ? { ordinals: { start: c.ordinalsStart } } : {});
          const { s } = await withSet(c.replicas, { ...set.spec, podManagementPolicy: 'Parallel' });
          const r = await s.step();
          assert.deepEqual([...r.create].sort(), c.expectedPods);
          break;
        }
        case 'podHostname': {
          const set = newStatefulSet(c.statefulSet, c.ordinal + 1, { serviceName: c.serviceName });
          (set.metadata as Record<string, unknown>).namespace = c.namespace;
          const pod = newStatefulSetPod(set, c.ordinal);
          assert.equal(pod.spec?.hostname, c.expectedHostname);
          assert.equal(`${pod.spec?.hostname}.${pod.spec?.subdomain}.${pod.metadata?.namespace}.svc.cluster.local`, c.expectedDNS);
          break;
        }
        case 'pvcNames': {
          const { s } = await withSet(c.replicas, { podManagementPolicy: 'Parallel', volumeClaimTemplates: c.volumeClaimTemplates.map(claimTemplate) });
          await s.step();
          const names = s.client.peekAll<PVC>(pvcsGVR, 'default').map((p) => p.metadata!.name!).sort();
          assert.deepEqual(names, c.expectedPVCs);
          // Each pod mounts its own claims.
          for (const p of s.pods()) {
            const ord = getOrdinal(p);
            const want = [...getPersistentVolumeClaims(s.set(), ord).values()].map((x) => x.metadata!.name);
            assert.deepEqual(p.spec?.volumes?.map((v) => v.persistentVolumeClaim?.claimName), want);
          }
          break;
        }
        case 'podLabels': {
          const pod = newStatefulSetPod(newStatefulSet(c.statefulSet, c.ordinal + 1), c.ordinal);
          for (const [k, v] of Object.entries(c.expectedLabels as Record<string, string>)) assert.equal(pod.metadata?.labels?.[k], v, k);
          break;
        }
        case 'nextAction': {
          const { s, rev } = await withSet(c.replicas, { podManagementPolicy: c.podManagementPolicy });
          const set = s.set();
          for (const p of c.pods as { name: string; phase: string; ready: boolean }[]) {
            const pod = newVersionedStatefulSetPod(set, set, rev, rev, Number(p.name.split('-').pop())) as KubeObject;
            setPodStatus(pod, p.phase, p.ready);
            await s.client.create(GVR.pods, 'default', pod);
          }
          const r = await s.step();
          if (c.expected.create) {
            assert.deepEqual(r.create, c.expected.create);
            assert.deepEqual(r.delete, []);
          }
          if (c.expected.delete) {
            assert.deepEqual([...r.delete].sort(), c.expected.delete);
            assert.deepEqual(r.create, []);
          }
          break;
        }
        case 'scaleDownPVC': {
          const { s } = await withSet(c.replicas, {
            volumeClaimTemplates: c.volumeClaimTemplates.map(claimTemplate),
            persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', ...c.persistentVolumeClaimRetentionPolicy },
          });
          for (let i = 0; i < 20 && s.pods().length < c.replicas; i++) {
            await s.step();
            await s.markReady();
          }
          assert.equal(s.pods().length, c.replicas);
          const set = s.set();
          await s.client.update(statefulSetsGVR, 'default', { ...set, spec: { ...set.spec, replicas: c.newReplicas } });
          for (let i = 0; i < 20 && s.pods().length > c.newReplicas; i++) await s.step();
          assert.equal(s.pods().length, c.newReplicas);
          // The garbage collector deletes a claim once every owner it names is gone.
          const exists = (r: { kind: string; name: string; uid: string }) =>
            r.kind === 'Pod' ? s.client.peek(GVR.pods, 'default', r.name)?.metadata?.uid === r.uid : s.client.peek(statefulSetsGVR, 'default', r.name)?.metadata?.uid === r.uid;
          const collected = s.client
            .peekAll<PVC>(pvcsGVR, 'default')
            .filter((p) => (p.metadata?.ownerReferences ?? []).length > 0 && !(p.metadata?.ownerReferences ?? []).some(exists))
            .map((p) => p.metadata!.name!)
            .sort();
          assert.deepEqual(collected, c.expectedPVCsDeleted);
          break;
        }
        case 'rollingUpdate': {
          const { s } = await withSet(c.replicas, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: c.partition } } });
          for (let i = 0; i < 20 && s.pods().length < c.replicas; i++) {
            await s.step();
            await s.markReady();
          }
          await s.step(); // settles status.currentRevision
          const set = s.set();
          const oldRev = set.status?.currentRevision;
          assert.ok(oldRev);
          const tpl = structuredClone(set.spec!.template);
          tpl.spec!.containers[0].image = 'nginx:2';
          await s.client.update(statefulSetsGVR, 'default', { ...set, spec: { ...set.spec, template: tpl } });
          const order: number[] = [];
          for (let i = 0; i < 40; i++) {
            const r = await s.step();
            for (const d of r.delete) order.push(Number(d.split('-').pop()));
            await s.markReady();
          }
          assert.deepEqual(order, c.expectedUpdatedOrdinals);
          const updRev = s.set().status?.updateRevision;
          for (const p of s.pods()) {
            const ord = getOrdinal(p);
            const expectUpdated = (c.expectedUpdatedOrdinals as number[]).includes(ord);
            assert.equal(getPodRevision(p), expectUpdated ? updRev : oldRev, `web-${ord}`);
          }
          for (const n of c.expectedNotUpdated ?? []) {
            // Below the partition a deleted pod comes back on the old revision.
            await s.client.delete(GVR.pods, 'default', `web-${n}`);
            await s.step();
            const back = s.client.peek<PodObj>(GVR.pods, 'default', `web-${n}`);
            assert.ok(back, `web-${n} recreated`);
            assert.equal(getPodRevision(back), oldRev);
            await s.markReady();
          }
          break;
        }
        default:
          assert.fail(`unhandled case kind ${c.kind}`);
      }
    });
  }
});
