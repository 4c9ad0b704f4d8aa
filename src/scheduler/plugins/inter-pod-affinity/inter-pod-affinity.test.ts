import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Affinity, Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, NodeInfo, Code, newPodInfo } from '../../framework/types.ts';
import { makeNode, makePod } from '../../testing/wrappers.ts';
import {
  ErrReasonAffinityRulesNotMatch,
  ErrReasonAntiAffinityRulesNotMatch,
  ErrReasonExistingAntiAffinityRulesNotMatch,
  InterPodAffinity,
} from './inter-pod-affinity.ts';

const withLabels = (pod: Pod, labels: Record<string, string>): Pod => ({ ...pod, metadata: { ...pod.metadata, labels } });
const podAffinity = (key: string, values: string[], topologyKey: string, anti = false): Affinity => {
  const term = { labelSelector: { matchExpressions: [{ key, operator: 'In', values }] }, topologyKey };
  return anti
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
    : { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
};

/** Runs PreFilter over `nodes` then Filter on each; returns status per node name. */
function run(pod: Pod, nodes: NodeInfo[], plugin = new InterPodAffinity()) {
  const state = new CycleState();
  plugin.preFilter(state, pod, nodes);
  return Object.fromEntries(
    nodes.map((n) => {
      const st = plugin.filter(state, pod, n);
      return [n.name, st ? { code: st.code, reasons: st.reasons } : undefined];
    }),
  );
}

function node(name: string, labels: Record<string, string>, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(makeNode(name, { labels }));
  for (const p of pods) ni.addPod(newPodInfo({ ...p, spec: { ...p.spec!, nodeName: name } }));
  return ni;
}

// Cases after interpodaffinity/filtering_test.go TestRequiredAffinitySingleNode / MultipleNodes.
test('no affinity: fits', () => {
  assert.deepEqual(run(makePod('p'), [node('n1', { region: 'r1' })]), { n1: undefined });
});

test('affinity satisfied by a matching pod in the same domain', () => {
  const existing = withLabels(makePod('e'), { service: 'securityscan' });
  const pod = makePod('p', { affinity: podAffinity('service', ['securityscan', 'value2'], 'region') });
  assert.deepEqual(run(pod, [node('n1', { region: 'r1' }, [existing]), node('n2', { region: 'r1' }), node('n3', { region: 'r2' })]), {
    n1: undefined,
    n2: undefined,
    n3: { code: Code.UnschedulableAndUnresolvable, reasons: [ErrReasonAffinityRulesNotMatch] },
  });
});

test('affinity unsatisfied: no matching pod anywhere and the pod does not match itself', () => {
  const existing = withLabels(makePod('e'), { service: 'other' });
  const pod = makePod('p', { affinity: podAffinity('service', ['securityscan'], 'region') });
  assert.deepEqual(run(pod, [node('n1', { region: 'r1' }, [existing])]), {
    n1: { code: Code.UnschedulableAndUnresolvable, reasons: [ErrReasonAffinityRulesNotMatch] },
  });
});

test('affinity to itself: the first pod of the group may schedule (node needs the topology label)', () => {
  const pod = withLabels(makePod('p', { affinity: podAffinity('app', ['db'], 'zone') }), { app: 'db' });
  assert.deepEqual(run(pod, [node('n1', { zone: 'z1' }), node('n2', {})]), {
    n1: undefined,
    n2: { code: Code.UnschedulableAndUnresolvable, reasons: [ErrReasonAffinityRulesNotMatch] },
  });
});

test('affinity terms only look at their namespaces', () => {
  const existing = withLabels(makePod('e', { namespace: 'other' }), { service: 'securityscan' });
  const pod = makePod('p', { affinity: podAffinity('service', ['securityscan'], 'region') });
  assert.equal(run(pod, [node('n1', { region: 'r1' }, [existing])]).n1?.reasons[0], ErrReasonAffinityRulesNotMatch);
  const all: Affinity = {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { service: 'securityscan' } }, topologyKey: 'region', namespaceSelector: {} },
      ],
    },
  };
  assert.equal(run(makePod('p', { affinity: all }), [node('n1', { region: 'r1' }, [existing])]).n1, undefined);
});

test('anti-affinity: a matching pod in the domain rejects the node', () => {
  const existing = withLabels(makePod('e'), { app: 'web' });
  const pod = makePod('p', { affinity: podAffinity('app', ['web'], 'kubernetes.io/hostname', true) });
  const nodes = [node('n1', {}, [existing]), node('n2', {})];
  assert.deepEqual(run(pod, nodes), {
    n1: { code: Code.Unschedulable, reasons: [ErrReasonAntiAffinityRulesNotMatch] },
    n2: undefined,
  });
});

test('existing pods\' anti-affinity rejects the incoming pod from their domain', () => {
  const existing = withLabels(makePod('e', { affinity: podAffinity('security', ['S1'], 'zone', true) }), {});
  const pod = withLabels(makePod('p'), { security: 'S1' });
  const nodes = [node('n1', { zone: 'z1' }, [existing]), node('n2', { zone: 'z1' }), node('n3', { zone: 'z2' })];
  assert.deepEqual(run(pod, nodes), {
    n1: { code: Code.Unschedulable, reasons: [ErrReasonExistingAntiAffinityRulesNotMatch] },
    n2: { code: Code.Unschedulable, reasons: [ErrReasonExistingAntiAffinityRulesNotMatch] },
    n3: undefined,
  });
});

test('a missing labelSelector matches nothing', () => {
  const existing = withLabels(makePod('e'), { app: 'web' });
  const pod = makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] } } });
  assert.deepEqual(run(pod, [node('n1', {}, [existing])]), { n1: undefined });
});

test('namespaceSelector with labels uses the namespace lookup', () => {
  const existing = withLabels(makePod('e', { namespace: 'team-a' }), { app: 'web' });
  const aff: Affinity = {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname', namespaceSelector: { matchLabels: { team: 'a' } } },
      ],
    },
  };
  const plugin = new InterPodAffinity({ namespaceLabels: (ns): Record<string, string> => (ns === 'team-a' ? { team: 'a' } : {}) });
  assert.equal(run(makePod('p', { affinity: aff }), [node('n1', {}, [existing])], plugin).n1?.reasons[0], ErrReasonAntiAffinityRulesNotMatch);
});

test('symmetric anti-affinity (replicas avoiding each other) reports the incoming pod\'s anti-affinity first', () => {
  const anti = podAffinity('app', ['web'], 'kubernetes.io/hostname', true);
  const existing = withLabels(makePod('e', { affinity: anti }), { app: 'web' });
  const pod = withLabels(makePod('p', { affinity: anti }), { app: 'web' });
  assert.deepEqual(run(pod, [node('n1', {}, [existing])]), { n1: { code: Code.Unschedulable, reasons: [ErrReasonAntiAffinityRulesNotMatch] } });
});
