/**
 * ServiceLB against the real apiserver pipeline: a LoadBalancer Service gets the Ready nodes'
 * addresses as ingress (ExternalIP preferred), follows node changes, ignores Services with a
 * loadBalancerClass, and clears the ingress when the Service stops being a LoadBalancer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { GVR, type Client } from '../../client/interface.ts';
import { startControllers } from '../manager.ts';
import { until } from '../shared/test-harness.ts';
import { nodeIngressIPs } from './servicelb-controller.ts';

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let c: Client;
const ac = new AbortController();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-slb-'));
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({ backend, kubelets: new KubeletConnections() });
  c = api.inProcessClient();
  await startControllers(c, ac.signal, { workers: 1, controllers: ['service-lb'] });
});

after(async () => {
  ac.abort();
  await new Promise((r) => setTimeout(r, 100));
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function node(name: string, addresses: { type: string; address: string }[], ready = true): Promise<void> {
  const n = await c.create<any>(GVR.nodes, undefined, { metadata: { name } });
  n.status = { addresses, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  await c.update(GVR.nodes, undefined, n, { subresource: 'status' });
}

const ingress = async (name: string) => ((await c.get<any>(GVR.services, 'default', name)).status?.loadBalancer?.ingress ?? []).map((i: any) => `${i.ip}/${i.ipMode}`).join(',');

test('nodeIngressIPs: Ready nodes, ExternalIP over InternalIP, sorted', () => {
  const n = (addrs: [string, string][], ready = true) => ({ metadata: {}, status: { addresses: addrs.map(([type, address]) => ({ type, address })), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as any;
  assert.deepEqual(nodeIngressIPs([n([['InternalIP', '10.0.0.2']]), n([['InternalIP', '10.0.0.3'], ['ExternalIP', '1.2.3.4']]), n([['InternalIP', '10.0.0.9']], false)]), ['1.2.3.4', '10.0.0.2']);
});

test('LoadBalancer Service gets node addresses; follows nodes; cleared on type change; loadBalancerClass ignored', async () => {
  await c.create(GVR.namespaces, undefined, { metadata: { name: 'default' } }).catch(() => undefined);
  await node('n1', [{ type: 'InternalIP', address: '192.0.2.11' }]);
  await c.create(GVR.services, 'default', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ port: 80 }] } });
  await c.create(GVR.services, 'default', { metadata: { name: 'other' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', selector: { app: 'x' }, ports: [{ port: 80 }] } });
  await until(async () => (await ingress('lb')) === '192.0.2.11/VIP', 'ingress from n1');
  await node('n2', [{ type: 'InternalIP', address: '192.0.2.12' }]);
  await until(async () => (await ingress('lb')) === '192.0.2.11/VIP,192.0.2.12/VIP', 'ingress from n1+n2');
  assert.equal(await ingress('other'), '');
  await c.patch(GVR.services, 'default', 'lb', 'application/merge-patch+json', { spec: { type: 'ClusterIP' } });
  await until(async () => (await ingress('lb')) === '', 'ingress cleared');
  const out = await c.get<any>(GVR.services, 'default', 'lb');
  assert.deepEqual(out.status.loadBalancer, {});
});
