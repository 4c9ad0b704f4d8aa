import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeInfo, newPodInfo, FitError } from './framework/types.ts';
import { newDefaultFramework } from './plugins/registry.ts';
import { NoNodesAvailableError, schedulePod, selectHost } from './schedule-one.ts';
import { makeNode, makePod } from './testing/wrappers.ts';

const cp = makeNode('cp', { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
const small = (name: string) => makeNode(name, { allocatable: { cpu: '1', memory: '8Gi', pods: '110' } });

function fitError(fn: () => unknown): FitError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FitError, `expected FitError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected FitError');
}

// Expected messages: upstream's form as emitted by kube-scheduler (FitError.Error() plus
// DefaultPreemption's PostFilter message), e.g.
// "0/3 nodes are available: 1 node(s) had untolerated taint {machine-check-exception: memory},
//  2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
//  scheduling, 2 No preemption victims found for incoming pod."
test('FitError: taint + insufficient cpu histogram with the preemption message', () => {
  // Each worker has room for 1 cpu of the 4 it has: preemption could help (no victims, though).
  const nodes = [new NodeInfo(cp), withPods(makeNode('n1'), '3'), withPods(makeNode('n2'), '3')];
  const err = fitError(() => schedulePod(newDefaultFramework(), makePod('p', { containers: [{ cpu: '2' }] }), nodes));
  assert.equal(
    err.message,
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
  );
  assert.deepEqual([...err.diagnosis.unschedulablePlugins].sort(), ['NodeResourcesFit', 'TaintToleration']);
});

test('FitError: a request above the whole allocatable is unresolvable, so preemption is not helpful anywhere', () => {
  const nodes = [new NodeInfo(cp), new NodeInfo(small('n1')), new NodeInfo(small('n2'))];
  const err = fitError(() => schedulePod(newDefaultFramework(), makePod('p', { containers: [{ cpu: '2' }] }), nodes));
  assert.equal(
    err.message,
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
  );
});

test('FitError: single node, insufficient cpu', () => {
  const err = fitError(() => schedulePod(newDefaultFramework(), makePod('p', { containers: [{ cpu: '500m' }] }), [withPods(small('n1'), '800m')]));
  assert.equal(err.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
});

test('FitError: all tainted → preemption not helpful', () => {
  const unreachable = makeNode('w', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] });
  const err = fitError(() => schedulePod(newDefaultFramework(), makePod('p'), [new NodeInfo(cp), new NodeInfo(unreachable)]));
  assert.equal(
    err.message,
    '0/2 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. ' +
      'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
  );
});

test('FitError: several reasons on one node are all counted; preemptionPolicy Never', () => {
  const pod = makePod('p', { containers: [{ cpu: '2', memory: '16Gi' }] });
  pod.spec!.preemptionPolicy = 'Never';
  const err = fitError(() => schedulePod(newDefaultFramework(), pod, [withPods(makeNode('n1', { allocatable: { cpu: '4', memory: '20Gi', pods: '110' } }), '3', '10Gi')]));
  assert.equal(err.message, '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never.');
});

test('FitError: nodeSelector and cordoned node', () => {
  const err = fitError(() =>
    schedulePod(newDefaultFramework(), makePod('p', { nodeSelector: { disk: 'ssd' } }), [new NodeInfo(makeNode('a')), new NodeInfo(makeNode('b', { unschedulable: true }))]),
  );
  assert.equal(
    err.message,
    "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
  );
});

test('no nodes at all', () => {
  assert.throws(() => schedulePod(newDefaultFramework(), makePod('p'), []), (e: unknown) => e instanceof NoNodesAvailableError && e.message === 'no nodes available to schedule pods');
});

test('picks the least allocated feasible node; tolerations let a pod onto a tainted node', () => {
  const busy = withPods(makeNode('busy'), '3');
  const idle = new NodeInfo(makeNode('idle'));
  assert.equal(schedulePod(newDefaultFramework(), makePod('p', { containers: [{ cpu: '500m', memory: '1Gi' }] }), [busy, idle]).suggestedHost, 'idle');
  const tolerating = makePod('p', { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }], containers: [{ cpu: '3' }] });
  assert.equal(schedulePod(newDefaultFramework(), tolerating, [new NodeInfo(cp), new NodeInfo(small('n1'))]).suggestedHost, 'cp');
});

test('selectHost breaks ties with the random source', () => {
  const nodes = ['a', 'b', 'c'].map((n) => new NodeInfo(makeNode(n)));
  assert.equal(selectHost(nodes, [5, 9, 9], () => 0.99), 'b');
  assert.equal(selectHost(nodes, [5, 9, 9], () => 0), 'c');
  assert.equal(selectHost(nodes, [10, 9, 9], () => 0), 'a');
});

function withPods(node: ReturnType<typeof makeNode>, cpu: string, memory?: string): NodeInfo {
  const ni = new NodeInfo(node);
  ni.addPod(newPodInfo(makePod(`existing-${node.metadata!.name}`, { nodeName: node.metadata!.name, containers: [{ cpu, ...(memory ? { memory } : {}) }] })));
  return ni;
}

test('topology spread (hostname, maxSkew 1) alternates replicas over nodes; the FitError names the constraint', () => {
  const nodes = [new NodeInfo(makeNode('a')), new NodeInfo(makeNode('b'))];
  const replica = (i: number) => {
    const p = makePod(`web-${i}`, {
      containers: [{ cpu: '100m' }],
    });
    p.metadata!.labels = { app: 'web' };
    p.spec!.topologySpreadConstraints = [
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } },
    ];
    return p;
  };
  const placed: string[] = [];
  for (let i = 0; i < 4; i++) {
    const pod = replica(i);
    const host = schedulePod(newDefaultFramework(), pod, nodes, () => 0).suggestedHost;
    nodes.find((n) => n.name === host)!.addPod(newPodInfo({ ...pod, spec: { ...pod.spec!, nodeName: host } }));
    placed.push(host);
  }
  assert.deepEqual(placed.slice().sort(), ['a', 'a', 'b', 'b']);
  // With node b cordoned, a fifth replica would make a:3 vs b:2... allowed (skew 1); a sixth is not.
  nodes[1].node = makeNode('b', { unschedulable: true });
  const fifth = replica(5);
  const h5 = schedulePod(newDefaultFramework(), fifth, nodes).suggestedHost;
  nodes[0].addPod(newPodInfo({ ...fifth, spec: { ...fifth.spec!, nodeName: h5 } }));
  const err = fitError(() => schedulePod(newDefaultFramework(), replica(6), nodes));
  assert.equal(
    err.message,
    "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) were unschedulable. " +
      'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
  );
});
