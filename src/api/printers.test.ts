/** Table printers of the non-pod kinds (cell formats after upstream pkg/printers/internalversion/printers.go). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from './resource-table.ts';

const now = Date.parse('2026-06-01T12:00:00Z');
const created = new Date(now - 3 * 24 * 3600 * 1000).toISOString();
const cells = (group: string, resource: string, obj: any) => findResource(group, 'v1', resource)!.table.cells(obj, now);
const cols = (group: string, resource: string) => findResource(group, 'v1', resource)!.table.columns.map((c) => (c.priority ? `(w)${c.name}` : c.name));

test('Node: status, roles, version, wide addresses and info', () => {
  assert.deepEqual(cols('', 'nodes'), ['Name', 'Status', 'Roles', 'Age', 'Version', '(w)Internal-IP', '(w)External-IP', '(w)OS-Image', '(w)Kernel-Version', '(w)Container-Runtime']);
  const node = {
    metadata: { name: 'n1', creationTimestamp: created, labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': 'x' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.5' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0+skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'runc://1.1.12' },
    },
  };
  assert.deepEqual(cells('', 'nodes', node), ['n1', 'Ready,SchedulingDisabled', 'control-plane,worker', '3d', 'v1.32.0+skiff', '192.168.1.5', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'runc://1.1.12']);
  assert.deepEqual(cells('', 'nodes', { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).slice(0, 3), ['n2', 'NotReady', '<none>']);
  assert.deepEqual(cells('', 'nodes', { metadata: { name: 'n3' } }).slice(1, 2), ['Unknown']);
  assert.deepEqual(cells('', 'nodes', { metadata: { name: 'n4', labels: { 'kubernetes.io/role': 'master' } } }).slice(2, 3), ['master']);
});

test('Service: type, cluster IP, external IP, ports, selector', () => {
  assert.deepEqual(cols('', 'services'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', '(w)Selector']);
  assert.deepEqual(
    cells('', 'services', { metadata: { name: 'web', creationTimestamp: created }, spec: { type: 'NodePort', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web', tier: 'fe' } } }),
    ['web', 'NodePort', '10.96.0.12', '<none>', '80:30080/TCP,53/UDP', '3d', 'app=web,tier=fe'],
  );
  assert.deepEqual(cells('', 'services', { metadata: { name: 'h' }, spec: { type: 'ClusterIP', clusterIP: 'None' } }), ['h', 'ClusterIP', 'None', '<none>', '<none>', '<unknown>', '<none>']);
  assert.deepEqual(cells('', 'services', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.9'], ports: [{ port: 443, protocol: 'TCP' }] } }).slice(3, 4), ['<pending>']);
  assert.deepEqual(cells('', 'services', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } }).slice(2, 4), ['<none>', 'example.com']);
});

test('Deployment and ReplicaSet', () => {
  assert.deepEqual(cols('apps', 'deployments'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', '(w)Containers', '(w)Images', '(w)Selector']);
  const tpl = { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'side', image: 'busybox' }] } };
  assert.deepEqual(
    cells('apps', 'deployments', { metadata: { name: 'd', creationTimestamp: created }, spec: { replicas: 3, selector: { matchLabels: { app: 'd' } }, template: tpl }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }),
    ['d', '2/3', 3, 2, '3d', 'web,side', 'nginx:1.25,busybox', 'app=d'],
  );
  assert.deepEqual(cols('apps', 'replicasets'), ['Name', 'Desired', 'Current', 'Ready', 'Age', '(w)Containers', '(w)Images', '(w)Selector']);
  assert.deepEqual(
    cells('apps', 'replicasets', { metadata: { name: 'rs' }, spec: { replicas: 2, selector: { matchLabels: { app: 'd', 'pod-template-hash': 'abc' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['qa', 'dev'] }] }, template: tpl }, status: { replicas: 2, readyReplicas: 1 } }),
    ['rs', 2, 2, 1, '<unknown>', 'web,side', 'nginx:1.25,busybox', 'app=d,env in (dev,qa),pod-template-hash=abc'],
  );
});

test('Event: last seen, type, reason, object, message and wide columns', () => {
  assert.deepEqual(cols('', 'events'), ['Last Seen', 'Type', 'Reason', 'Object', '(w)Subobject', '(w)Source', 'Message', '(w)First Seen', '(w)Count', '(w)Name']);
  const ev = {
    metadata: { name: 'web.17a', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
    reason: 'Pulled',
    message: 'Successfully pulled image "nginx"\n',
    type: 'Normal',
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: new Date(now - 10 * 60 * 1000).toISOString(),
    lastTimestamp: new Date(now - 30 * 1000).toISOString(),
    count: 4,
  };
  assert.deepEqual(cells('', 'events', ev), ['30s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'Successfully pulled image "nginx"', '10m', 4, 'web.17a']);
  const newStyle = { metadata: { name: 'e2' }, involvedObject: { kind: 'Node' }, eventTime: new Date(now - 5000).toISOString(), reportingComponent: 'skiff-scheduler', reason: 'X', type: 'Warning' };
  assert.deepEqual(cells('', 'events', newStyle), ['5s', 'Warning', 'X', 'node', '', 'skiff-scheduler', '', '5s', 1, 'e2']);
});

test('Namespace, ConfigMap, Secret, ServiceAccount, Lease, Endpoints', () => {
  assert.deepEqual(cells('', 'namespaces', { metadata: { name: 'dev', creationTimestamp: created }, status: { phase: 'Active' } }), ['dev', 'Active', '3d']);
  assert.deepEqual(cells('', 'configmaps', { metadata: { name: 'c' }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['c', 3, '<unknown>']);
  assert.deepEqual(cells('', 'secrets', { metadata: { name: 's' }, type: 'Opaque', data: { a: 'eA==' } }), ['s', 'Opaque', 1, '<unknown>']);
  assert.deepEqual(cells('', 'serviceaccounts', { metadata: { name: 'default' } }), ['default', 0, '<unknown>']);
  assert.deepEqual(cells('coordination.k8s.io', 'leases', { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1' } }), ['n1', 'n1', '<unknown>']);
  assert.deepEqual(cells('', 'endpoints', { metadata: { name: 'e' } }), ['e', '<none>', '<unknown>']);
  const addrs = ['10.88.0.2', '10.88.0.3', '10.88.0.4', '10.88.0.5'].map((ip) => ({ ip }));
  assert.deepEqual(cells('', 'endpoints', { metadata: { name: 'e' }, subsets: [{ addresses: addrs, ports: [{ port: 80 }] }] })[1], '10.88.0.2:80,10.88.0.3:80,10.88.0.4:80 + 1 more...');
});

test('kinds without their own printer fall back to Name, Age', () => {
  assert.deepEqual(cols('', 'bindings'), ['Name', 'Age']);
});
