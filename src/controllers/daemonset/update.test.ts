import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { rollingUpdateLimits, rollingUpdatePlan, scaledValueRoundUp } from './update.ts';
import type { DSObj } from './util.ts';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const dsWith = (ru: Record<string, unknown>, minReadySeconds = 0): DSObj =>
  ({ metadata: { name: 'ds', namespace: 'default', annotations: { 'deprecated.daemonset.template.generation': '2' } }, spec: { minReadySeconds, updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } } }) as unknown as DSObj;
const pod = (name: string, gen: string, readyAt?: string): Pod => ({
  metadata: { name, labels: { 'pod-template-generation': gen }, creationTimestamp: '2026-01-01T00:00:00Z' },
  status: readyAt ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }] } : { phase: 'Pending' },
});

test('scaled values round up; both zero → maxUnavailable 1', () => {
  assert.equal(scaledValueRoundUp('10%', 3), 1);
  assert.equal(scaledValueRoundUp('50%', 3), 2);
  assert.equal(scaledValueRoundUp(2, 3), 2);
  assert.deepEqual(rollingUpdateLimits(dsWith({ maxUnavailable: 0, maxSurge: 0 }), 3), { maxSurge: 0, maxUnavailable: 1 });
});

test('maxUnavailable 1: all old and available → one deletion; a new pod not yet available → none', () => {
  const ready = '2026-01-01T00:01:00Z';
  const all = new Map([['n0', [pod('a', '1', ready)]], ['n1', [pod('b', '1', ready)]], ['n2', [pod('c', '1', ready)]]]);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 1, maxSurge: 0 }), all, 'h2', 3, NOW), { podsToDelete: ['a'], nodesNeedingPods: [] });
  const mid = new Map([['n0', [pod('a2', '2')]], ['n1', [pod('b', '1', ready)]], ['n2', [pod('c', '1', ready)]]]);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 1, maxSurge: 0 }), mid, 'h2', 3, NOW), { podsToDelete: [], nodesNeedingPods: [] });
  // An unavailable old pod is always replaceable, whatever the budget.
  const broken = new Map([['n0', [pod('a2', '2')]], ['n1', [pod('b', '1')]], ['n2', [pod('c', '1', ready)]]]);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 1, maxSurge: 0 }), broken, 'h2', 3, NOW), { podsToDelete: ['b'], nodesNeedingPods: [] });
});

test('minReadySeconds: a pod ready for less than minReadySeconds is not available', () => {
  const justReady = new Map([['n0', [pod('a2', '2', '2026-01-01T00:09:55Z')]], ['n1', [pod('b', '1', '2026-01-01T00:01:00Z')]]]);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 1, maxSurge: 0 }, 30), justReady, 'h2', 2, NOW).podsToDelete, []);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 1, maxSurge: 0 }, 3), justReady, 'h2', 2, NOW).podsToDelete, ['b']);
});

test('maxSurge 1: surge onto one node, delete the old pod once the new one is available', () => {
  const ready = '2026-01-01T00:01:00Z';
  const all = new Map([['n0', [pod('a', '1', ready)]], ['n1', [pod('b', '1', ready)]]]);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 0, maxSurge: 1 }), all, 'h2', 2, NOW), { podsToDelete: [], nodesNeedingPods: ['n0'] });
  const surging = new Map([['n0', [pod('a', '1', ready), pod('a2', '2')]], ['n1', [pod('b', '1', ready)]]]);
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 0, maxSurge: 1 }), surging, 'h2', 2, NOW), { podsToDelete: [], nodesNeedingPods: [] });
  const surged = new Map([['n0', [pod('a', '1', ready), pod('a2', '2', ready)]], ['n1', [pod('b', '1', ready)]]]);
  // n0's surge pod is available, so it no longer uses the surge budget: n1 may surge in the same step (as upstream).
  assert.deepEqual(rollingUpdatePlan(dsWith({ maxUnavailable: 0, maxSurge: 1 }), surged, 'h2', 2, NOW), { podsToDelete: ['a'], nodesNeedingPods: ['n1'] });
});
