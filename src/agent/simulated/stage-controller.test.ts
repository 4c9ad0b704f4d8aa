/**
 * The stage controller's pipeline on a FakeClient (kwok stage_controller.go behaviour): a pod whose
 * stage changes while a delayed stage is pending is rescheduled with the new stage; no-op status
 * writes are skipped; a conflict is retried; deletes use gracePeriodSeconds 0 with a uid
 * precondition. Also the `--simulated-config` file (capacity, labels, taints, stagesFile).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { FakeRecorder } from '../../client/record.ts';
import { newConflict } from '../../machinery/errors.ts';
import { StageController, type SimulatedNodeInfo } from './stage-controller.ts';
import { PodIPAllocator } from './pod-ip.ts';
import { parseStages } from './stage.ts';
import { SimulatedNodes, loadSimulatedNodesConfig } from './simulated-nodes.ts';

const stages = parseStages(`
- name: delete
  selector: {matchExpressions: [{key: '.metadata.annotations["delete"]', operator: Exists}]}
  next: {delete: true}
- name: fast
  selector: {matchExpressions: [{key: '.metadata.annotations["go"]', operator: In, values: ["now"]}, {key: .status.phase, operator: NotIn, values: [Fast]}]}
  next: {statusTemplate: {phase: Fast, podIP: "{{ PodIP }}"}, event: {type: Normal, reason: WentFast, message: "on {{ NodeName }}"}}
- name: slow
  selector: {matchExpressions: [{key: .status.phase, operator: In, values: [Pending]}]}
  delay: {durationMilliseconds: 3600000}
  next: {statusTemplate: {phase: Slow}}
- name: noop
  selector: {matchExpressions: [{key: .status.phase, operator: In, values: [Running]}]}
  next: {statusTemplate: {phase: Running}}
`);

function pod(name: string, nodeName: string, phase: string, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { nodeName, containers: [{ name: 'c', image: 'i' }] },
    status: { phase },
  };
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(seed: KubeObject[]) {
  const fake = new FakeClient(seed.map((p) => [GVR.pods, p] as [typeof GVR.pods, KubeObject]));
  const nodes = new Map<string, SimulatedNodeInfo>([['sim-0', { name: 'sim-0', nodeIP: '127.1.0.1', ips: new PodIPAllocator('10.9.1.0/24') }]]);
  const recorder = new FakeRecorder();
  const ctrl = new StageController({ client: fake, nodes, stages, workers: 1, recorder });
  const ac = new AbortController();
  const done = ctrl.run(ac.signal);
  return { fake, ctrl, recorder, ac, done, nodes };
}

const statusWrites = (fake: FakeClient, name: string) => fake.actions.filter((a) => a.verb === 'update' && a.subresource === 'status' && a.name === name);

test('a pending delayed stage is superseded when the pod moves to another stage', async () => {
  const { fake, ctrl, recorder, ac, done } = setup([pod('p', 'sim-0', 'Pending')]);
  await ctrl.waitForSync();
  // "slow" (1 h) is pending; the annotation makes "fast" match, which applies at once.
  await fake.patch(GVR.pods, 'default', 'p', 'application/merge-patch+json', { metadata: { annotations: { go: 'now' } } });
  await until('fast stage applied', async () => (await fake.get<any>(GVR.pods, 'default', 'p')).status.phase === 'Fast');
  const p = await fake.get<any>(GVR.pods, 'default', 'p');
  assert.equal(p.status.podIP, '10.9.1.254');
  assert.equal(statusWrites(fake, 'p').length, 1);
  assert.deepEqual(recorder.events, ['Normal WentFast on sim-0']);
  ac.abort();
  await done;
});

test('no-op status writes are skipped; pods of other nodes are ignored', async () => {
  const { fake, ctrl, ac, done } = setup([pod('same', 'sim-0', 'Running'), pod('other', 'real-node', 'Pending', { go: 'now' })]);
  await ctrl.waitForSync();
  await fake.create(GVR.pods, 'default', pod('marker', 'sim-0', 'Pending', { go: 'now' }));
  await until('marker processed', async () => (await fake.get<any>(GVR.pods, 'default', 'marker')).status.phase === 'Fast');
  assert.equal(statusWrites(fake, 'same').length, 0);
  assert.equal(statusWrites(fake, 'other').length, 0);
  ac.abort();
  await done;
});

test('a conflicting status write is retried; deletes use grace 0 and a uid precondition', async () => {
  const { fake, ctrl, ac, done } = setup([]);
  let conflicts = 1;
  fake.prependReactor('update', 'pods', (a) => {
    if (a.subresource === 'status' && conflicts-- > 0) throw newConflict({ group: '', resource: 'pods' }, a.name!);
  });
  await ctrl.waitForSync();
  await fake.create(GVR.pods, 'default', pod('c', 'sim-0', 'Pending', { go: 'now' }));
  await until('applied after a conflict', async () => (await fake.get<any>(GVR.pods, 'default', 'c')).status.phase === 'Fast');
  assert.equal(statusWrites(fake, 'c').length, 2);
  const uid = (await fake.get(GVR.pods, 'default', 'c')).metadata!.uid;
  await fake.patch(GVR.pods, 'default', 'c', 'application/merge-patch+json', { metadata: { annotations: { delete: 'yes' } } });
  await until('deleted', async () => fake.actions.some((a) => a.verb === 'delete' && a.name === 'c'));
  const del = fake.actions.find((a) => a.verb === 'delete' && a.name === 'c')!;
  assert.deepEqual(del.options, { gracePeriodSeconds: 0, preconditions: { uid } });
  ac.abort();
  await done;
});

test('--simulated-config: capacity, labels, taints and a stages file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-simcfg-'));
  try {
    writeFileSync(path.join(dir, 'stages.yaml'), '- name: only\n  next: {delete: true}\n');
    writeFileSync(
      path.join(dir, 'config.yaml'),
      'capacity: {cpu: 8, memory: 16Gi}\nlabels: {topology.kubernetes.io/zone: zone-a}\ntaints: [{key: dedicated, value: sim, effect: NoSchedule}]\nstagesFile: stages.yaml\n',
    );
    const cfg = loadSimulatedNodesConfig(path.join(dir, 'config.yaml'));
    assert.deepEqual(cfg.capacity, { cpu: '8', memory: '16Gi' });
    assert.deepEqual(cfg.stages!.map((s) => s.name), ['only']);
    const sim = new SimulatedNodes({ client: new FakeClient(), count: 2, prefix: 'kw-', clusterCIDR: '10.50.0.0/16', ...cfg });
    assert.deepEqual(sim.nodeNames, ['kw-0', 'kw-1']);
    const n = sim.nodeObject('kw-1');
    assert.equal(n.metadata!.labels!['topology.kubernetes.io/zone'], 'zone-a');
    assert.equal(n.metadata!.labels!['kubernetes.io/hostname'], 'kw-1');
    assert.equal(n.metadata!.labels!['node.skiff.io/simulated'], 'true');
    assert.deepEqual(n.spec!.taints, [{ key: 'dedicated', value: 'sim', effect: 'NoSchedule' }]);
    assert.equal(n.spec!.podCIDR, '10.50.2.0/24');
    const st = sim.nodeStatus('kw-1', undefined);
    assert.deepEqual({ cpu: st.capacity!.cpu, memory: st.capacity!.memory, pods: st.capacity!.pods }, { cpu: '8', memory: '16Gi', pods: '110' });
    assert.equal(st.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    assert.deepEqual(st.addresses, [
      { type: 'InternalIP', address: '127.1.0.2' },
      { type: 'Hostname', address: 'kw-1' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
