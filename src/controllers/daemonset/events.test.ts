/**
 * Events the DaemonSet controller records (daemon_controller.go podsShouldBeOnNode and the pod
 * control of controller_utils.go), with upstream's reasons, types and wording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { DaemonSetsController, daemonSetsGVR } from './daemonset-controller.ts';
import type { DSObj } from './util.ts';

const labels = { app: 'agent' };
const ds = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'ds', namespace: 'default', annotations: { 'deprecated.daemonset.template.generation': '1' } },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'x' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
});
const readyNode = (name: string): KubeObject => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });

const cases: { name: string; phase?: string; want: RegExp[] }[] = [
  { name: 'no pod on the node: created', want: [/^Normal SuccessfulCreate Created pod: ds-\w+$/] },
  { name: 'Failed daemon pod: killed', phase: 'Failed', want: [/^Warning FailedDaemonPod Found failed daemon pod default\/old on node node-0, will try to kill it$/, /^Normal SuccessfulDelete Deleted pod: old$/] },
  { name: 'Succeeded daemon pod: deleted', phase: 'Succeeded', want: [/^Normal SucceededDaemonPod Found succeeded daemon pod default\/old on node node-0, will try to delete it$/, /^Normal SuccessfulDelete Deleted pod: old$/] },
];

for (const tc of cases) {
  test(`DaemonSet events: ${tc.name}`, async () => {
    const client = new FakeClient();
    await client.create(GVR.nodes, undefined, readyNode('node-0'));
    const created = await client.create<DSObj>(daemonSetsGVR, 'default', ds() as DSObj);
    if (tc.phase) {
      await client.create(GVR.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'old', namespace: 'default', labels: { ...labels, 'pod-template-generation': '1' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: created.metadata!.uid!, controller: true }] },
        spec: { nodeName: 'node-0', containers: [{ name: 'c', image: 'x' }] },
        status: { phase: tc.phase },
      });
    }
    const recorder = new FakeRecorder();
    const factory = new SharedInformerFactory(client);
    const dsc = new DaemonSetsController({ client, factory, recorder });
    const ac = new AbortController();
    factory.start(ac.signal);
    try {
      assert.ok(await factory.waitForCacheSync(ac.signal));
      await dsc.syncDaemonSet('default/ds');
      assert.equal(recorder.events.length, tc.want.length, recorder.events.join('\n'));
      tc.want.forEach((re, i) => assert.match(recorder.events[i]!, re));
    } finally {
      ac.abort();
      await factory.shutdown();
    }
  });
}

test('DaemonSet events: an empty selector is SelectingAll (Warning)', async () => {
  const client = new FakeClient();
  await client.create(GVR.nodes, undefined, readyNode('node-0'));
  const d = ds() as DSObj;
  d.spec!.selector = {};
  await client.create(daemonSetsGVR, 'default', d);
  const recorder = new FakeRecorder();
  const factory = new SharedInformerFactory(client);
  const dsc = new DaemonSetsController({ client, factory, recorder });
  const ac = new AbortController();
  factory.start(ac.signal);
  try {
    assert.ok(await factory.waitForCacheSync(ac.signal));
    await dsc.syncDaemonSet('default/ds').catch(() => undefined);
    assert.deepEqual(recorder.events, ['Warning SelectingAll This daemon set is selecting all pods. A non-empty selector is required.']);
  } finally {
    ac.abort();
    await factory.shutdown();
  }
});
