import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, Code, newPodInfo } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import { ErrReason, NodePorts } from './node-ports.ts';

/** A pod with host ports given as "proto/ip/port" (ip '' = unset). */
function podWithPorts(name: string, ports: string[]): Pod {
  const pod = makePod(name);
  pod.spec!.containers[0].ports = ports.map((s) => {
    const [protocol, hostIP, port] = s.split('/');
    return { containerPort: 8080, hostPort: Number(port), protocol, ...(hostIP ? { hostIP } : {}) };
  });
  return pod;
}

// Cases after nodeports/node_ports_test.go TestNodePorts.
const conflict = { code: Code.Unschedulable, reasons: [ErrReason] };
const cases: { name: string; pod: string[]; existing: string[]; want?: typeof conflict }[] = [
  { name: 'nothing running', pod: [], existing: [], want: undefined },
  { name: 'other port', pod: ['UDP/127.0.0.1/8080'], existing: ['UDP/127.0.0.1/9090'] },
  { name: 'same udp port', pod: ['UDP/127.0.0.1/8080'], existing: ['UDP/127.0.0.1/8080'], want: conflict },
  { name: 'same tcp port', pod: ['TCP/127.0.0.1/8080'], existing: ['TCP/127.0.0.1/8080'], want: conflict },
  { name: 'different host ip', pod: ['TCP/127.0.0.1/8080'], existing: ['TCP/127.0.0.2/8080'] },
  { name: 'different protocol', pod: ['UDP/127.0.0.1/8080'], existing: ['TCP/127.0.0.1/8080'] },
  { name: 'second udp port conflict', pod: ['UDP/127.0.0.1/8000', 'UDP/127.0.0.1/8080'], existing: ['UDP/127.0.0.1/8080'], want: conflict },
  { name: 'first tcp port conflict', pod: ['TCP/127.0.0.1/8001', 'UDP/127.0.0.1/8080'], existing: ['TCP/127.0.0.1/8001', 'UDP/127.0.0.1/8081'], want: conflict },
  { name: 'first tcp port conflict due to 0.0.0.0 hostIP', pod: ['TCP/0.0.0.0/8001'], existing: ['TCP/127.0.0.1/8001'], want: conflict },
  { name: 'TCP hostPort conflict due to 0.0.0.0 hostIP', pod: ['TCP/10.0.10.10/8001', 'TCP/0.0.0.0/8001'], existing: ['TCP/127.0.0.1/8001'], want: conflict },
  { name: 'second tcp port conflict to 0.0.0.0 hostIP', pod: ['TCP/127.0.0.1/8001'], existing: ['TCP/0.0.0.0/8001'], want: conflict },
  { name: 'second different protocol', pod: ['UDP/127.0.0.1/8001'], existing: ['TCP/0.0.0.0/8001'] },
  { name: 'UDP hostPort conflict due to 0.0.0.0 hostIP', pod: ['UDP/127.0.0.1/8001'], existing: ['TCP/0.0.0.0/8001', 'UDP/0.0.0.0/8001'], want: conflict },
  { name: 'unset hostIP means 0.0.0.0', pod: ['TCP//8001'], existing: ['TCP/127.0.0.1/8001'], want: conflict },
];

for (const c of cases) {
  test(`NodePorts: ${c.name}`, () => {
    const ni = new NodeInfo(makeNode('n'));
    if (c.existing.length) ni.addPod(newPodInfo(podWithPorts('existing', c.existing)));
    const pod = podWithPorts('p', c.pod);
    const p = new NodePorts();
    const state = new CycleState();
    p.preFilter(state, pod);
    const st = p.filter(state, pod, ni);
    assert.deepEqual(st ? { code: st.code, reasons: st.reasons } : undefined, c.want);
  });
}
