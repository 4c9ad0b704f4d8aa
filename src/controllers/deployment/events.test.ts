/**
 * Events the Deployment controller records (sync.go getNewReplicaSet/scaleReplicaSet,
 * deployment_controller.go syncDeployment), with upstream's reasons, types and wording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { StatusError } from '../../machinery/errors.ts';
import { DeploymentController } from './deployment-controller.ts';
import { until } from '../shared/test-harness.ts';

const dep = (spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    ...spec,
  },
});

async function run(obj: KubeObject, prepare?: (c: FakeClient) => void): Promise<{ events: string[]; stop: () => Promise<void> }> {
  const c = new FakeClient();
  prepare?.(c);
  await c.create(GVR.deployments, 'default', obj);
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const dc = new DeploymentController({ client: c, factory, recorder });
  const ac = new AbortController();
  factory.start(ac.signal);
  const r = dc.run(1, ac.signal);
  return { events: recorder.events, stop: async () => (ac.abort(), await r, await factory.shutdown()) };
}

const cases: { name: string; spec?: Record<string, unknown>; failCreate?: boolean; want: RegExp }[] = [
  { name: 'new ReplicaSet scaled up from 0', want: /^Normal ScalingReplicaSet Scaled up replica set web-\w+ from 0 to 2$/ },
  { name: 'ReplicaSet create error, with a progress deadline', spec: { progressDeadlineSeconds: 600 }, failCreate: true, want: /^Warning ReplicaSetCreateError Failed to create new replica set "web-\w+": replicasets.apps "web-\w+" is forbidden: quota$/ },
  { name: 'ReplicaSet create error, without a progress deadline', failCreate: true, want: /^Warning ReplicaSetCreateError Failed to create new replica set "web-\w+": replicasets.apps "web-\w+" is forbidden: quota$/ },
  { name: 'empty selector', spec: { selector: {} }, want: /^Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required.$/ },
];

for (const tc of cases) {
  test(`Deployment events: ${tc.name}`, async () => {
    const h = await run(dep(tc.spec), (c) => {
      if (tc.failCreate)
        c.prependReactor('create', 'replicasets', (a) => {
          const name = (a.object as KubeObject).metadata?.name;
          throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, message: `replicasets.apps "${name}" is forbidden: quota` });
        });
    });
    try {
      await until(() => h.events.some((e) => tc.want.test(e)), `event ${tc.want}`);
    } finally {
      await h.stop();
    }
  });
}
