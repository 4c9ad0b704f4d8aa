/**
 * Events the StatefulSet controller records, with upstream's reasons, types and wording
 * (stateful_pod_control.go recordPodEvent/recordClaimEvent, stateful_set_control.go processReplica).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GVR } from '../../client/interface.ts';
import { newStatefulSet, Stepper } from './test-support.ts';
import { statefulSetsGVR } from './stateful-set-utils.ts';

async function runUp(s: Stepper, n: number): Promise<void> {
  for (let i = 0; i < 30 && !(s.pods().length === n && s.set().status?.readyReplicas === n); i++) {
    await s.step();
    await s.markReady();
  }
}

const cases: { name: string; phase: string; want: string[] }[] = [
  { name: 'Failed pod', phase: 'Failed', want: ['Warning RecreatingFailedPod StatefulSet default/web is recreating failed Pod web-0', 'Normal SuccessfulDelete delete Pod web-0 in StatefulSet web successful'] },
  { name: 'Succeeded pod', phase: 'Succeeded', want: ['Normal RecreatingTerminatedPod StatefulSet default/web is recreating terminated Pod web-0', 'Normal SuccessfulDelete delete Pod web-0 in StatefulSet web successful'] },
];
for (const tc of cases) {
  test(`StatefulSet events: ${tc.name} is recreated`, async () => {
    const s = new Stepper();
    await s.client.create(statefulSetsGVR, 'default', newStatefulSet('web', 1, { volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }));
    await runUp(s, 1);
    assert.deepEqual(s.recorder.events.slice(0, 2), ['Normal SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success', 'Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful']);
    s.recorder.events.length = 0;
    const p = structuredClone(s.client.peek<any>(GVR.pods, 'default', 'web-0'));
    p.status.phase = tc.phase;
    await s.client.update(GVR.pods, 'default', p, { subresource: 'status' });
    await s.step();
    assert.deepEqual(s.recorder.events, tc.want);
  });
}
