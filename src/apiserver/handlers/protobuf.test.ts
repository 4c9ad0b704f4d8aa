import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sProtobuf } from './protobuf.ts';

// Bodies captured from kubectl v1.32.4 (`kubectl create namespace dev`, `create secret generic s1
// --from-literal=k=v`, `create deployment web --image=nginx --replicas=2 --port=80`,
// `create service clusterip svc1 --tcp=80:8080`); expected values are the JSON kubectl 1.31 sends.
const hex = (s: string) => Buffer.from(s, 'hex');

test('Namespace', () => {
  const b = hex('6b3873000a0f0a02763112094e616d657370616365121b0a130a0364657612001a0022002a0032003800420012001a020a001a002200');
  assert.deepEqual(decodeK8sProtobuf(b), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' }, spec: {}, status: {} });
});

test('Secret data is bytes → base64', () => {
  const b = hex('6b3873000a0c0a0276311206536563726574121e0a120a02733112001a0022002a0032003800420012060a016b1201761a001a002200');
  assert.deepEqual(decodeK8sProtobuf(b), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { k: 'dg==' } });
});

test('Deployment with pod template, ports and replicas', () => {
  const b = hex(
    '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f0a0377656212001a0022002a003200380042005a0a0a0361707012037765621286010802120c0a0a0a0361707012037765621a6c0a1c0a0012001a0022002a003200380042005a0a0a036170701203776562124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
  );
  assert.deepEqual(decodeK8sProtobuf(b), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] } },
      strategy: {},
    },
    status: {},
  });
});

test('Service with an int targetPort', () => {
  const b = hex(
    '6b3873000a0d0a027631120753657276696365126c0a210a047376633112001a0022002a003200380042005a0b0a0361707012047376633112430a1b0a0738302d38303830120354435018502207080010903f1a002800120b0a036170701204737663311a002209436c757374657249503a00420052005a00600068001a020a001a002200',
  );
  const o = decodeK8sProtobuf(b) as any;
  assert.deepEqual(o.spec, { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'svc1' }, type: 'ClusterIP' });
});

test('malformed and unsupported bodies', () => {
  assert.throws(() => decodeK8sProtobuf(Buffer.from('nope')), (e: any) => e.code === 400);
  assert.throws(() => decodeK8sProtobuf(hex('6b3873000a0f0a0276311209')), (e: any) => e.code === 400);
  // TypeMeta for a kind no generator sends (apps/v1 StatefulSet) → 415.
  const sts = Buffer.concat([hex('6b387300'), hex('0a160a07'), Buffer.from('apps/v1'), hex('120b'), Buffer.from('StatefulSet'), hex('1200')]);
  assert.throws(() => decodeK8sProtobuf(sts), (e: any) => e.code === 415);
});

// Bodies built field by field from k8s.io/api's generated.proto numbering (batch/v1, core/v1,
// rbac/v1), to pin the schemas independently of kubectl.
type PField = [number, 'varint', number] | [number, 'bytes', Uint8Array | string];
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
function msg(...fields: PField[]): Buffer {
  return Buffer.concat(
    fields.map(([num, kind, v]) => {
      if (kind === 'varint') return Buffer.concat([varint((num << 3) | 0), varint(v)]);
      const b = typeof v === 'string' ? Buffer.from(v) : Buffer.from(v);
      return Buffer.concat([varint((num << 3) | 2), varint(b.length), b]);
    }),
  );
}
const s = (num: number, v: string): PField => [num, 'bytes', v];
const m = (num: number, ...fields: PField[]): PField => [num, 'bytes', msg(...fields)];
const i = (num: number, v: number): PField => [num, 'varint', v];
const entry = (num: number, k: string, v: string): PField => m(num, s(1, k), s(2, v));
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'binary'), msg(m(1, s(1, apiVersion), s(2, kind)), [2, 'bytes', raw])]);
}
const podTemplate = (n: number) => m(n, m(1, entry(11, 'app', 'x')), m(2, m(2, s(1, 'c'), s(2, 'busybox'), s(3, 'sleep'), s(3, '1')), s(3, 'Never')));
const podTemplateJSON = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }], restartPolicy: 'Never' } };

