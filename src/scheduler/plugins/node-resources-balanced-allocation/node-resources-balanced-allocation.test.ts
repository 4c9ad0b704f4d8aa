import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, NodeInfo, Code, newPodInfo } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { NodeResourcesBalancedAllocation, balancedResourceScore } from './node-resources-balanced-allocation.ts';

// After balanced_allocation_test.go's worked examples:
// node1 4000m/10000, pod 3000m/5000: cpu 75%, memory 50%, std 0.125 → 87;
// node2 6000m/10000: both 50% → 100.
test('BalancedAllocation: worked examples', () => {
  const pod = makePod('p', { containers: [{ cpu: '3000m', memory: '5000' }] });
  const p = new NodeResourcesBalancedAllocation();
  const state = new CycleState();
  assert.equal(p.preScore(state, pod), undefined);
  assert.equal(p.score(state, pod, new NodeInfo(makeNode('n1', { allocatable: { cpu: '4000m', memory: '10000', pods: '110' } }))), 87);
  assert.equal(p.score(state, pod, new NodeInfo(makeNode('n2', { allocatable: { cpu: '6000m', memory: '10000', pods: '110' } }))), 100);
});

test('BalancedAllocation: existing pods count; fractions cap at 1', () => {
  const ni = new NodeInfo(makeNode('n', { allocatable: { cpu: '10000m', memory: '20000', pods: '110' } }));
  ni.addPod(newPodInfo(makePod('e', { containers: [{ cpu: '3000m', memory: '0' }], nodeName: 'n' })));
  const pod = makePod('p', { containers: [{ cpu: '3000m', memory: '5000' }] });
  const p = new NodeResourcesBalancedAllocation();
  const state = new CycleState();
  p.preScore(state, pod);
  // cpu 6000/10000 = 0.6, memory 5000/20000 = 0.25, std 0.175 → 82.
  assert.equal(p.score(state, pod, ni), 82);
  assert.equal(balancedResourceScore([20, 5], [10, 10]), 75);
});

test('BalancedAllocation: a pod without requests is skipped', () => {
  const st = new NodeResourcesBalancedAllocation().preScore(new CycleState(), makePod('p'));
  assert.equal(st?.code, Code.Skip);
});
