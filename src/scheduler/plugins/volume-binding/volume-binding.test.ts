/** VolumeBinding PreFilter/Filter reasons (upstream volumebinding plugin messages). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../client/interface.ts';
import { Code, CycleState, NodeInfo } from '../../framework/types.ts';
import { ErrReasonBindConflict, ErrReasonNodeConflict, ErrReasonUnboundImmediate, VolumeBinding, type VolumeListers } from './volume-binding.ts';

const node = (name: string): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
const pod = (...claims: string[]): Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [{ name: 'c' }], volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) },
});
const claim = (name: string, cls: string, volumeName?: string, deleting = false): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `u-${name}`, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: cls, volumeName },
});
const affinity = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }] } });

const objs: Record<string, KubeObject> = {
  'pvc/bound': claim('bound', 'local', 'pv-a'),
  'pvc/imm': claim('imm', 'fast'),
  'pvc/wffc': claim('wffc', 'local'),
  'pvc/static': claim('static', 'manual'),
  'pvc/gone': claim('gone', 'local', undefined, true),
  'pv/pv-a': { metadata: { name: 'pv-a' }, spec: { nodeAffinity: affinity('a'), capacity: { storage: '1Gi' } } },
  'pv/pv-b': { metadata: { name: 'pv-b' }, spec: { nodeAffinity: affinity('b'), capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', volumeMode: 'Filesystem' }, status: { phase: 'Available' } },
  'sc/local': { metadata: { name: 'local' }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' } as KubeObject,
  'sc/fast': { metadata: { name: 'fast' }, provisioner: 'x.io/fast', volumeBindingMode: 'Immediate' } as KubeObject,
  'sc/manual': { metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' } as KubeObject,
};
const listers: VolumeListers = {
  claim: (_ns, n) => objs[`pvc/${n}`],
  volume: (n) => objs[`pv/${n}`],
  volumes: () => Object.entries(objs).filter(([k]) => k.startsWith('pv/')).map(([, v]) => v),
  storageClass: (n) => objs[`sc/${n}`],
};

function run(p: Pod, n: string) {
  const plugin = new VolumeBinding(listers);
  const state = new CycleState();
  const pre = plugin.preFilter(state, p);
  if (pre) return pre;
  return plugin.filter(state, p, new NodeInfo(node(n)));
}

test('PreFilter: missing, deleting and unbound immediate claims', () => {
  assert.deepEqual([run(pod('nope'), 'a')?.code, run(pod('nope'), 'a')?.message()], [Code.UnschedulableAndUnresolvable, 'persistentvolumeclaim "nope" not found']);
  assert.equal(run(pod('gone'), 'a')?.message(), 'persistentvolumeclaim "gone" is being deleted');
  assert.equal(run(pod('imm'), 'a')?.message(), ErrReasonUnboundImmediate);
  assert.equal(run(pod(), 'a'), undefined);
});

test('Filter: bound PV node affinity, delayed claims with and without a provisioner', () => {
  assert.equal(run(pod('bound'), 'a'), undefined);
  assert.equal(run(pod('bound'), 'b')?.message(), ErrReasonNodeConflict);
  assert.equal(run(pod('wffc'), 'a'), undefined, 'local-path can provision anywhere');
  assert.equal(run(pod('static'), 'b'), undefined, 'an available PV on node b fits');
  assert.equal(run(pod('static'), 'a')?.message(), ErrReasonBindConflict);
  assert.equal(new VolumeBinding().preFilter(new CycleState(), pod('nope')), undefined, 'no listers: accept');
});
