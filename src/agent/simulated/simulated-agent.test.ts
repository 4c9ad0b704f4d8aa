import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { parseCapacity, parseNodeLabels, parseTaints, pickPodCIDRs } from './simulated-agent.ts';

test('parseNodeLabels: k=v pairs, empty values allowed, missing = rejected', () => {
  assert.deepEqual(parseNodeLabels('pool=agent, topology.kubernetes.io/zone=z1,empty='), { pool: 'agent', 'topology.kubernetes.io/zone': 'z1', empty: '' });
  assert.throws(() => parseNodeLabels('novalue'), /invalid label "novalue"/);
});

test('parseTaints: key=value:Effect and key:Effect (kubelet --register-with-taints)', () => {
  assert.deepEqual(parseTaints('dedicated=sim:NoSchedule,gpu:NoExecute'), [
    { key: 'dedicated', value: 'sim', effect: 'NoSchedule' },
    { key: 'gpu', effect: 'NoExecute' },
  ]);
  assert.throws(() => parseTaints('a=b:Sometimes'), /invalid taint spec: a=b:Sometimes/);
  assert.throws(() => parseTaints('a=b'), /invalid taint spec/);
});

test('parseCapacity: cpu, memory, pods only', () => {
  assert.deepEqual(parseCapacity('cpu=4,memory=8Gi,pods=20'), { cpu: '4', memory: '8Gi', pods: '20' });
  assert.throws(() => parseCapacity('gpu=1'), /invalid capacity "gpu=1"/);
});

test('pickPodCIDRs: keeps existing nodes\' CIDRs, skips block 0 and used /24s, then shares the cluster CIDR', () => {
  const node = (name: string, podCIDR?: string): Node => ({ metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
  const nodes = [node('real', '10.1.0.0/24'), node('sim-node-0', '10.1.1.0/24'), node('agent-1', '10.1.5.0/24')];
  assert.deepEqual(pickPodCIDRs('10.1.0.0/16', ['agent-0', 'agent-1', 'agent-2'], nodes), ['10.1.2.0/24', '10.1.5.0/24', '10.1.3.0/24']);
  assert.deepEqual(pickPodCIDRs('10.2.0.0/23', ['a', 'b'], []), ['10.2.1.0/24', '10.2.0.0/23']);
});
