/** Quota evaluators: pod usage (PodRequests/PodLimits with init containers and sidecars), services, claims, object counts, scopes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import {
  calculateUsage,
  evaluatorFor,
  objectCountQuotaResourceNameFor,
  persistentVolumeClaimEvaluator,
  podEvaluator,
  podResourceList,
  quotaMatches,
  serviceEvaluator,
} from './evaluators.ts';
import { fromResourceList } from './helpers.ts';

const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>, extra: Record<string, unknown> = {}) => ({ name, image: 'i', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }, ...extra });
const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...meta }, spec, status });

test('PodRequests: sum of containers and sidecars, at least the largest init container, plus overhead', () => {
  const p = pod({
    containers: [c('a', { cpu: '100m', memory: '64Mi' }), c('b', { cpu: '200m' })],
    initContainers: [c('init', { cpu: '1', memory: '32Mi' }), c('sidecar', { cpu: '50m' }, undefined, { restartPolicy: 'Always' })],
    overhead: { cpu: '10m' },
  });
  assert.deepEqual(fromResourceList(podResourceList(p, 'requests')), { cpu: '1010m', memory: '64Mi' });
});

test('pod usage: pods, cpu/memory as plain and requests./limits. names, count/pods; terminal pods only count/pods', () => {
  const p = pod({ containers: [c('a', { cpu: '250m', memory: '128Mi', 'example.com/gpu': '1' }, { cpu: '500m', memory: '128Mi', 'example.com/gpu': '1' })] });
  assert.deepEqual(fromResourceList(podEvaluator.usage(p)), {
    'count/pods': '1', cpu: '250m', 'limits.cpu': '500m', 'limits.memory': '128Mi', memory: '128Mi', pods: '1',
    'requests.cpu': '250m', 'requests.example.com/gpu': '1', 'requests.memory': '128Mi',
  });
  assert.deepEqual(fromResourceList(podEvaluator.usage(pod({ containers: [c('a', { cpu: '1' })] }, { phase: 'Failed' }))), { 'count/pods': '1' });
  // Deleting past its grace period (stuck on a lost node): released.
  const stuck = pod({ containers: [c('a')] }, { phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 });
  assert.deepEqual(fromResourceList(podEvaluator.usage(stuck, Date.parse('2026-01-01T00:01:00Z'))), { 'count/pods': '1' });
  assert.equal(fromResourceList(podEvaluator.usage(stuck, Date.parse('2026-01-01T00:00:10Z'))).pods, '1');
});

test('pod constraints: every container (and init container) must state the tracked cpu/memory', () => {
  const p = pod({ containers: [c('web', { cpu: '1' }, { cpu: '1' }), c('log')], initContainers: [c('init', { memory: '1Mi' })] });
  assert.equal(podEvaluator.constraints(['requests.cpu', 'limits.memory', 'pods'], p), 'must specify limits.memory for: init,log,web; requests.cpu for: init,log');
  assert.equal(podEvaluator.constraints(['pods', 'requests.storage'], p), undefined);
});

test('scopes: Terminating, BestEffort, PriorityClass In', () => {
  const q = (scopes: string[], scopeSelector?: unknown): KubeObject => ({ metadata: { name: 'q' }, spec: { hard: { pods: '1' }, scopes, ...(scopeSelector ? { scopeSelector } : {}) }, status: { hard: { pods: '1' } } });
  const best = pod({ containers: [c('a')] });
  const burst = pod({ containers: [c('a', { cpu: '1' })], activeDeadlineSeconds: 30, priorityClassName: 'high' });
  assert.equal(quotaMatches(podEvaluator, q(['BestEffort']), best), true);
  assert.equal(quotaMatches(podEvaluator, q(['BestEffort']), burst), false);
  assert.equal(quotaMatches(podEvaluator, q(['Terminating', 'NotBestEffort']), burst), true);
  assert.equal(quotaMatches(podEvaluator, q(['NotTerminating']), burst), false);
  const pc = q([], { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] });
  assert.equal(quotaMatches(podEvaluator, pc, burst), true);
  assert.equal(quotaMatches(podEvaluator, pc, best), false);
  // Non-pod evaluators never match a scoped quota.
  assert.equal(quotaMatches(evaluatorFor('', 'configmaps'), { ...q(['BestEffort']), status: { hard: { configmaps: '1' } } }, { metadata: { name: 'c' } }), false);
});

test('services: node ports of NodePort/LoadBalancer services, load balancers', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 's' }, spec });
  assert.deepEqual(fromResourceList(serviceEvaluator.usage(svc({ type: 'ClusterIP', ports: [{ port: 1 }] }))), { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' });
  assert.deepEqual(fromResourceList(serviceEvaluator.usage(svc({ type: 'LoadBalancer', ports: [{ port: 1 }, { port: 2 }] }))), { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
  assert.equal(fromResourceList(serviceEvaluator.usage(svc({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 1, nodePort: 30001 }, { port: 2 }] })))['services.nodeports'], '1');
});

test('claims: storage per class, the larger of request and allocated', () => {
  const pvc: KubeObject = { metadata: { name: 'c' }, spec: { storageClassName: 'gold', resources: { requests: { storage: '1Gi' } } }, status: { allocatedResources: { storage: '2Gi' } } };
  assert.deepEqual(fromResourceList(persistentVolumeClaimEvaluator.usage(pvc)), {
    'count/persistentvolumeclaims': '1',
    'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    'gold.storageclass.storage.k8s.io/requests.storage': '2Gi',
    persistentvolumeclaims: '1',
    'requests.storage': '2Gi',
  });
});

test('object counts: count/<resource>[.<group>], legacy names; calculateUsage sums matching objects with zeros', () => {
  assert.equal(objectCountQuotaResourceNameFor('', 'secrets'), 'count/secrets');
  assert.equal(objectCountQuotaResourceNameFor('apps', 'deployments'), 'count/deployments.apps');
  assert.deepEqual(evaluatorFor('', 'secrets').matchingResources(['secrets', 'count/secrets', 'pods']), ['secrets', 'count/secrets']);
  assert.deepEqual(evaluatorFor('apps', 'deployments').matchingResources(['count/deployments.apps', 'deployments']), ['count/deployments.apps']);
  const quota: KubeObject = { metadata: { name: 'q' }, spec: { hard: { pods: '5', 'requests.cpu': '2', 'limits.memory': '1Gi' } } };
  const pods = [pod({ containers: [c('a', { cpu: '500m' })] }), pod({ containers: [c('a', { cpu: '250m' })] }), pod({ containers: [c('a', { cpu: '1' })] }, { phase: 'Succeeded' })];
  assert.deepEqual(fromResourceList(calculateUsage(podEvaluator, quota, ['pods', 'requests.cpu', 'limits.memory'], pods)), { 'limits.memory': '0', pods: '2', 'requests.cpu': '750m' });
});