test('batch/v1 Job: pointer ints keep 0, suspend false kept, template decoded', () => {
  const raw = msg(m(1, s(1, 'j')), m(2, i(1, 2), i(2, 4), i(7, 0), podTemplate(6), i(8, 100), s(9, 'Indexed'), i(10, 0), s(14, 'Failed')));
  assert.deepEqual(decodeK8sProtobuf(envelope('batch/v1', 'Job', raw)), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    spec: { parallelism: 2, completions: 4, backoffLimit: 0, template: podTemplateJSON, ttlSecondsAfterFinished: 100, completionMode: 'Indexed', suspend: false, podReplacementPolicy: 'Failed' },
  });
});

test('batch/v1 CronJob with a JobTemplateSpec', () => {
  const raw = msg(
    m(1, s(1, 'cj'), s(3, 'default')),
    m(2, s(1, '*/5 * * * *'), i(2, 60), s(3, 'Forbid'), i(4, 0), m(5, m(1, s(1, 'cj')), m(2, i(7, 3), podTemplate(6))), i(6, 3), i(7, 1), s(8, 'Etc/UTC')),
  );
  assert.deepEqual(decodeK8sProtobuf(envelope('batch/v1', 'CronJob', raw)), {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      startingDeadlineSeconds: 60,
      concurrencyPolicy: 'Forbid',
      suspend: false,
      jobTemplate: { metadata: { name: 'cj' }, spec: { backoffLimit: 3, template: podTemplateJSON } },
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      timeZone: 'Etc/UTC',
    },
  });
});

test('v1 ResourceQuota: hard quantities, scopes, scopeSelector', () => {
  const q = (num: number, k: string, v: string): PField => m(num, s(1, k), m(2, s(1, v)));
  const raw = msg(m(1, s(1, 'q')), m(2, q(1, 'cpu', '1'), q(1, 'memory', '1Gi'), s(2, 'NotBestEffort'), m(3, m(1, s(1, 'PriorityClass'), s(2, 'In'), s(3, 'high')))));
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'ResourceQuota', raw)), {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q' },
    spec: { hard: { cpu: '1', memory: '1Gi' }, scopes: ['NotBestEffort'], scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
  });
});

test('rbac/v1 Role and ClusterRole (rules keep the core group ""; aggregationRule)', () => {
  const rule = m(2, s(1, 'get'), s(1, 'list'), s(2, ''), s(3, 'pods'), s(4, 'web'));
  assert.deepEqual(decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'Role', msg(m(1, s(1, 'r')), rule))), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'r' },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['web'] }],
  });
  const cr = msg(m(1, s(1, 'cr')), m(2, s(1, 'get'), s(5, '/healthz')), m(3, m(1, entry(1, 'agg', 'true'))));
  assert.deepEqual(decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'ClusterRole', cr)), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'cr' },
    rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { agg: 'true' } }] },
  });
});

test('rbac/v1 RoleBinding and ClusterRoleBinding: subjects and roleRef (core-group roleRef apiGroup kept)', () => {
  const subjects = [m(2, s(1, 'User'), s(2, 'rbac.authorization.k8s.io'), s(3, 'alice')), m(2, s(1, 'ServiceAccount'), s(2, ''), s(3, 'sa1'), s(4, 'default'))];
  const rb = msg(m(1, s(1, 'rb')), ...subjects, m(3, s(1, 'rbac.authorization.k8s.io'), s(2, 'Role'), s(3, 'r')));
  const expectSubjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa1', namespace: 'default' }];
  assert.deepEqual(decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', rb)), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'rb' },
    subjects: expectSubjects,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
  });
  const crb = msg(m(1, s(1, 'crb')), subjects[0]!, m(3, s(1, ''), s(2, 'ClusterRole'), s(3, 'view')));
  assert.deepEqual(decodeK8sProtobuf(envelope('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', crb)), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'crb' },
    subjects: [expectSubjects[0]],
    roleRef: { apiGroup: '', kind: 'ClusterRole', name: 'view' },
  });
});
