/**
 * Controller events carry the involved object's kind even though informer LIST items have no
 * TypeMeta, so the field selector `kubectl describe` uses (`involvedObject.kind=…,
 * involvedObject.name=…`) finds them: in-process control plane, a Deployment → ScalingReplicaSet
 * on the Deployment, SuccessfulCreate on the ReplicaSet.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startInProcessCluster, type InProcessCluster } from '../../../test/support/in-process-cluster.ts';
import { GVR } from '../../client/interface.ts';

let cluster: InProcessCluster;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

before(async () => {
  cluster = await startInProcessCluster({ nodes: { count: 1, clusterCIDR: '10.82.0.0/16', logger: silent }, controllers: { logger: silent, controllers: ['deployment', 'replicaset'] } });
});

after(async () => {
  await cluster?.stop();
});

test('Deployment and ReplicaSet events are found by involvedObject.kind', async () => {
  const c = cluster.client;
  await c.create(GVR.deployments, 'default', {
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  const scaling = await eventually('ScalingReplicaSet found by kind', async () => {
    const evs = (await c.list<any>(GVR.events, 'default', { fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web' })).items;
    return evs.find((e) => e.reason === 'ScalingReplicaSet');
  });
  assert.match(scaling.message, /^Scaled up replica set web-\w+ from 0 to 2$/);
  assert.equal(scaling.involvedObject.apiVersion, 'apps/v1');
  const rsName = /replica set (\S+) from/.exec(scaling.message)![1]!;
  const created = await eventually('SuccessfulCreate found by kind', async () => {
    const evs = (await c.list<any>(GVR.events, 'default', { fieldSelector: `involvedObject.kind=ReplicaSet,involvedObject.name=${rsName}` })).items;
    return evs.filter((e) => e.reason === 'SuccessfulCreate').length === 2 && evs;
  });
  for (const e of created) {
    assert.equal(e.involvedObject.apiVersion, 'apps/v1');
    assert.equal(e.source.component, 'replicaset-controller');
    assert.match(e.message, new RegExp(`^Created pod: ${rsName}-\\w+$`));
  }
});
