import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { FakeClient } from '../client/fake-client.ts';
import { GVR } from '../client/interface.ts';
import { KubeletConnections } from '../apiserver/kubelet-client.ts';
import { startAgent } from './agent.ts';
import { FakeImages, FakeRuntime } from './kubelet/testing/fake-runtime.ts';

test('startAgent registers the Node and Lease, runs pods and registers the kubelet connection', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-agent-test-'));
  const fake = new FakeClient();
  const kubelets = new KubeletConnections();
  const agent = await startAgent({ client: fake, nodeName: 'n1', dataDir, kubelets, runtime: new FakeRuntime(), images: new FakeImages(), podCIDR: '10.88.3.0/24', nodeIP: '192.0.2.7', log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
  try {
    const node = fake.peek(GVR.nodes, undefined, 'n1') as Node;
    assert.equal(node.spec?.podCIDR, '10.88.3.0/24');
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    const lease = fake.peek(GVR.leases, 'kube-node-lease', 'n1') as { spec?: { holderIdentity?: string } };
    assert.equal(lease?.spec?.holderIdentity, 'n1');
    assert.ok(kubelets.get('n1'));
    await fake.create(GVR.pods, 'default', { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'web:1' }] } });
    for (let i = 0; i < 500; i++) {
      if ((fake.peek(GVR.pods, 'default', 'p') as Pod).status?.phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((fake.peek(GVR.pods, 'default', 'p') as Pod).status?.phase, 'Running');
  } finally {
    await agent.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.equal(kubelets.get('n1'), undefined);
});
