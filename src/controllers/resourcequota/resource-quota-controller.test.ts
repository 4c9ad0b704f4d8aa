/** resourcequota controller: status.hard/used recomputed from live objects, on changes and deletions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { ResourceQuotaController, parseObjectCountName } from './resource-quota-controller.ts';

const RQ = { group: '', version: 'v1', resource: 'resourcequotas' };
const DEPLOYMENTS = GVR.deployments;

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out: ${what}`);
}

const pod = (name: string, phase: string, resources?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', image: 'i', ...(resources ? { resources } : {}) }] },
  status: { phase },
});

test('parseObjectCountName', () => {
  assert.deepEqual(parseObjectCountName('count/pods'), { group: '', resource: 'pods' });
  assert.deepEqual(parseObjectCountName('count/deployments.apps'), { group: 'apps', resource: 'deployments' });
  assert.deepEqual(parseObjectCountName('count/widgets.example.com'), { group: 'example.com', resource: 'widgets' });
  assert.equal(parseObjectCountName('pods'), undefined);
});

test('recomputes hard and used per namespace; terminal pods and deletions are replenished', async () => {
  const client = new FakeClient();
  await client.create(GVR.pods, 'ns', pod('run', 'Running', { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } }));
  await client.create(GVR.pods, 'ns', pod('done', 'Succeeded', { requests: { cpu: '1' }, limits: { cpu: '1' } }));
  await client.create(GVR.pods, 'ns', pod('plain', 'Pending'));
  await client.create(GVR.pods, 'other', { ...pod('elsewhere', 'Running'), metadata: { name: 'elsewhere', namespace: 'other' } });
  await client.create(GVR.services, 'ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] } });
  await client.create(GVR.configmaps, 'ns', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } });
  await client.create(GVR.configmaps, 'ns', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'ns' } });
  await client.create(DEPLOYMENTS, 'ns', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: {} });
  const hard = {
    pods: '10', 'count/pods': '10', 'requests.cpu': '4', 'limits.cpu': '4', 'requests.memory': '1Gi',
    'services.nodeports': '5', services: '3', configmaps: '10', 'count/deployments.apps': '2', resourcequotas: '1',
  };
  await client.create(RQ, 'ns', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec: { hard } });
  await client.create(RQ, 'ns', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'be', namespace: 'ns' }, spec: { hard: { pods: '5' }, scopes: ['BestEffort'] } });

  const ac = new AbortController();
  const factory = new SharedInformerFactory(client, {});
  const c = new ResourceQuotaController({ client, factory });
  factory.start(ac.signal);
  const run = c.run(2, ac.signal);
  const status = async (name: string) => (await client.get(RQ, 'ns', name)).status as { hard?: Record<string, string>; used?: Record<string, string> } | undefined;
  try {
    const want = {
      pods: '2', 'count/pods': '3', 'requests.cpu': '100m', 'limits.cpu': '200m', 'requests.memory': '64Mi',
      'services.nodeports': '2', services: '1', configmaps: '2', 'count/deployments.apps': '1', resourcequotas: '2',
    };
    await until('initial status', async () => JSON.stringify((await status('q'))?.used) === JSON.stringify(Object.fromEntries(Object.entries(want).sort())));
    assert.deepEqual((await status('q'))?.hard, Object.fromEntries(Object.entries(hard).sort()));
    // The BestEffort-scoped quota counts only the pod without requests/limits that is not terminal.
    await until('scoped quota', async () => (await status('be'))?.used?.pods === '1');

    // A pod turning Succeeded stops counting toward pods and compute resources.
    const run1 = await client.get(GVR.pods, 'ns', 'run');
    await client.update(GVR.pods, 'ns', { ...run1, status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await until('terminal pod released', async () => {
      const u = (await status('q'))?.used ?? {};
      return u.pods === '1' && u['requests.cpu'] === '0' && u['count/pods'] === '3';
    });
    // Deletions are replenished.
    await client.delete(GVR.configmaps, 'ns', 'a');
    await client.delete(GVR.services, 'ns', 's');
    await until('deletions replenished', async () => {
      const u = (await status('q'))?.used ?? {};
      return u.configmaps === '1' && u.services === '0' && u['services.nodeports'] === '0';
    });
    // Raising the hard limit resyncs status.hard.
    const q = await client.get(RQ, 'ns', 'q');
    await client.update(RQ, 'ns', { ...q, spec: { hard: { ...hard, pods: '20' } } });
    await until('hard follows spec', async () => (await status('q'))?.hard?.pods === '20');
  } finally {
    ac.abort();
    await run;
  }
});
