import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, NodeInfo, Code } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { ErrReason, NodeName } from './node-name.ts';

// Cases after pkg/scheduler/framework/plugins/nodename/node_name_test.go.
const cases = [
  { name: 'no host specified', pod: makePod('p'), node: 'foo', want: undefined },
  { name: 'host matches', pod: makePod('p', { nodeName: 'foo' }), node: 'foo', want: undefined },
  { name: 'host doesn\'t match', pod: makePod('p', { nodeName: 'bar' }), node: 'foo', want: { code: Code.UnschedulableAndUnresolvable, reasons: [ErrReason] } },
];

for (const c of cases) {
  test(`NodeName: ${c.name}`, () => {
    const st = new NodeName().filter(new CycleState(), c.pod, new NodeInfo(makeNode(c.node)));
    assert.deepEqual(st ? { code: st.code, reasons: st.reasons } : undefined, c.want);
  });
}

test('NodeName: ErrReason wording', () => {
  assert.equal(ErrReason, "node(s) didn't match the requested node name");
});
