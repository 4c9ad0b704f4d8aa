import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getControllerOf, isControlledBy, newControllerRef } from './ownerrefs.ts';

// Behaviour from upstream k8s.io/apimachinery/pkg/apis/meta/v1/controller_ref_test.go
// (TestIsControlledBy, TestGetControllerOf, TestNewControllerRef).
describe('controller refs', () => {
  const rs = { metadata: { name: 'rs', uid: 'rs-uid' } };
  const other = { metadata: { name: 'other', uid: 'other-uid' } };
  const ref = newControllerRef(rs, { group: 'apps', version: 'v1', kind: 'ReplicaSet' });

  test('newControllerRef', () => {
    assert.deepEqual(ref, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'rs',
      uid: 'rs-uid',
      blockOwnerDeletion: true,
      controller: true,
    });
    assert.equal(newControllerRef(rs, { group: '', version: 'v1', kind: 'ReplicationController' }).apiVersion, 'v1');
  });
  test('getControllerOf returns the controller reference (a copy), skipping non-controller owners', () => {
    const pod = {
      metadata: {
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm', controller: false }, ref],
      },
    };
    const got = getControllerOf(pod);
    assert.deepEqual(got, ref);
    assert.notEqual(got, ref);
    assert.equal(getControllerOf({ metadata: {} }), undefined);
    assert.equal(getControllerOf({ metadata: { ownerReferences: [{ ...ref, controller: undefined }] } }), undefined);
  });
  test('isControlledBy compares uids', () => {
    const pod = { metadata: { ownerReferences: [ref] } };
    assert.equal(isControlledBy(pod, rs), true);
    assert.equal(isControlledBy(pod, other), false);
    assert.equal(isControlledBy({ metadata: {} }, rs), false);
  });
});
