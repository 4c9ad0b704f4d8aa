import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from '../../machinery/testdata.ts';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { labelSelectorAsSelector } from '../../client/selectors.ts';
import { PodControllerRefManager, claimDecision } from './controller-ref-manager.ts';

const file = loadCases('gc-ownerrefs.json');

describe('gc-ownerrefs.json claim cases (ClaimPods)', () => {
  for (const c of file.cases.filter((x) => x.kind === 'claim')) {
    test(`${c.id}: ${c.name}`, async () => {
      const fake = new FakeClient();
      const controller: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: c.controller.name,
          namespace: 'default',
          uid: c.controller.uid,
          ...(c.controller.deletionTimestamp ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
        },
        spec: { selector: c.controller.selector },
      };
      const created = await fake.create<KubeObject>(GVR.pods, 'default', {
        metadata: { name: 'p', namespace: 'default', labels: c.pod.labels, ownerReferences: c.pod.ownerReferences },
        spec: { containers: [] },
      });
      // A pod with deletionTimestamp: put it into deletion through finalizers, as the apiserver would.
      let pod: KubeObject = created;
      if (c.pod.deletionTimestamp) {
        await fake.patch(GVR.pods, 'default', 'p', 'application/merge-patch+json', { metadata: { finalizers: ['test/hold'] } });
        pod = (await fake.delete(GVR.pods, 'default', 'p')) as KubeObject;
        assert.ok(pod.metadata?.deletionTimestamp);
      }
      const selector = labelSelectorAsSelector(c.controller.selector);
      assert.equal(claimDecision(controller, selector, pod), c.expected);
      const cm = new PodControllerRefManager(fake, GVR.pods, controller, selector, { apiVersion: 'apps/v1', kind: 'ReplicaSet' }, async () => {
        if (controller.metadata?.deletionTimestamp) throw new Error('being deleted');
      });
      const claimed = await cm.claimPods([pod]);
      assert.equal(claimed.length, c.expected === 'adopt' || c.expected === 'keep' ? 1 : 0);
      const after = fake.peek(GVR.pods, 'default', 'p')!;
      if (c.expectedOwnerReferences) {
        assert.deepEqual(after.metadata?.ownerReferences ?? [], c.expectedOwnerReferences);
      } else if (c.expected === 'adopt') {
        // e.g. gc-008: the non-controller reference stays and ours is added
        const refs = after.metadata?.ownerReferences ?? [];
        assert.ok(refs.some((r: any) => r.uid === c.controller.uid && r.controller === true && r.blockOwnerDeletion === true));
        for (const r of c.pod.ownerReferences) assert.ok(refs.some((x: any) => x.uid === r.uid));
      } else {
        assert.deepEqual(after.metadata?.ownerReferences ?? [], c.pod.ownerReferences, 'unchanged');
      }
    });
  }
});
