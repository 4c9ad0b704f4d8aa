import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { GVR } from '../../client/interface.ts';
import { ServiceAccountsController } from './serviceaccounts-controller.ts';

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out: ${what}`);
}

test('every active namespace gets a default ServiceAccount, re-created after deletion; terminating ones are skipped', async () => {
  const client = new FakeClient();
  await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } });
  await client.create(GVR.namespaces, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['kubernetes'] },
    status: { phase: 'Terminating' },
  });
  const ac = new AbortController();
  const factory = new SharedInformerFactory(client, {});
  const c = new ServiceAccountsController({ client, factory });
  factory.start(ac.signal);
  const run = c.run(1, ac.signal);
  try {
    const has = async (ns: string) => (await client.list(GVR.serviceaccounts, ns)).items.some((s) => s.metadata?.name === 'default');
    await until('default SA in dev', () => has('dev'));
    await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'later' } });
    await until('default SA in a new namespace', () => has('later'));
    await client.delete(GVR.serviceaccounts, 'dev', 'default');
    await until('default SA re-created', () => has('dev'));
    assert.equal(await has('going'), false, 'no ServiceAccount in a terminating namespace');
  } finally {
    ac.abort();
    await run;
  }
});
