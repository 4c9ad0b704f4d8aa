import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus as APIContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { canonicalJSON, generateAPIPodStatus, getPhase, getPodQOS } from './generate.ts';
import type { ContainerStatus } from '../../runtime/types.ts';

const running = (name: string): APIContainerStatus => ({ name, ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } });
const stopped = (name: string, exitCode: number): APIContainerStatus => ({ name, ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode } } });
const waiting = (name: string): APIContainerStatus => ({ name, ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } });
const crashLooping = (name: string, exitCode: number): APIContainerStatus => ({ ...waiting(name), state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode } } });

function pod(policy: 'Always' | 'OnFailure' | 'Never', names = ['a', 'b']): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { restartPolicy: policy, containers: names.map((name) => ({ name, image: 'x' })) } };
}

describe('getPhase (after upstream TestPodPhaseWithRestart*)', () => {
  const table: [string, Pod, APIContainerStatus[], string][] = [
    ['Always: all running', pod('Always'), [running('a'), running('b')], 'Running'],
    ['Always: all stopped', pod('Always'), [stopped('a', 0), stopped('b', 1)], 'Running'],
    ['Always: mixed', pod('Always'), [running('a'), stopped('b', 1)], 'Running'],
    ['Always: one waiting first time', pod('Always'), [running('a'), waiting('b')], 'Pending'],
    ['Always: one crash-looping', pod('Always'), [running('a'), crashLooping('b', 1)], 'Running'],
    ['Always: one unknown', pod('Always'), [running('a')], 'Pending'],
    ['Never: all succeeded', pod('Never'), [stopped('a', 0), stopped('b', 0)], 'Succeeded'],
    ['Never: one failed', pod('Never'), [stopped('a', 0), stopped('b', 1)], 'Failed'],
    ['Never: mixed', pod('Never'), [running('a'), stopped('b', 1)], 'Running'],
    ['OnFailure: all succeeded', pod('OnFailure'), [stopped('a', 0), stopped('b', 0)], 'Succeeded'],
    ['OnFailure: one failed', pod('OnFailure'), [stopped('a', 0), stopped('b', 1)], 'Running'],
    ['OnFailure: crash-looping', pod('OnFailure'), [stopped('a', 0), crashLooping('b', 1)], 'Running'],
  ];
  for (const [name, p, statuses, want] of table) {
    test(name, () => assert.equal(getPhase(p, [], statuses, false), want));
  }
  test('init container failed with Never → Failed; pending init → Pending', () => {
    const p: Pod = { ...pod('Never', ['a']), spec: { ...pod('Never', ['a']).spec!, initContainers: [{ name: 'i', image: 'x' }] } };
    assert.equal(getPhase(p, [stopped('i', 1)], [waiting('a')], false), 'Failed');
    const q: Pod = { ...p, spec: { ...p.spec!, restartPolicy: 'Always' } };
    assert.equal(getPhase(q, [running('i')], [waiting('a')], false), 'Pending');
  });
});

describe('generateAPIPodStatus', () => {
  const base = (containers: ContainerStatus[]) => ({
    sandbox: { id: 's', metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 }, state: 'SANDBOX_READY' as const, createdAt: 0, ip: '10.88.0.5', labels: {}, annotations: {} },
    containers,
    reasons: new Map(),
    isReady: () => true,
    isStarted: () => true,
    hostIP: '192.0.2.1',
  });
  const rc = (name: string, attempt: number, state: ContainerStatus['state'], exitCode = 0): ContainerStatus => ({
    id: `${name}-${attempt}`,
    podSandboxId: 's',
    metadata: { name, attempt },
    state,
    createdAt: 1000 + attempt,
    startedAt: 2000,
    finishedAt: state === 'CONTAINER_EXITED' ? 3000 : 0,
    exitCode,
    reason: state === 'CONTAINER_EXITED' ? (exitCode ? 'Error' : 'Completed') : '',
    message: '',
    image: 'x',
    imageRef: 'sha256:1',
    labels: {},
    annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
    logPath: '/dev/null',
  });

  test('lastTransitionTime is kept while a condition is unchanged', () => {
    const p = pod('Always', ['a']);
    const s1 = generateAPIPodStatus({ pod: p, ...base([rc('a', 0, 'CONTAINER_RUNNING')]), now: Date.parse('2026-01-01T00:00:00Z') });
    const s2 = generateAPIPodStatus({ pod: { ...p, status: s1 }, ...base([rc('a', 0, 'CONTAINER_RUNNING')]), now: Date.parse('2026-01-01T00:05:00Z') });
    assert.equal(canonicalJSON(s1), canonicalJSON(s2));
    const s3 = generateAPIPodStatus({ pod: { ...p, status: s2 }, ...base([rc('a', 0, 'CONTAINER_EXITED', 1)]), isReady: () => false, now: Date.parse('2026-01-01T00:06:00Z') });
    const ready = s3.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.lastTransitionTime, '2026-01-01T00:06:00Z');
    assert.equal(s3.conditions!.find((c) => c.type === 'Initialized')!.lastTransitionTime, '2026-01-01T00:00:00Z');
  });

  test('restart keeps the previous run as lastState', () => {
    const s = generateAPIPodStatus({ pod: pod('Always', ['a']), ...base([rc('a', 0, 'CONTAINER_EXITED', 2), rc('a', 1, 'CONTAINER_RUNNING')]), now: 0 });
    const cs = s.containerStatuses![0];
    assert.equal(cs.restartCount, 1);
    assert.ok(cs.state?.running);
    assert.equal(cs.lastState?.terminated?.exitCode, 2);
    assert.equal(cs.lastState?.terminated?.containerID, 'runc://a-0');
    assert.equal(cs.containerID, 'runc://a-1');
  });

  test('QoS classes', () => {
    const c = (resources: object) => ({ metadata: {}, spec: { containers: [{ name: 'a', resources }] } }) as Pod;
    assert.equal(getPodQOS(c({})), 'BestEffort');
    assert.equal(getPodQOS(c({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
    assert.equal(getPodQOS(c({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
    assert.equal(getPodQOS(c({ requests: { cpu: '100m' } })), 'Burstable');
  });
});
