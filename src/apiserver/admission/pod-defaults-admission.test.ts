import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resource-table.ts';
import type { AdmissionAttributes } from './interface.ts';
import { DefaultTolerationSeconds } from './default-toleration-seconds.ts';
import { ServiceAccountAdmission } from './service-account.ts';

const pods = findResource('', 'v1', 'pods')!;
const attrs = (object: Record<string, any>, operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes => ({
  operation,
  resource: pods,
  subresource: '',
  namespace: 'default',
  name: 'p',
  object,
  user: 'admin',
  dryRun: false,
});

test('DefaultTolerationSeconds adds not-ready/unreachable NoExecute 300s tolerations (upstream TestForgivenessAdmission)', () => {
  const pod: Record<string, any> = { metadata: { name: 'p' }, spec: { tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }] } };
  new DefaultTolerationSeconds().admit(attrs(pod));
  assert.deepEqual(pod.spec.tolerations, [
    { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test('DefaultTolerationSeconds keeps a pod\'s own toleration for either taint and skips updates', () => {
  const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 700 };
  const pod: Record<string, any> = { metadata: { name: 'p' }, spec: { tolerations: [own] } };
  new DefaultTolerationSeconds().admit(attrs(pod));
  assert.deepEqual(pod.spec.tolerations, [own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  const all: Record<string, any> = { metadata: { name: 'p' }, spec: { tolerations: [{ operator: 'Exists' }] } };
  new DefaultTolerationSeconds().admit(attrs(all));
  assert.deepEqual(all.spec.tolerations, [{ operator: 'Exists' }], 'a tolerate-everything toleration covers both');
  const upd: Record<string, any> = { metadata: { name: 'p' }, spec: {} };
  new DefaultTolerationSeconds().admit(attrs(upd, 'UPDATE'));
  assert.equal(upd.spec.tolerations, undefined);
});

test('ServiceAccount admission defaults serviceAccountName to default and mirrors serviceAccount', () => {
  const pod: Record<string, any> = { metadata: { name: 'p' }, spec: {} };
  new ServiceAccountAdmission().admit(attrs(pod));
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.equal(pod.spec.serviceAccount, 'default');
  const named: Record<string, any> = { metadata: { name: 'p' }, spec: { serviceAccountName: 'builder' } };
  new ServiceAccountAdmission().admit(attrs(named));
  assert.equal(named.spec.serviceAccountName, 'builder');
  const mirror: Record<string, any> = { metadata: { name: 'p', annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: {} };
  new ServiceAccountAdmission().admit(attrs(mirror));
  assert.equal(mirror.spec.serviceAccountName, undefined);
});
