import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, Code } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { TaintToleration } from './taint-toleration.ts';
import { toleratesTaint } from './toleration.ts';
import { loadCases } from '../../../machinery/testdata.ts';

// Upstream cases: /work/shared/cases/taints-tolerations.json (kind=toleratesTaint). The DaemonSet
// kinds (daemonPodDefaultTolerations, daemonNodeShouldRun, daemonSync) and minTolerationSeconds
// belong to the DaemonSet controller / taint eviction, not to this plugin.
interface Case {
  id: string;
  kind: string;
  name?: string;
  toleration: Toleration;
  taint: Taint;
  expected: boolean;
}
const file = loadCases<Case>('taints-tolerations.json');

describe('toleratesTaint (shared cases)', () => {
  const cases = file.cases.filter((c) => c.kind === 'toleratesTaint');
  test('has cases', () => assert.ok(cases.length >= 10));
  for (const c of cases) {
    test(`${c.id} ${c.name ?? ''}`, () => assert.equal(toleratesTaint(c.toleration, c.taint), c.expected));
  }
});

// Filter cases after tainttoleration/taint_toleration_test.go TestTaintTolerationFilter.
describe('TaintToleration filter', () => {
  const cases: { name: string; tolerations?: Toleration[]; taints: Taint[]; want?: { code: Code; reasons: string[] } }[] = [
    {
      name: 'a pod having no tolerations can\'t be scheduled onto a node with nonempty taints',
      taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      want: { code: Code.UnschedulableAndUnresolvable, reasons: ['node(s) had untolerated taint {dedicated: user1}'] },
    },
    {
      name: 'a pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule',
      tolerations: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
    },
    {
      name: 'a pod which can\'t be scheduled on a dedicated node assigned to user2 with effect NoSchedule',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
      want: { code: Code.UnschedulableAndUnresolvable, reasons: ['node(s) had untolerated taint {dedicated: user1}'] },
    },
    {
      name: 'a pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node',
      tolerations: [{ key: 'foo', operator: 'Exists', effect: 'NoSchedule' }],
      taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }],
    },
    {
      name: 'a pod has multiple tolerations, node has multiple taints, all the taints are tolerated',
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' },
        { key: 'foo', operator: 'Exists', effect: 'NoSchedule' },
      ],
      taints: [
        { key: 'dedicated', value: 'user2', effect: 'NoSchedule' },
        { key: 'foo', value: 'bar', effect: 'NoSchedule' },
      ],
    },
    {
      name: 'a pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn\'t match',
      tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }],
      taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }],
      want: { code: Code.UnschedulableAndUnresolvable, reasons: ['node(s) had untolerated taint {foo: bar}'] },
    },
    {
      name: 'the pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty',
      tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar' }],
      taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }],
    },
    {
      name: 'the pod has a toleration that key and value don\'t match the taint, but the effect of taint is PreferNoSchedule',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }],
      taints: [{ key: 'dedicated', value: 'user1', effect: 'PreferNoSchedule' }],
    },
    {
      name: 'the pod has no toleration, but the effect of taint on the node is PreferNoSchedule',
      taints: [{ key: 'dedicated', value: 'user1', effect: 'PreferNoSchedule' }],
    },
    {
      name: 'a NoExecute taint without value is reported with an empty value',
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoExecute' }],
      want: { code: Code.UnschedulableAndUnresolvable, reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pod = makePod('p', { tolerations: c.tolerations });
      const st = new TaintToleration().filter(new CycleState(), pod, new NodeInfo(makeNode('n', { taints: c.taints })));
      assert.deepEqual(st ? { code: st.code, reasons: st.reasons } : undefined, c.want);
    });
  }
});

// Score cases after TestTaintTolerationScore.
describe('TaintToleration score', () => {
  const score = (tolerations: Toleration[] | undefined, nodes: Taint[][]): number[] => {
    const plugin = new TaintToleration();
    const pod = makePod('p', { tolerations });
    const state = new CycleState();
    plugin.preScore(state, pod);
    const scores = nodes.map((taints, i) => plugin.score(state, pod, new NodeInfo(makeNode(`n${i}`, { taints }))));
    plugin.normalizeScore(state, pod, scores);
    return scores;
  };
  test('node with taints tolerated by the pod scores higher than nodes with intolerable taints', () => {
    assert.deepEqual(
      score([{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }], [
        [{ key: 'foo', value: 'bar', effect: 'PreferNoSchedule' }],
        [{ key: 'foo', value: 'blah', effect: 'PreferNoSchedule' }],
      ]),
      [100, 0],
    );
  });
  test('all-tolerated nodes get the same score, no matter how many tolerable taints', () => {
    const tol: Toleration[] = [
      { key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'PreferNoSchedule' },
      { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'PreferNoSchedule' },
    ];
    assert.deepEqual(
      score(tol, [
        [],
        [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }],
        [
          { key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' },
          { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' },
        ],
      ]),
      [100, 100, 100],
    );
  });
  test('the more intolerable taints a node has, the lower its score', () => {
    const tol: Toleration[] = [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }];
    assert.deepEqual(
      score(tol, [
        [],
        [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }],
        [
          { key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' },
          { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' },
        ],
      ]),
      [100, 50, 0],
    );
  });
  test('only PreferNoSchedule taints and tolerations count', () => {
    const tol: Toleration[] = [
      { key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'NoSchedule' },
      { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'NoSchedule' },
    ];
    assert.deepEqual(
      score(tol, [[], [{ key: 'cpu-type', value: 'arm64', effect: 'NoSchedule' }], [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }]]),
      [100, 100, 0],
    );
  });
  test('no taints and no tolerations', () => {
    assert.deepEqual(score(undefined, [[], []]), [100, 100]);
  });
});
