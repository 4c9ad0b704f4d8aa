import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { podInfo, podTable } from './printer.ts';

const now = Date.parse('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();
const S = 1000;
const D = 24 * 3600 * S;
const containers = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'x' }));
const running = { running: {} };

// Cases after upstream pkg/printers/internalversion/printers_test.go TestPrintPod.
const cases: { name: string; pod: any; want: [string, string, string] }[] = [
  {
    name: 'test1: phase, ready count, summed restarts',
    pod: { spec: { containers: containers(2) }, status: { phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { restartCount: 3 }] } },
    want: ['1/2', 'podPhase', '6'],
  },
  {
    name: 'test2: container waiting reason overwrites phase',
    pod: { spec: { containers: containers(2) }, status: { phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 }] } },
    want: ['1/2', 'ContainerWaitingReason', '6'],
  },
  {
    name: 'test3: the first container overwrites the rest',
    pod: { spec: { containers: containers(2) }, status: { phase: 'podPhase', containerStatuses: [{ state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 }, { state: { terminated: { reason: 'ContainerTerminatedReason' } }, restartCount: 3 }] } },
    want: ['0/2', 'ContainerWaitingReason', '6'],
  },
  {
    name: 'test4: ready is not enough for reporting running',
    pod: { spec: { containers: containers(2) }, status: { phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { ready: true, restartCount: 3 }] } },
    want: ['1/2', 'podPhase', '6'],
  },
  {
    name: 'test5: pod reason wins over phase',
    pod: { spec: { containers: containers(2) }, status: { reason: 'podReason', phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { ready: true, restartCount: 3 }] } },
    want: ['1/2', 'podReason', '6'],
  },
  {
    name: 'test6: one completed, one running, no Ready condition → NotReady',
    pod: { spec: { containers: containers(2) }, status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } }, { ready: true, restartCount: 3, state: running }] } },
    want: ['1/2', 'NotReady', '6'],
  },
  {
    name: 'test7: one completed, one running, Ready condition → Running',
    pod: { spec: { containers: containers(2) }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } }, { ready: true, restartCount: 3, state: running }] } },
    want: ['1/2', 'Running', '6'],
  },
  {
    name: 'test8: init container restarting',
    pod: {
      spec: { initContainers: containers(1), containers: containers(1) },
      status: {
        phase: 'podPhase',
        initContainerStatuses: [{ ready: false, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(10 * S) } } }],
        containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: {} } }],
      },
    },
    want: ['0/1', 'Init:0/1', '3 (10s ago)'],
  },
  {
    name: 'test10: first init container completed, second restarting',
    pod: {
      spec: { initContainers: containers(2), containers: containers(1) },
      status: {
        phase: 'podPhase',
        initContainerStatuses: [
          { ready: false, restartCount: 0, state: { terminated: {} } },
          { ready: false, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(10 * S) } } },
        ],
        containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: {} } }],
      },
    },
    want: ['0/1', 'Init:1/2', '3 (10s ago)'],
  },
  {
    name: 'test11: init restarts are summed while initializing',
    pod: {
      spec: { initContainers: containers(2), containers: containers(1) },
      status: {
        phase: 'podPhase',
        initContainerStatuses: [
          { ready: false, restartCount: 2, state: { terminated: {} }, lastState: { terminated: { finishedAt: ago(2 * 60 * S) } } },
          { ready: false, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(10 * S) } } },
        ],
        containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: {} } }],
      },
    },
    want: ['0/1', 'Init:1/2', '5 (10s ago)'],
  },
  {
    name: 'test12: after init, only regular container restarts count',
    pod: {
      spec: { initContainers: containers(1), containers: containers(1) },
      status: {
        phase: 'podPhase',
        initContainerStatuses: [{ ready: false, restartCount: 2, state: { terminated: {} }, lastState: { terminated: { finishedAt: ago(2 * 60 * S) } } }],
        containerStatuses: [{ ready: false, restartCount: 4, state: running, lastState: { terminated: { finishedAt: ago(20 * S) } } }],
      },
    },
    want: ['0/1', 'podPhase', '4 (20s ago)'],
  },
  {
    name: 'test13: restarted 5d ago',
    pod: { spec: { containers: containers(1) }, status: { phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(5 * D) } } }] } },
    want: ['1/1', 'podPhase', '3 (5d ago)'],
  },
  {
    name: 'test15: latest restart time across containers',
    pod: {
      spec: { containers: containers(2) },
      status: {
        phase: 'podPhase',
        containerStatuses: [
          { ready: true, restartCount: 6, state: running, lastState: { terminated: { finishedAt: ago(5 * D) } } },
          { ready: true, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(20 * D) } } },
        ],
      },
    },
    want: ['2/2', 'podPhase', '9 (5d ago)'],
  },
  {
    name: 'SchedulingGated condition',
    pod: { spec: { containers: containers(2) }, status: { phase: 'podPhase', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } },
    want: ['0/2', 'SchedulingGated', '0'],
  },
  {
    name: 'init container failed → Init:<reason>',
    pod: { spec: { initContainers: containers(1), containers: containers(1) }, status: { phase: 'Pending', initContainerStatuses: [{ state: { terminated: { exitCode: 1, reason: 'Error' } } }] } },
    want: ['0/1', 'Init:Error', '0'],
  },
  {
    name: 'init container failed without reason → Init:ExitCode:N',
    pod: { spec: { initContainers: containers(1), containers: containers(1) }, status: { phase: 'Pending', initContainerStatuses: [{ state: { terminated: { exitCode: 2 } } }] } },
    want: ['0/1', 'Init:ExitCode:2', '0'],
  },
  {
    name: 'init container crash-looping → Init:CrashLoopBackOff',
    pod: { spec: { initContainers: containers(1), containers: containers(1) }, status: { phase: 'Pending', initContainerStatuses: [{ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } },
    want: ['0/1', 'Init:CrashLoopBackOff', '2'],
  },
  {
    name: 'ContainerCreating',
    pod: { spec: { containers: containers(1) }, status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] } },
    want: ['0/1', 'ContainerCreating', '0'],
  },
  {
    name: 'CrashLoopBackOff',
    pod: { spec: { containers: containers(1) }, status: { phase: 'Running', containerStatuses: [{ restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * S) } } }] } },
    want: ['0/1', 'CrashLoopBackOff', '5 (30s ago)'],
  },
  {
    name: 'Completed pod',
    pod: { spec: { containers: containers(1) }, status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } },
    want: ['0/1', 'Completed', '0'],
  },
  {
    name: 'terminated by signal without reason',
    pod: { spec: { containers: containers(1) }, status: { phase: 'Running', containerStatuses: [{ state: { terminated: { exitCode: 137, signal: 9 } } }] } },
    want: ['0/1', 'Signal:9', '0'],
  },
  {
    name: 'Terminating when a deletionTimestamp is set',
    pod: { metadata: { deletionTimestamp: ago(1 * S) }, spec: { containers: containers(1) }, status: { phase: 'Running', containerStatuses: [{ ready: true, state: running }] } },
    want: ['1/1', 'Terminating', '0'],
  },
  {
    name: 'Unknown when deleted on a lost node',
    pod: { metadata: { deletionTimestamp: ago(1 * S) }, spec: { containers: containers(1) }, status: { phase: 'Running', reason: 'NodeLost' } },
    want: ['0/1', 'Unknown', '0'],
  },
  {
    name: 'a terminal pod being deleted keeps its status',
    pod: { metadata: { deletionTimestamp: ago(1 * S) }, spec: { containers: containers(1) }, status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } },
    want: ['0/1', 'Completed', '0'],
  },
  {
    name: 'restartable init container (sidecar) counts in READY',
    pod: {
      spec: { initContainers: [{ name: 's', image: 'x', restartPolicy: 'Always' }], containers: containers(1) },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 's', ready: true, started: true, restartCount: 1, state: running }],
        containerStatuses: [{ ready: true, restartCount: 0, state: running }],
      },
    },
    want: ['2/2', 'Running', '1'],
  },
];

