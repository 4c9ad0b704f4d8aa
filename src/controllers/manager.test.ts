import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../client/fake-client.ts';
import { GVR } from '../client/interface.ts';
import { startControllers } from './manager.ts';
import { until, markPodsReady } from './shared/test-harness.ts';

test('startControllers: bootstraps namespaces; a Deployment rolls out; deleting it cascades via the GC', async () => {
  const c = new FakeClient();
  const ac = new AbortController();
  await startControllers(c, ac.signal, { workers: 2 });
  try {
    assert.deepEqual(c.peekAll(GVR.namespaces).map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    await c.create(GVR.deployments, 'default', {
      metadata: { name: 'web' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const kubelet = setInterval(() => void markPodsReady(c, 'default').catch(() => {}), 10);
    try {
      await until(() => (c.peek<any>(GVR.deployments, 'default', 'web')!.status?.availableReplicas ?? 0) === 2, 'deployment available');
    } finally {
      clearInterval(kubelet);
    }
    // Events were written as core/v1 Events by the real recorder.
    await until(() => c.peekAll<any>(GVR.events, 'default').some((e) => e.reason === 'ScalingReplicaSet'), 'ScalingReplicaSet event');
    await until(() => c.peekAll<any>(GVR.events, 'default').some((e) => e.reason === 'SuccessfulCreate' && e.source.component === 'replicaset-controller'), 'SuccessfulCreate event');
    await c.delete(GVR.deployments, 'default', 'web', { propagationPolicy: 'Background' });
    await until(() => c.peekAll(GVR.replicasets, 'default').length === 0 && c.peekAll(GVR.pods, 'default').length === 0, 'cascade');
  } finally {
    ac.abort();
  }
});
