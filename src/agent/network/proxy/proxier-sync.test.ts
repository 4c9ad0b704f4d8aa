/**
 * Unit tests of the proxier's sync loop with FakeClient and a recording iptables (no host changes):
 * first sync waits for both informers and carries the jump rules; bursts of changes coalesce into
 * few restores (BoundedFrequencyRunner); removed services' chains are deleted; failures retry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../../client/interface.ts';
import { BoundedFrequencyRunner } from './bounded-frequency-runner.ts';
import type { IptablesExec } from './iptables.ts';
import { Proxier } from './proxier.ts';
import { servicePortChainName } from './rules.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually<T>(f: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

class RecordingIptables implements IptablesExec {
  restores: string[] = [];
  failNext = 0;
  async restore(input: string): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('iptables-restore: simulated failure');
    }
    this.restores.push(input);
  }
  async save(): Promise<string> {
    return '';
  }
}

const svc = (name: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { clusterIP: ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
});
const slice = (name: string, svcName: string, ips: string[]): KubeObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  }) as KubeObject;

describe('Proxier sync loop (fake iptables)', () => {
  test('first sync after both informers synced; bursts coalesce; deleted services lose their chains', async () => {
    const client = new FakeClient([[GVR.services, svc('a', '10.96.0.10')], [GVR.endpointslices, slice('a-1', 'a', ['10.88.0.2'])]]);
    const ipt = new RecordingIptables();
    const p = new Proxier({ client, nodeName: 'n', resourcePrefix: 'skiff', iptables: ipt, manageHost: false, minSyncPeriodMs: 300 });
    await p.start();
    try {
      await eventually(() => ipt.restores.length >= 1, 'first restore');
      const first = ipt.restores[0]!;
      assert.match(first, /-I PREROUTING 1 -m comment --comment "skiff service portals" -j SKIFF-SERVICES/);
      assert.match(first, /DNAT --to-destination 10\.88\.0\.2:8080/);
      assert.equal(p.lastSync?.servicePorts, 1);

      // A burst of 40 endpoint changes within one min-sync period → at most 2 more restores, ending in the last state.
      await sleep(350);
      const before = ipt.restores.length;
      let cur = client.peek(GVR.endpointslices, 'default', 'a-1')!;
      for (let i = 3; i < 43; i++) {
        cur = await client.update(GVR.endpointslices, 'default', { ...slice('a-1', 'a', [`10.88.0.${i}`]), metadata: cur.metadata });
      }
      await eventually(() => ipt.restores.at(-1)?.includes('10.88.0.42:8080'), 'last state written');
      await sleep(400);
      assert.ok(ipt.restores.length - before <= 2, `restores for the burst: ${ipt.restores.length - before}`);
      // Jump rules are not re-inserted on every sync.
      assert.doesNotMatch(ipt.restores.at(-1)!, /-I PREROUTING/);

      const chain = servicePortChainName('SKIFF', 'SVC', 'default/a:http', 'TCP');
      assert.ok(ipt.restores.at(-1)!.includes(`:${chain} - [0:0]`));
      await client.delete(GVR.services, 'default', 'a');
      await eventually(() => ipt.restores.at(-1)?.includes(`-X ${chain}`), 'stale SVC chain deleted');
    } finally {
      await p.stop();
    }
  });

  test('a failed restore is retried', async () => {
    const client = new FakeClient([[GVR.services, svc('a', '10.96.0.10')]]);
    const ipt = new RecordingIptables();
    ipt.failNext = 1;
    const p = new Proxier({ client, nodeName: 'n', resourcePrefix: 'skiff', iptables: ipt, manageHost: false, minSyncPeriodMs: 50, log: { info() {}, warn() {}, error() {} } });
    await p.start();
    try {
      await eventually(() => ipt.restores.length >= 1, 'restore after retry');
      assert.equal(p.syncCount, 1);
      assert.match(ipt.restores[0]!, /has no endpoints/);
    } finally {
      await p.stop();
    }
  });
});

describe('BoundedFrequencyRunner', () => {
  test('never runs concurrently; coalesces requests made while running', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const r = new BoundedFrequencyRunner(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(50);
        runs++;
        active--;
      },
      { minIntervalMs: 10, maxIntervalMs: 0 },
    );
    for (let i = 0; i < 5; i++) r.run();
    await eventually(() => runs >= 1, 'first run');
    for (let i = 0; i < 20; i++) r.run();
    await eventually(() => runs >= 2, 'second run');
    await sleep(150);
    await r.stop();
    assert.equal(maxActive, 1);
    assert.ok(runs <= 3, `runs: ${runs}`);
  });
});
