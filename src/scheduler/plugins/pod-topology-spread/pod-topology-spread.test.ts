import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, Code, newPodInfo } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch, PodTopologySpread } from './pod-topology-spread.ts';

const fooPod = (name: string, extra: Partial<Pod['spec']> = {}): Pod => {
  const p = makePod(name);
  p.metadata!.labels = { foo: '' };
  p.spec = { ...p.spec!, ...extra };
  return p;
};
const hard = (topologyKey: string, maxSkew = 1, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew,
  topologyKey,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchExpressions: [{ key: 'foo', operator: 'Exists' }] },
  ...extra,
});
function node(name: string, labels: Record<string, string>, pods = 0, taints?: { key: string; effect: string }[]): NodeInfo {
  const ni = new NodeInfo(makeNode(name, { labels, taints: taints as never }));
  for (let i = 0; i < pods; i++) ni.addPod(newPodInfo({ ...fooPod(`${name}-p${i}`), spec: { ...fooPod('x').spec!, nodeName: name } }));
  return ni;
}
function run(pod: Pod, nodes: NodeInfo[]) {
  const p = new PodTopologySpread();
  const state = new CycleState();
  p.preFilter(state, pod, nodes);
  return Object.fromEntries(nodes.map((n) => {
    const st = p.filter(state, pod, n);
    return [n.name, st ? st.code : Code.Success];
  }));
}

// Cases after podtopologyspread/filtering_test.go TestSingleConstraint.
test('no existing pods: every node with the label fits', () => {
  const pod = fooPod('p', { topologySpreadConstraints: [hard('zone')] });
  assert.deepEqual(run(pod, [node('node-a', { zone: 'zone1' }), node('node-b', { zone: 'zone1' }), node('node-x', { zone: 'zone2' }), node('node-y', { zone: 'zone2' })]), {
    'node-a': Code.Success, 'node-b': Code.Success, 'node-x': Code.Success, 'node-y': Code.Success,
  });
});

test('no existing pods, incoming pod does not match itself: all fit', () => {
  const pod = makePod('p');
  pod.spec!.topologySpreadConstraints = [hard('zone')];
  assert.deepEqual(run(pod, [node('a', { zone: 'z1' }), node('x', { zone: 'z2' })]), { a: Code.Success, x: Code.Success });
});

test('existing pods in a different namespace do not count', () => {
  const other = new NodeInfo(makeNode('a', { labels: { zone: 'z1' } }));
  const p = fooPod('e');
  p.metadata!.namespace = 'ns2';
  other.addPod(newPodInfo({ ...p, spec: { ...p.spec!, nodeName: 'a' } }));
  const pod = fooPod('p', { topologySpreadConstraints: [hard('zone')] });
  assert.deepEqual(run(pod, [other, node('x', { zone: 'z2' })]), { a: Code.Success, x: Code.Success });
});

test('pods spread as 2/1/0/2 across zones with maxSkew 1: only the emptiest domain fits', () => {
  // zone1: a(2) b(1) = 3; zone2: x(0) y(2) = 2 → min 2; zone1 skew 3+1-2 = 2 > 1; zone2 skew 2+1-2 = 1.
  const pod = fooPod('p', { topologySpreadConstraints: [hard('zone')] });
  assert.deepEqual(run(pod, [node('a', { zone: 'zone1' }, 2), node('b', { zone: 'zone1' }, 1), node('x', { zone: 'zone2' }, 0), node('y', { zone: 'zone2' }, 2)]), {
    a: Code.Unschedulable, b: Code.Unschedulable, x: Code.Success, y: Code.Success,
  });
});

test('hostname spreading with maxSkew 1; a node without the label is unresolvable', () => {
  const pod = fooPod('p', { topologySpreadConstraints: [hard('kubernetes.io/hostname')] });
  const nolabel = new NodeInfo(makeNode('n'));
  delete nolabel.node!.metadata!.labels!['kubernetes.io/hostname'];
  assert.deepEqual(run(pod, [node('a', {}, 1), node('b', {}, 0), node('c', {}, 2), nolabel]), {
    a: Code.Unschedulable, b: Code.Success, c: Code.Unschedulable, n: Code.UnschedulableAndUnresolvable,
  });
  const st = new PodTopologySpread();
  const cs = new CycleState();
  st.preFilter(cs, pod, [nolabel]);
  assert.deepEqual(st.filter(cs, pod, nolabel)?.reasons, [ErrReasonNodeLabelNotMatch]);
});

test('maxSkew 2 allows more imbalance', () => {
  const pod = fooPod('p', { topologySpreadConstraints: [hard('zone', 2)] });
  assert.deepEqual(run(pod, [node('a', { zone: 'z1' }, 2), node('x', { zone: 'z2' }, 1)]), { a: Code.Success, x: Code.Success });
  const pod3 = fooPod('p', { topologySpreadConstraints: [hard('zone', 2)] });
  assert.deepEqual(run(pod3, [node('a', { zone: 'z1' }, 3), node('x', { zone: 'z2' }, 1)]), { a: Code.Unschedulable, x: Code.Success });
});

test('minDomains: fewer domains than minDomains makes the minimum 0', () => {
  const pod = fooPod('p', { topologySpreadConstraints: [hard('zone', 1, { minDomains: 3 })] });
  assert.deepEqual(run(pod, [node('a', { zone: 'z1' }, 1), node('x', { zone: 'z2' }, 1)]), { a: Code.Unschedulable, x: Code.Unschedulable });
});

test('nodes excluded by nodeSelector (nodeAffinityPolicy Honor) do not define the minimum', () => {
  // Without the selector z2 (0 pods) would be the minimum; the pod may only use z1 nodes.
  const pod = fooPod('p', { nodeSelector: { disk: 'ssd' }, topologySpreadConstraints: [hard('zone')] });
  assert.deepEqual(run(pod, [node('a', { zone: 'z1', disk: 'ssd' }, 3), node('b', { zone: 'z3', disk: 'ssd' }, 3), node('x', { zone: 'z2' }, 0)]), {
    a: Code.Success, b: Code.Success, x: Code.Success,
  });
});

test('ScheduleAnyway constraints are not enforced', () => {
  const pod = fooPod('p', { topologySpreadConstraints: [{ ...hard('zone'), whenUnsatisfiable: 'ScheduleAnyway' }] });
  assert.deepEqual(run(pod, [node('a', { zone: 'z1' }, 5), node('x', { zone: 'z2' }, 0)]), { a: Code.Success, x: Code.Success });
  assert.equal(ErrReasonConstraintsNotMatch, "node(s) didn't match pod topology spread constraints");
});
