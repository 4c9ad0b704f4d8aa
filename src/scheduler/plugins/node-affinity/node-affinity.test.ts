import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Affinity } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, Code } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { ErrReason, NodeAffinity } from './node-affinity.ts';

const required = (...terms: NonNullable<NonNullable<Affinity['nodeAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']>['nodeSelectorTerms']): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});
const reject = { code: Code.UnschedulableAndUnresolvable, reasons: [ErrReason] };

// Cases after nodeaffinity/node_affinity_test.go TestNodeAffinity.
const cases: { name: string; pod: ReturnType<typeof makePod>; labels: Record<string, string>; want?: typeof reject }[] = [
  { name: 'no selector', pod: makePod('p'), labels: {}, want: undefined },
  { name: 'missing labels', pod: makePod('p', { nodeSelector: { foo: 'bar' } }), labels: {}, want: reject },
  { name: 'same labels', pod: makePod('p', { nodeSelector: { foo: 'bar' } }), labels: { foo: 'bar' }, want: undefined },
  { name: 'node labels are superset', pod: makePod('p', { nodeSelector: { foo: 'bar' } }), labels: { foo: 'bar', baz: 'blah' }, want: undefined },
  { name: 'node labels are subset', pod: makePod('p', { nodeSelector: { foo: 'bar', baz: 'blah' } }), labels: { foo: 'bar' }, want: reject },
  {
    name: 'In operator that matches the existing node',
    pod: makePod('p', { affinity: required({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar', 'value2'] }] }) }),
    labels: { foo: 'bar' },
    want: undefined,
  },
  {
    name: 'Gt operator that matches the existing node',
    pod: makePod('p', { affinity: required({ matchExpressions: [{ key: 'kernel-version', operator: 'Gt', values: ['0204'] }] }) }),
    labels: { 'kernel-version': '0206' },
    want: undefined,
  },
  {
    name: 'NotIn operator that doesn\'t match the existing node',
    pod: makePod('p', { affinity: required({ matchExpressions: [{ key: 'mem-type', operator: 'NotIn', values: ['DDR', 'DDR2'] }] }) }),
    labels: { 'mem-type': 'DDR3' },
    want: undefined,
  },
  {
    name: 'Exists operator that matches the existing node',
    pod: makePod('p', { affinity: required({ matchExpressions: [{ key: 'GPU', operator: 'Exists' }] }) }),
    labels: { GPU: 'NVIDIA-GRID-K1' },
    want: undefined,
  },
  {
    name: 'affinity doesn\'t match node\'s labels',
    pod: makePod('p', { affinity: required({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['value1', 'value2'] }] }) }),
    labels: { foo: 'bar' },
    want: reject,
  },
  { name: 'empty nodeSelectorTerms matches nothing', pod: makePod('p', { affinity: required() }), labels: { foo: 'bar' }, want: reject },
  { name: 'an empty term matches nothing', pod: makePod('p', { affinity: required({}) }), labels: { foo: 'bar' }, want: reject },
  {
    name: 'terms are ORed',
    pod: makePod('p', {
      affinity: required({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['nope'] }] }, { matchExpressions: [{ key: 'diskType', operator: 'In', values: ['ssd'] }] }),
    }),
    labels: { diskType: 'ssd' },
    want: undefined,
  },
  {
    name: 'nodeSelector and affinity must both match',
    pod: makePod('p', { nodeSelector: { foo: 'bar' }, affinity: required({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }) }),
    labels: { foo: 'other' },
    want: reject,
  },
  {
    name: 'matchFields on metadata.name',
    pod: makePod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }) }),
    labels: {},
    want: undefined,
  },
  {
    name: 'matchFields on another node name',
    pod: makePod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['other'] }] }) }),
    labels: {},
    want: reject,
  },
];

for (const c of cases) {
  test(`NodeAffinity: ${c.name}`, () => {
    const st = new NodeAffinity().filter(new CycleState(), c.pod, new NodeInfo(makeNode('n', { labels: c.labels })));
    assert.deepEqual(st ? { code: st.code, reasons: st.reasons } : undefined, c.want);
  });
}

test('NodeAffinity score: preferred term weights, normalised', () => {
  const pod = makePod('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 2, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
          { weight: 4, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } },
        ],
      },
    },
  });
  const p = new NodeAffinity();
  const labelSets: Record<string, string>[] = [{ foo: 'bar' }, { key: 'value' }, { foo: 'bar', key: 'value' }, {}];
  const scores = labelSets.map((labels, i) =>
    p.score(new CycleState(), pod, new NodeInfo(makeNode(`n${i}`, { labels }))),
  );
  assert.deepEqual(scores, [2, 4, 6, 0]);
  p.normalizeScore(new CycleState(), pod, scores);
  assert.deepEqual(scores, [33, 66, 100, 0]);
});
