import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePod } from '../testing/wrappers.ts';
import { milliValue, nonZeroRequests, podRequests, value } from './resources.ts';

test('quantities: cpu in millicores, memory in bytes', () => {
  assert.equal(milliValue('100m'), 100);
  assert.equal(milliValue('1'), 1000);
  assert.equal(milliValue('0.5'), 500);
  assert.equal(milliValue('1.5'), 1500);
  assert.equal(value('64Mi'), 64 * 1024 * 1024);
  assert.equal(value('1Gi'), 2 ** 30);
  assert.equal(value('1G'), 1e9);
  assert.equal(value('128974848'), 128974848);
  assert.equal(value('129e6'), 129e6);
  assert.equal(value('123Mi'), 123 * 2 ** 20);
  assert.equal(milliValue('1m'), 1);
  assert.throws(() => value('12x'));
  assert.equal(milliValue('0.0001'), 1, 'rounded up');
});

// Rules after k8s.io/component-helpers/resource PodRequests (and its tests).
test('podRequests: containers are summed', () => {
  const r = podRequests(makePod('p', { containers: [{ cpu: '100m', memory: '64Mi' }, { cpu: '200m', memory: '64Mi' }] }));
  assert.equal(r.milliCPU, 300);
  assert.equal(r.memory, 128 * 2 ** 20);
});

test('podRequests: init containers use the max rule', () => {
  const pod = makePod('p', { containers: [{ cpu: '100m', memory: '10Mi' }, { cpu: '100m', memory: '10Mi' }], initContainers: [{ cpu: '500m', memory: '5Mi' }, { cpu: '300m', memory: '50Mi' }] });
  const r = podRequests(pod);
  assert.equal(r.milliCPU, 500);
  assert.equal(r.memory, 50 * 2 ** 20);
});

test('podRequests: restartable (sidecar) init containers add to the steady-state sum and to later init containers', () => {
  const pod = makePod('p', {
    containers: [{ cpu: '100m' }],
    initContainers: [{ sidecar: { cpu: '200m' } }, { cpu: '250m' }],
  });
  // steady state: 100 + 200 = 300; init phase: 250 + 200 (sidecar already running) = 450.
  assert.equal(podRequests(pod).milliCPU, 450);
  const pod2 = makePod('p', { containers: [{ cpu: '1' }], initContainers: [{ sidecar: { cpu: '200m' } }, { cpu: '250m' }] });
  assert.equal(podRequests(pod2).milliCPU, 1200);
});

test('podRequests: overhead is added', () => {
  const r = podRequests(makePod('p', { containers: [{ cpu: '100m' }], overhead: { cpu: '10m', memory: '1Mi' } }));
  assert.equal(r.milliCPU, 110);
  assert.equal(r.memory, 2 ** 20);
});

test('nonZeroRequests: 100m cpu and 200Mi memory for containers without requests', () => {
  const r = nonZeroRequests(makePod('p', { containers: [{}, { cpu: '50m' }] }));
  assert.equal(r.milliCPU, 150);
  assert.equal(r.memory, 400 * 2 ** 20);
  assert.equal(podRequests(makePod('p')).milliCPU, 0);
});
