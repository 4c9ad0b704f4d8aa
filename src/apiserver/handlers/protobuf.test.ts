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
  // TypeMeta for an unsupported kind (batch/v1 Job) → 415.
  const job = Buffer.concat([hex('6b387300'), hex('0a0f0a08'), Buffer.from('batch/v1'), hex('1203'), Buffer.from('Job'), hex('1200')]);
  assert.throws(() => decodeK8sProtobuf(job), (e: any) => e.code === 415);
});
