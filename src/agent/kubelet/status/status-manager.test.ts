import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../../client/interface.ts';
import { podsDifferSemantically } from '../kubelet.ts';
import { StatusManager } from './status-manager.ts';

async function newPod(fake: FakeClient): Promise<Pod> {
  return (await fake.create(GVR.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels: { app: 'a' } },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'web:1' }] },
    status: { phase: 'Pending' },
  } as KubeObject)) as Pod;
}

test('isOwnStatus: true only for the status this manager last wrote', async () => {
  const fake = new FakeClient();
  const sm = new StatusManager(fake);
  const pod = await newPod(fake);
  sm.observe(pod);
  assert.equal(sm.isOwnStatus(pod), false, 'nothing written yet');
  const written = await sm.setPodStatus(pod, { phase: 'Running', podIP: '10.0.0.2' });
  assert.ok(written);
  assert.equal(sm.isOwnStatus(written), true, 'the echo of our write');
  // Key order does not matter; content does.
  assert.equal(sm.isOwnStatus({ ...written, status: { podIP: '10.0.0.2', phase: 'Running' } }), true);
  assert.equal(sm.isOwnStatus({ ...written, status: { phase: 'Failed', podIP: '10.0.0.2' } }), false, 'someone else changed it');
  sm.forget(pod.metadata!.uid!);
  assert.equal(sm.isOwnStatus(written), false, 'forgotten');
});

test('podsDifferSemantically: spec, labels, annotations and deletion fields count; status and resourceVersion do not', () => {
  const base: Pod = {
    metadata: { name: 'p', uid: 'u', resourceVersion: '5', labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'web:1' }] },
    status: { phase: 'Pending' },
  };
  assert.equal(podsDifferSemantically(base, { ...base, metadata: { ...base.metadata, resourceVersion: '6' }, status: { phase: 'Running' } }), false);
  assert.equal(podsDifferSemantically(base, { ...base, spec: { containers: [{ name: 'c', image: 'web:2' }] } }), true);
  assert.equal(podsDifferSemantically(base, { ...base, metadata: { ...base.metadata, labels: { app: 'b' } } }), true);
  assert.equal(podsDifferSemantically(base, { ...base, metadata: { ...base.metadata, annotations: { x: 'y' } } }), true);
  assert.equal(podsDifferSemantically(base, { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }), true);
  assert.equal(podsDifferSemantically(base, { ...base, metadata: { ...base.metadata, deletionGracePeriodSeconds: 0 } }), true);
});
