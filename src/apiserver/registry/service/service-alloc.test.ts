/**
 * Service allocation through the real apiserver pipeline (in-process client; SQLite and etcd via describeEachBackend): ClusterIP
 * from the configured CIDR, requested IPs honoured or refused with upstream's 422, headless and
 * ExternalName get none, NodePorts for NodePort/LoadBalancer, release on delete and type change,
 * and allocations survive a new APIServer over the same store.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../../storage/backend.ts';
import { APIServer } from '../../server.ts';
import { KubeletConnections } from '../../kubelet-client.ts';
import { GVR, type Client, type KubeObject } from '../../../client/interface.ts';
import { StatusError } from '../../../machinery/errors.ts';
import { describeEachBackend } from '../../../../test/support/each-backend.ts';

describeEachBackend('Service allocation through the apiserver', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let c: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-svcalloc-'));
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    api = new APIServer({ backend, kubelets: new KubeletConnections(), serviceCIDR: '10.96.0.0/16' });
    await api.waitReady();
    c = api.inProcessClient();
    await c.create(GVR.namespaces, undefined, { metadata: { name: 'default' } });
  });

  after(async () => {
    await api?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function svc(name: string, spec: Record<string, unknown>): KubeObject {
    return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: name }, ...spec } };
  }

  function inCIDR(ip: string): boolean {
    return /^10\.96\.\d+\.\d+$/.test(ip);
  }

  test('ClusterIP allocated from the service CIDR, ipFamilies set', async () => {
    const s = await c.create<any>(GVR.services, 'default', svc('a', {}));
    assert.ok(inCIDR(s.spec.clusterIP), s.spec.clusterIP);
    assert.deepEqual(s.spec.clusterIPs, [s.spec.clusterIP]);
    assert.deepEqual(s.spec.ipFamilies, ['IPv4']);
    assert.equal(s.spec.ipFamilyPolicy, 'SingleStack');
    assert.equal(await api.serviceAllocators!.ipAllocator.has(s.spec.clusterIP), true);
    const s2 = await c.create<any>(GVR.services, 'default', svc('a2', {}));
    assert.notEqual(s2.spec.clusterIP, s.spec.clusterIP);
  });

  test('requested IP honoured when free, refused with upstream wording when taken or outside', async () => {
    const s = await c.create<any>(GVR.services, 'default', svc('req', { clusterIP: '10.96.0.5' }));
    assert.equal(s.spec.clusterIP, '10.96.0.5');
    await assert.rejects(c.create(GVR.services, 'default', svc('req2', { clusterIP: '10.96.0.5' })), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 422);
      assert.equal(e.message, 'Service "req2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated');
      return true;
    });
    await assert.rejects(c.create(GVR.services, 'default', svc('req3', { clusterIP: '10.100.0.5' })), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(
        e.message,
        'Service "req3" is invalid: spec.clusterIPs: Invalid value: []string{"10.100.0.5"}: failed to allocate IP 10.100.0.5: the provided IP (10.100.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16',
      );
      return true;
    });
    // a failed create (name taken) does not leak its IP
    await assert.rejects(c.create(GVR.services, 'default', svc('req', { clusterIP: '10.96.0.7' })), (e: unknown) => e instanceof StatusError && e.code === 409);
    assert.equal(await api.serviceAllocators!.ipAllocator.has('10.96.0.7'), false);
  });

  test('headless and ExternalName get no IP', async () => {
    const h = await c.create<any>(GVR.services, 'default', svc('headless', { clusterIP: 'None' }));
    assert.equal(h.spec.clusterIP, 'None');
    assert.deepEqual(h.spec.clusterIPs, ['None']);
    const e = await c.create<any>(GVR.services, 'default', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(e.spec.clusterIP, undefined);
  });

  test('dry run allocates nothing', async () => {
    const before = await api.serviceAllocators!.ipAllocator.used();
    const s = await c.create<any>(GVR.services, 'default', svc('dry', {}), { dryRun: true });
    assert.ok(inCIDR(s.spec.clusterIP));
    assert.equal(await api.serviceAllocators!.ipAllocator.used(), before);
  });

  test('release on delete: the IP can be requested again', async () => {
    await c.create(GVR.services, 'default', svc('del', { clusterIP: '10.96.0.9' }));
    await c.delete(GVR.services, 'default', 'del');
    assert.equal(await api.serviceAllocators!.ipAllocator.has('10.96.0.9'), false);
    const again = await c.create<any>(GVR.services, 'default', svc('del2', { clusterIP: '10.96.0.9' }));
    assert.equal(again.spec.clusterIP, '10.96.0.9');
  });

  test('clusterIP is immutable', async () => {
    const s = await c.get<any>(GVR.services, 'default', 'a');
    s.spec.clusterIP = '10.96.0.77';
    s.spec.clusterIPs = ['10.96.0.77'];
    await assert.rejects(c.update(GVR.services, 'default', s), (e: unknown) => e instanceof StatusError && e.code === 422 && /may not change once set/.test(e.message));
  });

  test('NodePort: allocated in 30000-32767, requested honoured/refused, released on type change and delete', async () => {
    const np = await c.create<any>(GVR.services, 'default', svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'req', port: 81, nodePort: 30081 }] }));
    const p0 = np.spec.ports[0].nodePort;
    assert.ok(p0 >= 30000 && p0 <= 32767, String(p0));
    assert.equal(np.spec.ports[1].nodePort, 30081);
    await assert.rejects(c.create(GVR.services, 'default', svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] })), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.message, 'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30081: provided port is already allocated');
      return true;
    });
    await assert.rejects(c.create(GVR.services, 'default', svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] })), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.message, 'Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
      return true;
    });
    // drop one port: its node port is released
    await c.patch(GVR.services, 'default', 'np', 'application/json-patch+json', [{ op: 'remove', path: '/spec/ports/1' }]);
    assert.equal(await api.serviceAllocators!.portAllocator.has(30081), false);
    assert.equal(await api.serviceAllocators!.portAllocator.has(p0), true);
    await c.delete(GVR.services, 'default', 'np');
    assert.equal(await api.serviceAllocators!.portAllocator.has(p0), false);
  });

  test('ClusterIP → NodePort allocates node ports; LoadBalancer too', async () => {
    const s = await c.create<any>(GVR.services, 'default', svc('up', {}));
    const up = await c.patch<any>(GVR.services, 'default', 'up', 'application/merge-patch+json', { spec: { type: 'NodePort' } });
    assert.equal(up.spec.clusterIP, s.spec.clusterIP);
    assert.ok(up.spec.ports[0].nodePort >= 30000);
    assert.equal(await api.serviceAllocators!.portAllocator.has(up.spec.ports[0].nodePort), true);
    const lb = await c.create<any>(GVR.services, 'default', svc('lb', { type: 'LoadBalancer' }));
    assert.ok(lb.spec.ports[0].nodePort >= 30000);
  });

  test('IPv6 families and RequireDualStack are refused', async () => {
    await assert.rejects(c.create(GVR.services, 'default', svc('v6', { ipFamilies: ['IPv6'] })), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.match(e.message, /spec\.ipFamilies\[0\]: Invalid value: "IPv6": not configured on this cluster/);
      return true;
    });
  });

  test('allocations survive a new APIServer over the same store', async () => {
    const s = await c.get<any>(GVR.services, 'default', 'a');
    const api2 = new APIServer({ backend, kubelets: new KubeletConnections(), serviceCIDR: '10.96.0.0/16' });
    await api2.waitReady();
    try {
      assert.equal(await api2.serviceAllocators!.ipAllocator.has(s.spec.clusterIP), true);
      const c2 = api2.inProcessClient();
      await assert.rejects(c2.create(GVR.services, 'default', svc('dup', { clusterIP: s.spec.clusterIP })), (e: unknown) => e instanceof StatusError && e.code === 422);
    } finally {
      await api2.stop();
    }
  });

  test('default/kubernetes: first IP of the CIDR, https 443 → the apiserver port, endpoints at the advertised address; idempotent', async () => {
    const { ensureKubernetesService } = await import('./kubernetes-service.ts');
    for (let i = 0; i < 2; i++) await ensureKubernetesService(c, { serviceCIDR: '10.96.0.0/16', port: 6443, advertiseAddress: '192.0.2.10' });
    const s = await c.get<any>(GVR.services, 'default', 'kubernetes');
    assert.equal(s.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(s.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    assert.deepEqual(s.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    assert.equal(s.spec.selector, undefined);
    const ep = await c.get<any>(GVR.endpoints, 'default', 'kubernetes');
    assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
    const slice = await c.get<any>(GVR.endpointslices, 'default', 'kubernetes');
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.endpoints, [{ addresses: ['192.0.2.10'], conditions: { ready: true } }]);
    assert.deepEqual(slice.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' });
  });

  test('NodePort → ClusterIP by merge patch: node ports wiped and released (dropTypeDependentFields)', async () => {
    const np = await c.create<any>(GVR.services, 'default', svc('down', { type: 'NodePort' }));
    const port = np.spec.ports[0].nodePort;
    assert.equal(await api.serviceAllocators!.portAllocator.has(port), true);
    const down = await c.patch<any>(GVR.services, 'default', 'down', 'application/merge-patch+json', { spec: { type: 'ClusterIP' } });
    assert.equal(down.spec.type, 'ClusterIP');
    assert.equal(down.spec.ports[0].nodePort, undefined);
    assert.equal(down.spec.externalTrafficPolicy, undefined);
    assert.equal(down.spec.clusterIP, np.spec.clusterIP);
    assert.equal(await api.serviceAllocators!.portAllocator.has(port), false);
  });
});
