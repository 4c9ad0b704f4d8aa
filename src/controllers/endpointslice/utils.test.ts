/** Pure pieces of the endpoint controllers: FindPort, ShouldPodBeInEndpoints, podToEndpoint conditions, RepackSubsets, computeSubsets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPort, getPodServiceMemberships, shouldPodBeInEndpoints, type PodObj, type ServiceObj } from './utils.ts';
import { getEndpointPorts, podToEndpoint, portsKey } from './endpointslice-controller.ts';
import { computeSubsets, repackSubsets } from '../endpoints/endpoints-controller.ts';

function pod(name: string, o: { ready?: boolean; ip?: string; deleting?: boolean; phase?: string; labels?: Record<string, string>; restartPolicy?: string } = {}): PodObj {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: o.labels ?? { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: {
      nodeName: 'n1',
      restartPolicy: (o.restartPolicy ?? 'Always') as 'Always',
      containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }],
    },
    status: { phase: o.phase ?? 'Running', podIP: o.ip ?? '10.0.0.1', conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }] },
  } as PodObj;
}

const svc = (spec: Record<string, unknown>): ServiceObj => ({ metadata: { name: 'web', namespace: 'ns' }, spec } as ServiceObj);

test('FindPort: numbers as is, names by name and protocol', () => {
  const p = pod('a');
  assert.equal(findPort(p, { targetPort: 9000 }), 9000);
  assert.equal(findPort(p, { targetPort: 'http', protocol: 'TCP' }), 8080);
  assert.equal(findPort(p, { targetPort: 'http', protocol: 'UDP' }), undefined);
  assert.equal(findPort(p, { targetPort: 'dns', protocol: 'UDP' }), 5353);
  assert.equal(findPort(p, { targetPort: 'nope' }), undefined);
});

test('ShouldPodBeInEndpoints: terminal and IP-less pods out; terminating only when included', () => {
  assert.equal(shouldPodBeInEndpoints(pod('a'), false), true);
  assert.equal(shouldPodBeInEndpoints(pod('a', { phase: 'Succeeded' }), true), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', { phase: 'Failed' }), true), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', { ip: '' }), true), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', { deleting: true }), false), false);
  assert.equal(shouldPodBeInEndpoints(pod('a', { deleting: true }), true), true);
});

test('podToEndpoint conditions as upstream', () => {
  const s = svc({ selector: { app: 'web' } });
  assert.deepEqual(podToEndpoint(pod('a', { ready: true }), s).conditions, { ready: true, serving: true, terminating: false });
  assert.deepEqual(podToEndpoint(pod('a', { ready: false }), s).conditions, { ready: false, serving: false, terminating: false });
  assert.deepEqual(podToEndpoint(pod('a', { ready: true, deleting: true }), s).conditions, { ready: false, serving: true, terminating: true });
  const pub = svc({ selector: { app: 'web' }, publishNotReadyAddresses: true });
  assert.deepEqual(podToEndpoint(pod('a', { ready: false, deleting: true }), pub).conditions, { ready: true, serving: false, terminating: true });
});

test('getEndpointPorts skips unresolvable ports; portsKey ignores order', () => {
  const s = svc({ ports: [{ name: 'a', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'b', port: 81, targetPort: 'missing', protocol: 'TCP' }] });
  assert.deepEqual(getEndpointPorts(s, pod('a')), [{ name: 'a', port: 8080, protocol: 'TCP' }]);
  assert.equal(portsKey([{ name: 'a', port: 1, protocol: 'TCP' }, { name: 'b', port: 2, protocol: 'TCP' }]), portsKey([{ name: 'b', port: 2, protocol: 'TCP' }, { name: 'a', port: 1, protocol: 'TCP' }]));
});

test('service memberships need a selector that matches', () => {
  const services = [svc({ selector: { app: 'web' } }), { metadata: { name: 'all', namespace: 'ns' }, spec: {} } as ServiceObj, { metadata: { name: 'other', namespace: 'x' }, spec: { selector: { app: 'web' } } } as ServiceObj];
  assert.deepEqual(getPodServiceMemberships(services, pod('a')), ['ns/web']);
});

test('RepackSubsets groups addresses by port set; ready wins', () => {
  const a = { ip: '10.0.0.2', targetRef: { uid: 'a' } };
  const b = { ip: '10.0.0.1', targetRef: { uid: 'b' } };
  const p80 = { name: 'x', port: 80, protocol: 'TCP' };
  const p81 = { name: 'y', port: 81, protocol: 'TCP' };
  const out = repackSubsets([
    { addresses: [a], ports: [p80] },
    { addresses: [a], ports: [p81] },
    { addresses: [b], ports: [p80] },
    { notReadyAddresses: [b], ports: [p81] },
    { notReadyAddresses: [a], ports: [p80] },
  ]);
  assert.deepEqual(out, [
    { addresses: [b, a], ports: [p80] },
    { addresses: [a], notReadyAddresses: [b], ports: [p81] },
  ]);
});

test('computeSubsets: ready → addresses, not ready → notReadyAddresses, terminating dropped', () => {
  const s = svc({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
  const out = computeSubsets(s, [pod('a', { ready: true, ip: '10.0.0.1' }), pod('b', { ready: false, ip: '10.0.0.2' }), pod('c', { ready: false, ip: '10.0.0.3', deleting: true })]);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].addresses?.map((x) => x.ip), ['10.0.0.1']);
  assert.deepEqual(out[0].notReadyAddresses?.map((x) => x.ip), ['10.0.0.2']);
  assert.deepEqual(out[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
});
