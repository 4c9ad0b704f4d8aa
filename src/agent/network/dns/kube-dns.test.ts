/**
 * The kube-dns contract: addresses (kubeadm GetDNSIP = 10th address of the service CIDR; the
 * bridge gateway = first host of the pod CIDR), the Service and the node's EndpointSlice, created
 * idempotently, retried while the EndpointSlice resource is not served, and restored when deleted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../../client/fake-client.ts';
import { GVR } from '../../../client/interface.ts';
import { newNotFound } from '../../../machinery/errors.ts';
import {
  ensureKubeDNSEndpointSlice,
  ensureKubeDNSService,
  indexedIP,
  kubeDNSServiceIP,
  maintainKubeDNSEndpointSlice,
  podCIDRGateway,
} from './kube-dns.ts';
import type { EndpointSlice } from './kubernetes.ts';

describe('kube-dns', () => {
  test('addresses', () => {
    assert.equal(kubeDNSServiceIP('10.96.0.0/16'), '10.96.0.10');
    assert.equal(kubeDNSServiceIP('10.43.0.0/16'), '10.43.0.10'); // k3s' default service CIDR → its cluster DNS
    assert.equal(kubeDNSServiceIP('10.252.7.0/24'), '10.252.7.10');
    assert.equal(podCIDRGateway('10.88.0.0/24'), '10.88.0.1');
    assert.equal(indexedIP('10.96.5.7/16', 256), '10.96.1.0');
    assert.throws(() => indexedIP('10.0.0.0/29', 10), /outside/);
    assert.throws(() => kubeDNSServiceIP('nonsense'), /invalid CIDR/);
  });

  test('Service: created once, an existing one is kept', async () => {
    const c = new FakeClient();
    const svc = await ensureKubeDNSService(c, '10.96.0.10');
    assert.equal(svc.spec?.clusterIP, '10.96.0.10');
    assert.deepEqual(svc.metadata?.labels?.['k8s-app'], 'kube-dns');
    assert.equal(svc.spec?.selector, undefined, 'no selector: endpoints come from the agents');
    assert.deepEqual(
      svc.spec?.ports?.map((p) => [p.name, p.port, p.protocol]),
      [
        ['dns', 53, 'UDP'],
        ['dns-tcp', 53, 'TCP'],
      ],
    );
    const again = await ensureKubeDNSService(c, '10.96.0.99');
    assert.equal(again.spec?.clusterIP, '10.96.0.10');
    assert.equal(again.metadata?.uid, svc.metadata?.uid);
  });

  test('EndpointSlice: waits while the resource is not served, then creates; updates a stale one', async () => {
    const c = new FakeClient();
    let refused = 0;
    c.prependReactor('create', 'endpointslices', () => {
      if (refused++ < 2) throw newNotFound({ group: 'discovery.k8s.io', resource: 'endpointslices' }, '');
    });
    assert.equal(await ensureKubeDNSEndpointSlice(c, 'node-a', '10.88.0.1'), true);
    assert.ok(refused >= 3);
    const s = c.peek<EndpointSlice>(GVR.endpointslices, 'kube-system', 'kube-dns-node-a')!;
    assert.equal(s.metadata?.labels?.['kubernetes.io/service-name'], 'kube-dns');
    assert.equal(s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'skiff');
    assert.deepEqual(s.endpoints?.map((e) => [e.addresses, e.conditions?.ready, e.nodeName]), [[['10.88.0.1'], true, 'node-a']]);
    // The node's pod CIDR changed: the slice follows.
    assert.equal(await ensureKubeDNSEndpointSlice(c, 'node-a', '10.88.5.1'), true);
    assert.deepEqual(c.peek<EndpointSlice>(GVR.endpointslices, 'kube-system', 'kube-dns-node-a')!.endpoints?.[0].addresses, ['10.88.5.1']);
  });

  test('maintain: a deleted slice comes back; stops on abort', async () => {
    const c = new FakeClient();
    const ac = new AbortController();
    const run = maintainKubeDNSEndpointSlice(c, 'node-b', '10.88.0.1', ac.signal, undefined, 20);
    const waitSlice = async () => {
      for (let i = 0; i < 1000 && !c.peek(GVR.endpointslices, 'kube-system', 'kube-dns-node-b'); i++) await new Promise((r) => setTimeout(r, 10));
      return c.peek<EndpointSlice>(GVR.endpointslices, 'kube-system', 'kube-dns-node-b');
    };
    const first = await waitSlice();
    assert.ok(first);
    await c.delete(GVR.endpointslices, 'kube-system', 'kube-dns-node-b');
    const second = await waitSlice();
    assert.ok(second);
    assert.notEqual(second.metadata?.uid, first.metadata?.uid);
    ac.abort();
    await run;
  });
});
