import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, NodeInfo, Code, newPodInfo } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { NodeResourcesFit, ErrReasonTooManyPods } from './node-resources-fit.ts';

// Cases after noderesources/fit_test.go TestEnoughRequests: node allocatable 10 millicores,
// 20 bytes of memory, 32 pods; "m" here means millicores, memory in bytes.
function nodeWith(existing: { cpu: string; memory: string }[], pods = '32'): NodeInfo {
  const ni = new NodeInfo(makeNode('n', { allocatable: { cpu: '10m', memory: '20', pods } }));
  existing.forEach((r, i) => ni.addPod(newPodInfo(makePod(`e${i}`, { containers: [r], nodeName: 'n' }))));
  return ni;
}
const run = (pod: ReturnType<typeof makePod>, ni: NodeInfo) => {
  const p = new NodeResourcesFit();
  const state = new CycleState();
  p.preFilter(state, pod);
  const st = p.filter(state, pod, ni);
  return st ? { code: st.code, reasons: st.reasons } : undefined;
};

describe('NodeResourcesFit filter', () => {
  const cases = [
    { name: 'no resources requested always fits', pod: makePod('p'), existing: [{ cpu: '10m', memory: '20' }], want: undefined },
    {
      name: 'too many resources fails',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '1' }] }),
      existing: [{ cpu: '10m', memory: '20' }],
      want: { code: Code.Unschedulable, reasons: ['Insufficient cpu', 'Insufficient memory'] },
    },
    {
      name: 'too many resources fails due to init container cpu',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '1' }], initContainers: [{ cpu: '3m', memory: '1' }] }),
      existing: [{ cpu: '8m', memory: '19' }],
      want: { code: Code.Unschedulable, reasons: ['Insufficient cpu'] },
    },
    {
      name: 'too many resources fails due to highest init container cpu',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '1' }], initContainers: [{ cpu: '3m', memory: '1' }, { cpu: '2m', memory: '1' }] }),
      existing: [{ cpu: '8m', memory: '19' }],
      want: { code: Code.Unschedulable, reasons: ['Insufficient cpu'] },
    },
    {
      name: 'too many resources fails due to init container memory',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '1' }], initContainers: [{ cpu: '1m', memory: '3' }] }),
      existing: [{ cpu: '9m', memory: '19' }],
      want: { code: Code.Unschedulable, reasons: ['Insufficient memory'] },
    },
    {
      name: 'init container fits because it\'s the max, not sum, of containers and init containers',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '1' }], initContainers: [{ cpu: '1m', memory: '1' }] }),
      existing: [{ cpu: '9m', memory: '19' }],
      want: undefined,
    },
    {
      name: 'both resources fit',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '1' }] }),
      existing: [{ cpu: '5m', memory: '5' }],
      want: undefined,
    },
    {
      name: 'one resource memory fits',
      pod: makePod('p', { containers: [{ cpu: '2m', memory: '1' }] }),
      existing: [{ cpu: '9m', memory: '5' }],
      want: { code: Code.Unschedulable, reasons: ['Insufficient cpu'] },
    },
    {
      name: 'one resource cpu fits',
      pod: makePod('p', { containers: [{ cpu: '1m', memory: '2' }] }),
      existing: [{ cpu: '5m', memory: '19' }],
      want: { code: Code.Unschedulable, reasons: ['Insufficient memory'] },
    },
    {
      name: 'equal edge case',
      pod: makePod('p', { containers: [{ cpu: '5m', memory: '1' }] }),
      existing: [{ cpu: '5m', memory: '19' }],
      want: undefined,
    },
    {
      name: 'request larger than the whole node is unresolvable',
      pod: makePod('p', { containers: [{ cpu: '11m', memory: '1' }] }),
      existing: [],
      want: { code: Code.UnschedulableAndUnresolvable, reasons: ['Insufficient cpu'] },
    },
    {
      name: 'extended resource missing on the node',
      pod: makePod('p', { containers: [{ 'example.com/foo': '1' }] }),
      existing: [],
      want: { code: Code.UnschedulableAndUnresolvable, reasons: ['Insufficient example.com/foo'] },
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(run(c.pod, nodeWith(c.existing)), c.want));

  test('too many pods', () => {
    assert.deepEqual(run(makePod('p'), nodeWith([{ cpu: '1m', memory: '1' }], '1')), { code: Code.Unschedulable, reasons: [ErrReasonTooManyPods] });
    assert.equal(ErrReasonTooManyPods, 'Too many pods');
  });
});

// LeastAllocated, after least_allocated_test.go's worked example:
// node1 4000m / 10000 bytes, pod 3000m / 5000 → cpu (4000-3000)*100/4000 = 25, memory 50 → 37;
// node2 6000m / 10000 → cpu 50, memory 50 → 50.
test('NodeResourcesFit score (LeastAllocated)', () => {
  const pod = makePod('p', { containers: [{ cpu: '1000m', memory: '2000' }, { cpu: '2000m', memory: '3000' }] });
  const p = new NodeResourcesFit();
  const n1 = new NodeInfo(makeNode('n1', { allocatable: { cpu: '4000m', memory: '10000', pods: '110' } }));
  const n2 = new NodeInfo(makeNode('n2', { allocatable: { cpu: '6000m', memory: '10000', pods: '110' } }));
  assert.equal(p.score(new CycleState(), pod, n1), 37);
  assert.equal(p.score(new CycleState(), pod, n2), 50);
});
