/**
 * Stage matching and applying, as kwok tests its stages: golden `testdata/<case>.input.yaml` pods
 * run through the default stages (stages/default.yaml) with a fixed clock and addresses, compared
 * with `testdata/<case>.output.yaml` (matched stage, action, resulting status, event).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { computeStageAction, getPath, parseDurationMs, loadStages, matchStage, matchesSelector, parsePath, parseStages, renderTemplate, stageDelayMs, type TemplateFuncs } from './stage.ts';
import { PodIPAllocator, simulatedPodCIDRs } from './pod-ip.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const stages = loadStages();

describe('default stages: golden testdata', () => {
  const cases = readdirSync(path.join(here, 'testdata')).filter((f) => f.endsWith('.input.yaml'));
  assert.ok(cases.length >= 5);
  for (const f of cases) {
    const name = f.replace(/\.input\.yaml$/, '');
    test(name, () => {
      const pod = YAML.parse(readFileSync(path.join(here, 'testdata', f), 'utf8'));
      const want = YAML.parse(readFileSync(path.join(here, 'testdata', `${name}.output.yaml`), 'utf8'));
      const stage = matchStage(stages, pod);
      assert.equal(stage?.name ?? null, want.stage);
      if (!stage) return;
      let ipCalls = 0;
      const funcs: TemplateFuncs = {
        Now: '2026-01-01T00:00:00Z',
        NodeIP: '127.1.0.1',
        NodeName: pod.spec.nodeName,
        PodIP: () => (ipCalls++, '10.88.1.254'),
      };
      const before = structuredClone(pod);
      const action = computeStageAction(stage, pod, funcs);
      assert.deepEqual(pod, before, 'input object is not mutated');
      assert.equal(action.kind, want.action);
      if (action.kind === 'status') assert.deepEqual(action.status, want.status);
      if (want.event) {
        assert.deepEqual(
          { type: stage.next.event!.type, reason: stage.next.event!.reason, message: renderTemplate(stage.next.event!.message, pod, funcs) },
          want.event,
        );
      } else assert.equal(stage.next.event, undefined);
    });
  }
});

describe('stage schema', () => {
  test('paths', () => {
    assert.deepEqual(parsePath('.metadata.annotations["skiff.io/simulated-fail"]'), ['metadata', 'annotations', 'skiff.io/simulated-fail']);
    assert.deepEqual(parsePath(".spec.containers[1].name"), ['spec', 'containers', 1, 'name']);
    assert.equal(getPath({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, '.spec.containers[1].name'), 'b');
    assert.equal(getPath({ a: 1 }, '.a.b.c'), undefined);
    assert.throws(() => parsePath('.a..b'), /invalid path/);
    const conds = { status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] } };
    assert.deepEqual(parsePath('.status.conditions[?(@.type=="Ready")].status'), ['status', 'conditions', { field: 'type', equals: 'Ready' }, 'status']);
    assert.equal(getPath(conds, '.status.conditions[?(@.type=="Ready")].status'), 'False');
    assert.equal(getPath(conds, ".status.conditions[?(@.type=='Initialized')].status"), undefined);
  });

  test('operators; NotIn matches an absent value; empty string counts as absent', () => {
    const obj = { status: { phase: 'Running', podIP: '' }, metadata: { annotations: { x: 'y' } } };
    const m = (key: string, operator: 'Exists' | 'DoesNotExist' | 'In' | 'NotIn', values?: string[]) => matchesSelector(obj, { matchExpressions: [{ key, operator, values }] });
    assert.equal(m('.status.phase', 'Exists'), true);
    assert.equal(m('.status.podIP', 'Exists'), false);
    assert.equal(m('.status.podIP', 'DoesNotExist'), true);
    assert.equal(m('.status.phase', 'In', ['Pending', 'Running']), true);
    assert.equal(m('.status.phase', 'In', ['Pending']), false);
    assert.equal(m('.status.phase', 'NotIn', ['Running']), false);
    assert.equal(m('.metadata.annotations["z"]', 'NotIn', ['true']), true);
    assert.equal(m('.metadata.annotations["z"]', 'In', ['true']), false);
    assert.equal(m('.metadata.annotations["x"]', 'In', ['y']), true);
    assert.equal(matchesSelector(obj, undefined), true);
  });

  test('parseStages accepts a list, {stages: [...]}, and kwok-style Stage objects; rejects bad ones', () => {
    const one = 'name: s\nnext: {delete: true}\n';
    assert.equal(parseStages(`- ${one.replace('\n', '\n  ')}`)[0]!.name, 's');
    assert.equal(parseStages(`stages:\n- name: s\n  next: {delete: true}\n`)[0]!.next.delete, true);
    const kwok = 'apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-delete}\nspec:\n  selector:\n    matchExpressions:\n    - {key: .metadata.deletionTimestamp, operator: Exists}\n  next: {delete: true}\n';
    const s = parseStages(kwok);
    assert.equal(s[0]!.name, 'pod-delete');
    assert.equal(matchStage(s, { metadata: { deletionTimestamp: 'x' } })?.name, 'pod-delete');
    assert.throws(() => parseStages('- next: {delete: true}\n'), /name is required/);
    assert.throws(() => parseStages('- name: a\n'), /next is required/);
    assert.throws(() => parseStages('- name: a\n  next: {}\n  selector: {matchExpressions: [{key: .a, operator: Gt}]}\n'), /unsupported "Gt"/);
    assert.throws(() => parseStages('- name: a\n  next: {}\n  selector: {matchExpressions: [{key: .a, operator: In}]}\n'), /values is required/);
  });

  test('delay: fixed, or uniform in [duration, jitter]', () => {
    const s = { name: 'x', next: {}, delay: { durationMilliseconds: 1000, jitterDurationMilliseconds: 1500 } };
    assert.equal(stageDelayMs(s, () => 0), 1000);
    assert.equal(stageDelayMs(s, () => 0.5), 1250);
    assert.equal(stageDelayMs({ name: 'x', next: {}, delay: { durationMilliseconds: 700 } }, () => 0.9), 700);
    assert.equal(stageDelayMs({ name: 'x', next: {} }), 0);
    const from = { name: 'x', next: {}, delay: { durationMilliseconds: 1000, durationFrom: { expressionFrom: '.metadata.annotations["d"]' } } };
    assert.equal(stageDelayMs(from, () => 0.5, { metadata: { annotations: { d: '1m30s' } } }), 90_000);
    assert.equal(stageDelayMs(from, () => 0.5, { metadata: { annotations: { d: '250ms' } } }), 250);
    assert.equal(stageDelayMs(from, () => 0.5, { metadata: { annotations: { d: 'soon' } } }), 1000, 'malformed: the fixed duration');
    assert.equal(stageDelayMs(from, () => 0.5, { metadata: {} }), 1000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('2h'), 7_200_000);
    assert.equal(parseDurationMs('10'), 10);
    assert.equal(parseDurationMs('-1s'), undefined);
  });

  test('a stage that changes nothing is a no-op', () => {
    const stage = { name: 'x', next: { statusTemplate: { phase: 'Running' } } };
    const f: TemplateFuncs = { Now: 'n', NodeIP: 'i', NodeName: 'n', PodIP: () => 'p' };
    assert.deepEqual(computeStageAction(stage, { status: { phase: 'Running' } }, f), { kind: 'none' });
    assert.deepEqual(computeStageAction(stage, { status: { phase: 'Pending' } }, f), { kind: 'status', status: { phase: 'Running' } });
  });

  test('templates: raw values, interpolation, $forEach, unknown functions', () => {
    const f: TemplateFuncs = { Now: 'T', NodeIP: 'N', NodeName: 'nn', PodIP: () => 'P' };
    const obj = { spec: { containers: [{ name: 'a' }, { name: 'b' }], n: 3 } };
    assert.deepEqual(renderTemplate({ n: '{{ .spec.n }}', s: 'x-{{ .spec.n }}-{{ NodeName }}', missing: '{{ .nope }}' }, obj, f), { n: 3, s: 'x-3-nn' });
    assert.deepEqual(renderTemplate({ l: { $forEach: '.spec.containers', $template: { name: '{{ .item.name }}', at: '{{ Now }}' } } }, obj, f), {
      l: [
        { name: 'a', at: 'T' },
        { name: 'b', at: 'T' },
      ],
    });
    assert.deepEqual(renderTemplate({ l: { $forEach: '.spec.none', $template: {} } }, obj, f), {});
    assert.throws(() => renderTemplate('{{ Bogus }}', obj, f), /unknown template function/);
  });
});

describe('pod IPs', () => {
  test('node i gets /24 number i+1 of the cluster CIDR while there is room, else shares it', () => {
    assert.deepEqual(simulatedPodCIDRs('10.88.0.0/16', 3), ['10.88.1.0/24', '10.88.2.0/24', '10.88.3.0/24']);
    assert.deepEqual(simulatedPodCIDRs('10.220.7.0/24', 2), ['10.220.7.0/24', '10.220.7.0/24']);
    assert.deepEqual(simulatedPodCIDRs('10.4.0.0/23', 2), ['10.4.1.0/24', '10.4.0.0/23']);
  });

  test('allocation from the top, unique, released addresses reused, exhaustion throws', () => {
    const a = new PodIPAllocator('10.1.2.0/29'); // .2 .. .6 usable
    assert.equal(a.allocate(), '10.1.2.6');
    a.markUsed('10.1.2.5');
    assert.equal(a.allocate(), '10.1.2.4');
    assert.equal(a.allocate(), '10.1.2.3');
    assert.equal(a.allocate(), '10.1.2.2');
    assert.throws(() => a.allocate(), /no free pod IP in 10.1.2.0\/29/);
    a.release('10.1.2.4');
    assert.equal(a.allocate(), '10.1.2.4');
    assert.equal(a.size, 5);
  });
});
