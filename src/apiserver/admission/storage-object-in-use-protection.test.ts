/** StorageObjectInUseProtection admission: finalizers on new claims and volumes only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resource-table.ts';
import { StorageObjectInUseProtection } from './storage-object-in-use-protection.ts';
import type { AdmissionAttributes } from './interface.ts';

const attrs = (resource: string, object: any, operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes => ({
  operation, resource: findResource('', 'v1', resource)!, subresource: '', namespace: '', name: 'x', object, user: '', dryRun: false,
});

test('adds kubernetes.io/pvc-protection and kubernetes.io/pv-protection once, on create only', () => {
  const p = new StorageObjectInUseProtection();
  const pvc = { metadata: { name: 'c', finalizers: ['a'] } };
  p.admit(attrs('persistentvolumeclaims', pvc));
  p.admit(attrs('persistentvolumeclaims', pvc));
  assert.deepEqual(pvc.metadata.finalizers, ['a', 'kubernetes.io/pvc-protection']);
  const pv: any = { metadata: { name: 'v' } };
  p.admit(attrs('persistentvolumes', pv));
  assert.deepEqual(pv.metadata.finalizers, ['kubernetes.io/pv-protection']);
  const upd: any = { metadata: { name: 'c' } };
  p.admit(attrs('persistentvolumeclaims', upd, 'UPDATE'));
  assert.equal(upd.metadata.finalizers, undefined);
  const cm: any = { metadata: { name: 'm' } };
  p.admit(attrs('configmaps', cm));
  assert.equal(cm.metadata.finalizers, undefined);
});
