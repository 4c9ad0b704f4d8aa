import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { NamespaceController, ensureSystemNamespaces } from './namespace-controller.ts';
import { until } from '../shared/test-harness.ts';

describe('namespace', () => {
  test('ensureSystemNamespaces creates the four system namespaces idempotently', async () => {
    const c = new FakeClient();
    await c.create(GVR.namespaces, undefined, { metadata: { name: 'default' } });
    await ensureSystemNamespaces(c);
    await ensureSystemNamespaces(c);
    assert.deepEqual(c.peekAll(GVR.namespaces).map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });

  test('a deleted namespace is emptied, then its kubernetes finalizer removed', async () => {
    const c = new FakeClient();
    await c.create(GVR.namespaces, undefined, { metadata: { name: 'dev' }, spec: { finalizers: ['kubernetes'] } });
    await c.create(GVR.pods, 'dev', { metadata: { name: 'p1' }, spec: {} });
    await c.create(GVR.configmaps, 'dev', { metadata: { name: 'cm' } });
    // A pod held by a finalizer keeps the namespace Terminating until it is released.
    await c.create(GVR.pods, 'dev', { metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: {} });
    await c.create(GVR.pods, 'other', { metadata: { name: 'keep' }, spec: {} });
    const factory = new SharedInformerFactory(c);
    const nc = new NamespaceController({ client: c, factory, requeueMs: 20 });
    const ac = new AbortController();
    factory.start(ac.signal);
    const run = nc.run(1, ac.signal);
    try {
      const del = await c.delete(GVR.namespaces, undefined, 'dev');
      assert.equal((del.status as { phase: string }).phase, 'Terminating');
      await until(() => c.peekAll(GVR.configmaps, 'dev').length === 0 && c.peekAll(GVR.pods, 'dev').length === 1, 'content deleted');
      await until(() => {
        const conds = ((c.peek(GVR.namespaces, undefined, 'dev')?.status ?? {}) as any).conditions ?? [];
        return conds.some((x: any) => x.type === 'NamespaceContentRemaining' && x.status === 'True');
      }, 'NamespaceContentRemaining');
      const conds = (c.peek(GVR.namespaces, undefined, 'dev')!.status as any).conditions;
      const cr = conds.find((x: any) => x.type === 'NamespaceContentRemaining');
      assert.equal(cr.reason, 'SomeResourcesRemain');
      assert.equal(cr.message, 'Some resources are remaining: pods has 1 resource instances');
      const fr = conds.find((x: any) => x.type === 'NamespaceFinalizersRemaining');
      assert.equal(fr.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
      assert.ok(c.peek(GVR.namespaces, undefined, 'dev'), 'still there while content remains');
      const held = c.peek(GVR.pods, 'dev', 'held')!;
      await c.update(GVR.pods, 'dev', { ...held, metadata: { ...held.metadata, finalizers: [] } });
      await until(() => c.peek(GVR.namespaces, undefined, 'dev') === undefined, 'namespace gone');
      assert.ok(c.peek(GVR.pods, 'other', 'keep'), 'other namespaces untouched');
    } finally {
      ac.abort();
      await run;
      await factory.shutdown();
    }
  });
});
