import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { RootCACertPublisher, Description } from './publisher.ts';

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out: ${what}`);
}

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

test('kube-root-ca.crt is published in every active namespace, restored after deletion or edits; terminating namespaces are skipped', async () => {
  const client = new FakeClient();
  await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } });
  await client.create(GVR.namespaces, undefined, {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['kubernetes'] }, status: { phase: 'Terminating' },
  });
  const ac = new AbortController();
  const factory = new SharedInformerFactory(client, {});
  const c = new RootCACertPublisher({ client, factory, rootCA: CA });
  factory.start(ac.signal);
  const run = c.run(1, ac.signal);
  const get = async (ns: string) => (await client.list(GVR.configmaps, ns)).items.find((s) => s.metadata?.name === 'kube-root-ca.crt') as (KubeObject & { data?: Record<string, string> }) | undefined;
  try {
    await until('published in dev', async () => !!(await get('dev')));
    const cm = (await get('dev'))!;
    assert.deepEqual(cm.data, { 'ca.crt': CA });
    assert.equal(cm.metadata?.annotations?.['kubernetes.io/description'], Description);
    await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'later' } });
    await until('published in a new namespace', async () => !!(await get('later')));
    await client.delete(GVR.configmaps, 'dev', 'kube-root-ca.crt');
    await until('re-created after deletion', async () => !!(await get('dev')));
    const cur = (await get('dev'))!;
    await client.update(GVR.configmaps, 'dev', { ...cur, data: { 'ca.crt': 'tampered', extra: 'x' } } as KubeObject);
    await until('restored after an edit', async () => JSON.stringify((await get('dev'))?.data) === JSON.stringify({ 'ca.crt': CA }));
    assert.equal(await get('going'), undefined, 'nothing in a terminating namespace');
  } finally {
    ac.abort();
    await run;
  }
});
