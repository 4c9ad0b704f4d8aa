/**
 * The EndpointSlice and Endpoints controllers against the real apiserver pipeline (in-process
 * client, SQLite) with the garbage collector: endpoints follow pod readiness, named targetPorts
 * resolve per pod, label changes move pods in and out, terminating pods are marked, headless and
 * publishNotReadyAddresses behave as upstream, selector-less Services keep user slices, and a
 * deleted Service takes its Endpoints and slices with it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../storage/sqlite/sqlite-backend.ts';
import { APIServer } from '../../apiserver/server.ts';
import { KubeletConnections } from '../../apiserver/kubelet-client.ts';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { startControllers } from '../manager.ts';
import { until } from '../shared/test-harness.ts';

let dir: string;
let backend: SqliteBackend;
let api: APIServer;
let c: Client;
const ac = new AbortController();
const NS = 'default';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-eps-'));
  backend = SqliteBackend.open(join(dir, 'state.db'));
  api = new APIServer({ backend, kubelets: new KubeletConnections() });
  c = api.inProcessClient();
  await startControllers(c, ac.signal, { workers: 2, controllers: ['endpointslice', 'endpoint', 'garbagecollector'] });
});

after(async () => {
  ac.abort();
  await new Promise((r) => setTimeout(r, 100));
  await api?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function mkPod(name: string, labels: Record<string, string>, ip: string, opts: { ready?: boolean; httpPort?: number; hostname?: string; subdomain?: string } = {}): Promise<void> {
  await c.create(GVR.pods, NS, {
    metadata: { name, labels },
    spec: {
      nodeName: 'node-1',
      hostname: opts.hostname,
      subdomain: opts.subdomain,
      containers: [{ name: 'app', image: 'web', ports: [{ name: 'http', containerPort: opts.httpPort ?? 8080 }] }],
    },
  });
  await setReady(name, opts.ready ?? false, ip);
}

async function setReady(name: string, ready: boolean, ip?: string): Promise<void> {
  const p = await c.get<any>(GVR.pods, NS, name);
  const podIP = ip ?? p.status?.podIP;
  p.status = { ...(p.status ?? {}), phase: 'Running', podIP, podIPs: [{ ip: podIP }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  await c.update(GVR.pods, NS, p, { subresource: 'status' });
}

async function slicesOf(svc: string): Promise<any[]> {
  return (await c.list<any>(GVR.endpointslices, NS, { labelSelector: `kubernetes.io/service-name=${svc}` })).items;
}

async function endpointsOf(svc: string): Promise<any | undefined> {
  try {
    return await c.get<any>(GVR.endpoints, NS, svc);
  } catch {
    return undefined;
  }
}

const eventually = (what: string, fn: () => Promise<boolean>) => until(fn, what, 15_000);

function svc(name: string, spec: Record<string, unknown>): KubeObject {
  return { metadata: { name, labels: { tier: 'frontend' } }, spec };
}

test('slice and Endpoints follow readiness; named targetPort resolved per pod', async () => {
  await c.create(GVR.services, NS, svc('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'raw', port: 81, targetPort: 9000 }] }));
  // no pods yet: one placeholder slice
  await eventually('placeholder slice', async () => {
    const s = await slicesOf('web');
    return s.length === 1 && s[0].endpoints.length === 0 && (s[0].ports ?? []).length === 0;
  });
  const placeholderName = (await slicesOf('web'))[0].metadata.name;
  await mkPod('web-a', { app: 'web' }, '10.88.0.11', { httpPort: 8080 });
  await mkPod('web-b', { app: 'web' }, '10.88.0.12', { httpPort: 8081 });
  // two pods with different resolved ports: two slices (one per port set); the placeholder is gone
  await eventually('two slices, not ready', async () => {
    const s = await slicesOf('web');
    return s.length === 2 && s.every((x) => x.endpoints.length === 1 && x.endpoints[0].conditions.ready === false);
  });
  const slices = await slicesOf('web');
  assert.ok(!slices.some((s) => s.metadata.name === placeholderName));
  for (const s of slices) {
    assert.match(s.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.equal(s.addressType, 'IPv4');
    assert.equal(s.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(s.metadata.labels['kubernetes.io/service-name'], 'web');
    assert.equal(s.metadata.labels.tier, 'frontend');
    assert.equal(s.metadata.ownerReferences[0].kind, 'Service');
    assert.equal(s.metadata.ownerReferences[0].controller, true);
    const ep = s.endpoints[0];
    assert.deepEqual(ep.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(ep.nodeName, 'node-1');
    assert.equal(ep.targetRef.kind, 'Pod');
    const want = ep.targetRef.name === 'web-a' ? 8080 : 8081;
    assert.deepEqual(
      s.ports.map((p: any) => [p.name, p.port, p.protocol]).sort(),
      [['http', want, 'TCP'], ['raw', 9000, 'TCP']],
    );
  }
  await eventually('Endpoints notReadyAddresses', async () => {
    const e = await endpointsOf('web');
    const ips = new Set((e?.subsets ?? []).flatMap((s: any) => (s.notReadyAddresses ?? []).map((a: any) => a.ip)));
    return ips.size === 2 && (e?.subsets ?? []).every((s: any) => !s.addresses);
  });
  // repacked: port 81 (9000 on both pods) shared by both addresses, each http port (8080 / 8081) alone
  const repacked = (await endpointsOf('web')).subsets.map((ss: any) => [ss.notReadyAddresses.map((a: any) => a.ip).join('+'), ss.ports.map((p: any) => `${p.name}:${p.port}`).join('+')]);
  assert.deepEqual(repacked.map((r: string[]) => r.join(' ')).sort(), ['10.88.0.11 http:8080', '10.88.0.11+10.88.0.12 raw:9000', '10.88.0.12 http:8081']);
  await setReady('web-a', true);
  await eventually('web-a ready in slice and Endpoints', async () => {
    const s = (await slicesOf('web')).find((x) => x.endpoints[0]?.targetRef.name === 'web-a');
    const e = await endpointsOf('web');
    const ready = new Set((e?.subsets ?? []).flatMap((ss: any) => (ss.addresses ?? []).map((a: any) => a.ip)));
    return s?.endpoints[0].conditions.ready === true && s?.endpoints[0].conditions.serving === true && [...ready].join() === '10.88.0.11';
  });
  const e = await endpointsOf('web');
  const withReady = e.subsets.filter((ss: any) => ss.addresses);
  assert.deepEqual(withReady[0].addresses[0], { ip: '10.88.0.11', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: (await c.get<any>(GVR.pods, NS, 'web-a')).metadata.uid } });
  assert.deepEqual(withReady.flatMap((ss: any) => ss.ports.map((p: any) => [p.name, p.port, p.protocol])).sort(), [['http', 8080, 'TCP'], ['raw', 9000, 'TCP']]);
  assert.equal(e.metadata.labels.tier, 'frontend');
});

test('label change removes a pod; terminating pod marked; publishNotReadyAddresses', async () => {
  await c.patch(GVR.pods, NS, 'web-b', 'application/merge-patch+json', { metadata: { labels: { app: 'other' } } });
  await eventually('web-b gone', async () => {
    const s = await slicesOf('web');
    const e = await endpointsOf('web');
    const names = s.flatMap((x) => x.endpoints.map((ep: any) => ep.targetRef.name));
    const eNames = (e?.subsets ?? []).flatMap((ss: any) => [...(ss.addresses ?? []), ...(ss.notReadyAddresses ?? [])].map((a: any) => a.targetRef.name));
    return s.length === 1 && names.join() === 'web-a' && eNames.join() === 'web-a';
  });
  // graceful deletion (pod bound to a node): terminating, serving stays, ready false; gone from Endpoints
  await c.delete(GVR.pods, NS, 'web-a', { gracePeriodSeconds: 30 });
  await eventually('web-a terminating', async () => {
    const s = await slicesOf('web');
    const ep = s[0]?.endpoints.find((x: any) => x.targetRef.name === 'web-a');
    return !!ep && ep.conditions.terminating === true && ep.conditions.ready === false && ep.conditions.serving === true;
  });
  await eventually('Endpoints empty', async () => ((await endpointsOf('web'))?.subsets ?? []).length === 0);
  await c.delete(GVR.pods, NS, 'web-a', { gracePeriodSeconds: 0 });

  await c.create(GVR.services, NS, svc('pub', { selector: { app: 'pub' }, publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 8080 }] }));
  await mkPod('pub-a', { app: 'pub' }, '10.88.0.21');
  await eventually('pub ready despite not Ready', async () => {
    const s = await slicesOf('pub');
    const e = await endpointsOf('pub');
    return s[0]?.endpoints[0]?.conditions.ready === true && s[0].endpoints[0].conditions.serving === false && e?.subsets?.[0]?.addresses?.[0]?.ip === '10.88.0.21';
  });
});

test('headless Service: label, hostname for pods of its subdomain, no-port Endpoints subset', async () => {
  await c.create(GVR.services, NS, svc('db', { clusterIP: 'None', selector: { app: 'db' } }));
  await mkPod('db-0', { app: 'db' }, '10.88.0.31', { ready: true, hostname: 'db-0', subdomain: 'db' });
  await eventually('headless slice', async () => {
    const s = await slicesOf('db');
    return s.length === 1 && s[0].endpoints[0]?.hostname === 'db-0' && s[0].metadata.labels['service.kubernetes.io/headless'] === '';
  });
  await eventually('headless Endpoints', async () => {
    const e = await endpointsOf('db');
    return e?.subsets?.[0]?.addresses?.[0]?.hostname === 'db-0' && e.subsets[0].ports === undefined && e.metadata.labels['service.kubernetes.io/headless'] === '';
  });
});

test('selector-less Service: user slices left alone; no Endpoints made', async () => {
  await c.create(GVR.services, NS, svc('ext', { ports: [{ port: 80 }] }));
  await c.create(GVR.endpointslices, NS, {
    metadata: { name: 'ext-1', labels: { 'kubernetes.io/service-name': 'ext' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['192.168.1.1'] }],
    ports: [{ port: 80 }],
  });
  await new Promise((r) => setTimeout(r, 300));
  const s = await slicesOf('ext');
  assert.equal(s.length, 1);
  assert.equal(s[0].metadata.name, 'ext-1');
  assert.deepEqual(s[0].endpoints[0].addresses, ['192.168.1.1']);
  assert.equal(await endpointsOf('ext'), undefined);
});

test('a deleted managed slice is recreated; deleting the Service removes Endpoints and slices', async () => {
  const [s] = await slicesOf('pub');
  await c.delete(GVR.endpointslices, NS, s.metadata.name);
  await eventually('recreated', async () => {
    const now = await slicesOf('pub');
    return now.length === 1 && now[0].metadata.name !== s.metadata.name && now[0].endpoints.length === 1;
  });
  await c.delete(GVR.services, NS, 'pub');
  await eventually('Endpoints and slices gone', async () => (await endpointsOf('pub')) === undefined && (await slicesOf('pub')).length === 0);
});
