import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, NodeInfo, Code } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { ErrReasonUnschedulable, NodeUnschedulable } from './node-unschedulable.ts';

// Cases after pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable_test.go.
const reject = { code: Code.UnschedulableAndUnresolvable, reasons: ['node(s) were unschedulable'] };
const cases = [
  { name: 'schedulable node', pod: makePod('p'), unschedulable: false, want: undefined },
  { name: 'unschedulable node, pod without tolerations', pod: makePod('p'), unschedulable: true, want: reject },
  {
    name: 'unschedulable node, pod tolerates node.kubernetes.io/unschedulable:NoSchedule',
    pod: makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
    unschedulable: true,
    want: undefined,
  },
  {
    name: 'unschedulable node, pod tolerates everything (empty key, Exists)',
    pod: makePod('p', { tolerations: [{ operator: 'Exists' }] }),
    unschedulable: true,
    want: undefined,
  },
  {
    name: 'unschedulable node, pod tolerates only NoExecute of that key',
    pod: makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }),
    unschedulable: true,
    want: reject,
  },
];

for (const c of cases) {
  test(`NodeUnschedulable: ${c.name}`, () => {
    const st = new NodeUnschedulable().filter(new CycleState(), c.pod, new NodeInfo(makeNode('n', { unschedulable: c.unschedulable })));
    assert.deepEqual(st ? { code: st.code, reasons: st.reasons } : undefined, c.want);
  });
}

test('NodeUnschedulable: reason wording', () => assert.equal(ErrReasonUnschedulable, 'node(s) were unschedulable'));
