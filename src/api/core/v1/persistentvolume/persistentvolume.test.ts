/**
 * PersistentVolume, PersistentVolumeClaim and StorageClass policy: defaults, validation wording
 * (upstream pkg/apis/core/validation and pkg/apis/storage/validation messages) and Table cells
 * (upstream printers.go).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { findResource } from '../../../resource-table.ts';
import { getAccessModesAsString } from './helpers.ts';

const pvRI = findResource('', 'v1', 'persistentvolumes')!;
const pvcRI = findResource('', 'v1', 'persistentvolumeclaims')!;
const scRI = findResource('storage.k8s.io', 'v1', 'storageclasses')!;
const now = Date.parse('2024-01-01T00:10:00Z');
const created = '2024-01-01T00:00:00Z';

const msgs = (errs: { field: string }[]) => errs.map((e) => fieldErrorString(e as never));
const defaulted = (ri: typeof pvRI, o: KubeObject) => {
  ri.strategy.defaults(o);
  return o;
};

test('access modes print in upstream order, deduplicated', () => {
  assert.equal(getAccessModesAsString(['ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOnce', 'ReadWriteOnce']), 'RWO,ROX,RWX,RWOP');
  assert.equal(getAccessModesAsString([]), '');
});

test('PV defaults: Retain, Filesystem, Pending', () => {
  const pv = defaulted(pvRI, { metadata: { name: 'a' }, spec: { capacity: { storage: '1024Mi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } } });
  assert.equal((pv.spec as any).persistentVolumeReclaimPolicy, 'Retain');
  assert.equal((pv.spec as any).volumeMode, 'Filesystem');
  assert.equal((pv.spec as any).capacity.storage, '1Gi');
  assert.equal((pv.status as any).phase, 'Pending');
});

test('PV validation', () => {
  assert.deepEqual(msgs(pvRI.strategy.validate({ metadata: { name: 'a' }, spec: {} })), [
    'spec.accessModes: Required value',
    'spec.capacity: Required value',
    'spec: Required value: must specify a volume type',
  ]);
  const bad = { metadata: { name: 'a' }, spec: {
    accessModes: ['ReadWriteSome'], capacity: { storage: '1Gi', cpu: '1' }, persistentVolumeReclaimPolicy: 'Keep',
    hostPath: { path: '/a' }, nfs: { server: 's', path: '/p' },
  } };
  assert.deepEqual(msgs(pvRI.strategy.validate(bad)), [
    'spec.accessModes: Unsupported value: "ReadWriteSome": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.capacity: Unsupported value: "cpu": supported values: "storage"',
    'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
    'spec.nfs: Forbidden: may not specify more than 1 volume type',
  ]);
  const local = { metadata: { name: 'a' }, spec: { accessModes: ['ReadWriteOnce', 'ReadWriteOncePod'], capacity: { storage: '1Gi' }, local: { path: '/d' } } };
  assert.deepEqual(msgs(pvRI.strategy.validate(local)), [
    'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
    'spec.nodeAffinity: Required value: Local volume requires node affinity',
  ]);
  const ok = { metadata: { name: 'a', resourceVersion: '1' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/a' } } };
  assert.deepEqual(pvRI.strategy.validate(ok), []);
  const moved = structuredClone(ok);
  moved.spec.hostPath.path = '/b';
  assert.deepEqual(msgs(pvRI.strategy.validateUpdate(moved, ok)), ['spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation']);
});

test('PVC validation and the immutable spec', () => {
  assert.deepEqual(msgs(pvcRI.strategy.validate({ metadata: { name: 'c', namespace: 'd' }, spec: {} })), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  assert.deepEqual(msgs(pvcRI.strategy.validate({ metadata: { name: 'c', namespace: 'd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '0' } } } })), [
    'spec.resources[storage]: Invalid value: "0": must be greater than zero',
  ]);
  const old = { metadata: { name: 'c', namespace: 'd', resourceVersion: '1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
  // volumeName may be set once; storageClassName may go from unset to a value.
  const bind = structuredClone(old) as any;
  bind.spec.volumeName = 'pv1';
  bind.spec.storageClassName = 'local-path';
  assert.deepEqual(pvcRI.strategy.validateUpdate(bind, old), []);
  const boundOld = { ...structuredClone(bind), status: { phase: 'Bound' } };
  const grow = structuredClone(boundOld);
  grow.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(pvcRI.strategy.validateUpdate(grow, boundOld), []);
  const shrink = structuredClone(boundOld);
  shrink.spec.resources.requests.storage = '512Mi';
  assert.deepEqual(msgs(pvcRI.strategy.validateUpdate(shrink, boundOld)), ['spec.resources.requests.storage: Forbidden: field can not be less than previous value']);
  const modes = structuredClone(boundOld);
  modes.spec.accessModes = ['ReadWriteMany'];
  const errs = msgs(pvcRI.strategy.validateUpdate(modes, boundOld));
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n/);
  const rename = structuredClone(boundOld);
  rename.spec.volumeName = 'pv2';
  assert.equal(msgs(pvcRI.strategy.validateUpdate(rename, boundOld)).length, 1, 'volumeName is set only once');
  const pending = structuredClone(old) as any;
  pending.spec.resources.requests.storage = '2Gi';
  assert.equal(msgs(pvcRI.strategy.validateUpdate(pending, old)).length, 1, 'an unbound claim cannot change its request');
});

test('StorageClass defaults and validation', () => {
  const sc = defaulted(scRI, { metadata: { name: 's' }, provisioner: 'example.com/p' } as KubeObject) as any;
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');
  assert.deepEqual(scRI.strategy.validate(sc), []);
  assert.deepEqual(msgs(scRI.strategy.validate({ metadata: { name: 's' }, reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' } as KubeObject)), [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
    'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
  ]);
  const next = { ...structuredClone(sc), metadata: { name: 's', resourceVersion: '1' }, provisioner: 'example.com/q', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', parameters: { a: 'b' } };
  assert.deepEqual(msgs(scRI.strategy.validateUpdate(next, { ...sc, metadata: { name: 's', resourceVersion: '1' } })), [
    'parameters: Forbidden: updates to parameters are forbidden.',
    'provisioner: Forbidden: updates to provisioner are forbidden.',
    'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
    'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
  ]);
});

test('Table columns and cells', () => {
  assert.deepEqual(pvRI.table.columns.map((c) => c.name), ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode']);
  assert.deepEqual(pvcRI.table.columns.map((c) => c.name), ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
  assert.deepEqual(scRI.table.columns.map((c) => c.name), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
  const pv = { metadata: { name: 'pv1', creationTimestamp: created }, spec: {
    capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path',
    claimRef: { namespace: 'default', name: 'data' }, volumeMode: 'Filesystem',
  }, status: { phase: 'Bound' } };
  assert.deepEqual(pvRI.table.cells(pv, now), ['pv1', '1Gi', 'RWO', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>', '', '10m', 'Filesystem']);
  const pending = { metadata: { name: 'data', creationTimestamp: created }, spec: { storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
  assert.deepEqual(pvcRI.table.cells(pending, now), ['data', 'Pending', '', '', '', 'local-path', '<unset>', '10m', '<unset>']);
  const bound = { ...pending, spec: { ...pending.spec, volumeName: 'pv1', volumeMode: 'Filesystem' }, status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } };
  assert.deepEqual(pvcRI.table.cells(bound, now), ['data', 'Bound', 'pv1', '1Gi', 'RWO', 'local-path', '<unset>', '10m', 'Filesystem']);
  const deleting = { ...bound, metadata: { ...bound.metadata, deletionTimestamp: created } };
  assert.equal(pvcRI.table.cells(deleting, now)[1], 'Terminating');
  const sc = { metadata: { name: 'local-path', creationTimestamp: created, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' } as KubeObject;
  assert.deepEqual(scRI.table.cells(sc, now), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '10m']);
});