describe('pod printer STATUS/READY/RESTARTS (upstream TestPrintPod)', () => {
  for (const c of cases) {
    test(c.name, () => {
      const info = podInfo(c.pod, now);
      assert.deepEqual([info.ready, info.status, info.restarts], c.want);
    });
  }
});

test('pod table cells, including wide columns', () => {
  const pod = {
    metadata: { name: 'web', creationTimestamp: ago(5 * 60 * S) },
    spec: { nodeName: 'node1', containers: containers(1), readinessGates: [{ conditionType: 'condition1' }, { conditionType: 'condition2' }] },
    status: { phase: 'Running', podIPs: [{ ip: '10.88.0.5' }], conditions: [{ type: 'condition1', status: 'True' }], containerStatuses: [{ ready: true, state: running }] },
  };
  assert.deepEqual(podTable.cells(pod, now), ['web', '1/1', 'Running', '0', '5m', '10.88.0.5', 'node1', '<none>', '1/2']);
  assert.deepEqual(
    podTable.columns.map((c) => [c.name, c.priority]),
    [['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1]],
  );
  const pending = { metadata: { name: 'p' }, spec: { containers: containers(1) }, status: { phase: 'Pending' } };
  assert.deepEqual(podTable.cells(pending, now), ['p', '0/1', 'Pending', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
});
