/** Binder matching (FindMatchingVolume / pv_index semantics) and binding helpers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { checkNodeAffinity, findMatchingVolume, isDelayBindingMode, isVolumeBoundToClaim, type Obj } from './util.ts';

const pv = (name: string, storage: string, opts: { modes?: string[]; cls?: string; phase?: string; claimRef?: Record<string, string>; labels?: Record<string, string>; node?: string; mode?: string; deleting?: boolean } = {}): Obj => ({
  apiVersion: 'v1', kind: 'PersistentVolume',
  metadata: { name, labels: opts.labels, ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: {
    capacity: { storage }, accessModes: opts.modes ?? ['ReadWriteOnce'], storageClassName: opts.cls ?? 'std', volumeMode: opts.mode ?? 'Filesystem',
    hostPath: { path: `/tmp/${name}` }, claimRef: opts.claimRef,
    nodeAffinity: opts.node ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [opts.node] }] }] } } : undefined,
  },
  status: { phase: opts.phase ?? 'Available' },
});
const pvc = (storage: string, opts: { modes?: string[]; cls?: string; selector?: unknown; mode?: string } = {}): Obj => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'ns', uid: 'u1' },
  spec: { accessModes: opts.modes ?? ['ReadWriteOnce'], resources: { requests: { storage } }, storageClassName: opts.cls ?? 'std', selector: opts.selector, volumeMode: opts.mode ?? 'Filesystem' },
});
const node = (name: string): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
const name = (v: Obj | undefined) => v?.metadata?.name;

test('smallest volume that fits the request', () => {
  const vols = [pv('5g', '5Gi'), pv('1g', '1Gi'), pv('100m', '100Mi'), pv('2g', '2Gi')];
  assert.equal(name(findMatchingVolume(pvc('500Mi'), vols, undefined, false)), '1g');
  assert.equal(name(findMatchingVolume(pvc('1Gi'), vols, undefined, false)), '1g', 'equal capacity fits');
  assert.equal(name(findMatchingVolume(pvc('1025Mi'), vols, undefined, false)), '2g');
  assert.equal(findMatchingVolume(pvc('6Gi'), vols, undefined, false), undefined);
});

test('class, volume mode, phase, claimRef, deletion and selector filter volumes', () => {
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('gold', '1Gi', { cls: 'gold' })], undefined, false), undefined);
  assert.equal(name(findMatchingVolume(pvc('1Gi', { cls: '' }), [pv('gold', '1Gi', { cls: 'gold' }), pv('none', '1Gi', { cls: '' })], undefined, false)), 'none');
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('blk', '1Gi', { mode: 'Block' })], undefined, false), undefined);
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('rel', '1Gi', { phase: 'Released' })], undefined, false), undefined);
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('taken', '1Gi', { claimRef: { namespace: 'x', name: 'y', uid: 'z' } })], undefined, false), undefined);
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('del', '1Gi', { deleting: true })], undefined, false), undefined);
  const sel = pvc('1Gi', { selector: { matchLabels: { tier: 'fast' } } });
  assert.equal(name(findMatchingVolume(sel, [pv('slow', '1Gi', { labels: { tier: 'slow' } }), pv('fast', '2Gi', { labels: { tier: 'fast' } })], undefined, false)), 'fast');
});

test('access modes: the volume must offer every requested mode; fewest-mode volumes first', () => {
  const vols = [pv('rwx', '1Gi', { modes: ['ReadWriteOnce', 'ReadWriteMany'] }), pv('rox', '1Gi', { modes: ['ReadOnlyMany'] })];
  assert.equal(findMatchingVolume(pvc('1Gi', { modes: ['ReadWriteMany', 'ReadOnlyMany'] }), vols, undefined, false), undefined);
  assert.equal(name(findMatchingVolume(pvc('1Gi', { modes: ['ReadWriteMany'] }), vols, undefined, false)), 'rwx');
  // A smaller volume with more modes loses to a larger one with exactly the requested modes.
  const grouped = [pv('many', '1Gi', { modes: ['ReadWriteOnce', 'ReadOnlyMany'] }), pv('exact', '5Gi', { modes: ['ReadWriteOnce'] })];
  assert.equal(name(findMatchingVolume(pvc('1Gi'), grouped, undefined, false)), 'exact');
});

test('pre-bound volumes win; delayed binding without a node matches only those', () => {
  const pre = pv('pre', '10Gi', { cls: 'other', claimRef: { namespace: 'ns', name: 'c' } });
  const vols = [pv('fit', '1Gi'), pre];
  assert.equal(name(findMatchingVolume(pvc('1Gi'), vols, undefined, false)), 'pre');
  assert.equal(name(findMatchingVolume(pvc('1Gi'), [pv('fit', '1Gi')], undefined, false)), 'fit');
  assert.equal(findMatchingVolume(pvc('1Gi'), [pv('fit', '1Gi')], undefined, true), undefined);
  assert.equal(name(findMatchingVolume(pvc('1Gi'), [pv('fit', '1Gi'), pre], undefined, true)), 'pre');
  assert.equal(isVolumeBoundToClaim(pv('x', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'other' } }), pvc('1Gi')), false);
});

test('node affinity', () => {
  const local = pv('local', '1Gi', { node: 'a' });
  assert.equal(checkNodeAffinity(local, node('a')), true);
  assert.equal(checkNodeAffinity(local, node('b')), false);
  assert.equal(checkNodeAffinity(pv('any', '1Gi'), node('b')), true);
  assert.equal(findMatchingVolume(pvc('1Gi'), [local], node('b'), true), undefined);
  assert.equal(name(findMatchingVolume(pvc('1Gi'), [local], node('a'), true)), 'local');
});

test('isDelayBindingMode reads the class', () => {
  const classes: Record<string, Obj> = { wffc: { metadata: { name: 'wffc' }, volumeBindingMode: 'WaitForFirstConsumer' } as Obj, imm: { metadata: { name: 'imm' }, volumeBindingMode: 'Immediate' } as Obj };
  const get = (n: string) => classes[n];
  assert.equal(isDelayBindingMode(pvc('1Gi', { cls: 'wffc' }), get), true);
  assert.equal(isDelayBindingMode(pvc('1Gi', { cls: 'imm' }), get), false);
  assert.equal(isDelayBindingMode(pvc('1Gi', { cls: '' }), get), false);
  assert.equal(isDelayBindingMode(pvc('1Gi', { cls: 'missing' }), get), false);
});
