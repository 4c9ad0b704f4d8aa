import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../client/interface.ts';
import { findResource } from '../../api/resource-table.ts';
import { ServiceAccountAdmission, generateName } from './service-account.ts';

const pods = findResource('', 'v1', 'pods')!;

async function admit(pod: Record<string, unknown>, sa?: Record<string, unknown>): Promise<any> {
  const plugin = new ServiceAccountAdmission(async (ns, name) => (sa && name === 'default' && ns === 'dev' ? ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns }, ...sa } as KubeObject) : undefined));
  const object = structuredClone(pod) as KubeObject;
  await plugin.admit({ operation: 'CREATE', resource: pods, subresource: '', namespace: 'dev', name: 'p', object, user: 'u', dryRun: false });
  return object;
}

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

test('generateName: base + 5 characters of upstream\'s alphabet', () => {
  assert.match(generateName('kube-api-access-'), /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});

test('a pod gets serviceAccountName default and the kube-api-access volume mounted read-only in every container', async () => {
  const p = await admit({ metadata: { name: 'p' }, spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } });
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.equal(p.spec.serviceAccount, 'default');
  assert.equal(p.spec.volumes.length, 1);
  const v = p.spec.volumes[0];
  assert.match(v.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(v.projected, {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  });
  const m = { name: v.name, readOnly: true, mountPath: MOUNT };
  assert.deepEqual(p.spec.initContainers[0].volumeMounts, [m]);
  assert.deepEqual(p.spec.containers[0].volumeMounts, [m]);
  assert.deepEqual(p.spec.containers[1].volumeMounts, [{ name: 'data', mountPath: '/data' }, m]);
});

test('automountServiceAccountToken: the pod\'s value wins over the ServiceAccount\'s', async () => {
  const off = await admit({ spec: { automountServiceAccountToken: false, containers: [{ name: 'a' }] } });
  assert.equal(off.spec.volumes, undefined);
  assert.equal(off.spec.containers[0].volumeMounts, undefined);
  const saOff = await admit({ spec: { containers: [{ name: 'a' }] } }, { automountServiceAccountToken: false });
  assert.equal(saOff.spec.volumes, undefined);
  const podOn = await admit({ spec: { automountServiceAccountToken: true, containers: [{ name: 'a' }] } }, { automountServiceAccountToken: false });
  assert.equal(podOn.spec.volumes.length, 1);
});

test('an existing mount at the token path is kept; an existing kube-api-access volume is reused; mirror pods are left alone', async () => {
  const own = await admit({ spec: { containers: [{ name: 'a', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] }], volumes: [{ name: 'mine', emptyDir: {} }] } });
  assert.deepEqual(own.spec.volumes, [{ name: 'mine', emptyDir: {} }]);
  assert.deepEqual(own.spec.containers[0].volumeMounts, [{ name: 'mine', mountPath: MOUNT }]);
  const reuse = await admit({ spec: { containers: [{ name: 'a' }], volumes: [{ name: 'kube-api-access-abcde', emptyDir: {} }] } });
  assert.equal(reuse.spec.volumes.length, 1);
  assert.deepEqual(reuse.spec.containers[0].volumeMounts, [{ name: 'kube-api-access-abcde', readOnly: true, mountPath: MOUNT }]);
  const mirror = await admit({ metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { containers: [{ name: 'a' }] } });
  assert.equal(mirror.spec.serviceAccountName, undefined);
  assert.equal(mirror.spec.volumes, undefined);
});

test('a pod without imagePullSecrets gets the ServiceAccount\'s; its own are kept', async () => {
  const p = await admit({ spec: { containers: [{ name: 'a' }] } }, { imagePullSecrets: [{ name: 'regcred' }] });
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'regcred' }]);
  const own = await admit({ spec: { imagePullSecrets: [{ name: 'mine' }], containers: [{ name: 'a' }] } }, { imagePullSecrets: [{ name: 'regcred' }] });
  assert.deepEqual(own.spec.imagePullSecrets, [{ name: 'mine' }]);
});
