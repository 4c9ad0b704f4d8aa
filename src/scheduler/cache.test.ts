import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.ts';
import { makeNode, makePod } from './testing/wrappers.ts';

test('cache: assumed pods count against their node until forgotten; confirmation replaces them', () => {
  const c = new SchedulerCache();
  c.addNode(makeNode('n1', { allocatable: { cpu: '2', memory: '4Gi', pods: '10' } }));
  const p = makePod('p', { containers: [{ cpu: '500m', memory: '1Gi' }], nodeName: 'n1' });
  c.assumePod(p);
  assert.equal(c.isAssumedPod(p), true);
  const ni = c.nodeInfo('n1')!;
  assert.equal(ni.requested.milliCPU, 500);
  assert.equal(ni.requested.memory, 2 ** 30);
  assert.equal(ni.requested.pods, 1);
  assert.throws(() => c.assumePod(p));
  c.forgetPod(p);
  assert.equal(ni.requested.milliCPU, 0);
  assert.equal(ni.pods.length, 0);
  c.assumePod(p);
  c.finishBinding(p);
  c.addPod(p); // informer sees it bound
  assert.equal(c.isAssumedPod(p), false);
  assert.equal(ni.requested.milliCPU, 500);
  assert.equal(ni.pods.length, 1);
  c.forgetPod(p); // no effect on a confirmed pod
  assert.equal(ni.pods.length, 1);
  c.removePod(p);
  assert.equal(ni.requested.milliCPU, 0);
  assert.equal(ni.requested.pods, 0);
});

test('cache: pods on unknown nodes are kept aside; node removal keeps pods accounted', () => {
  const c = new SchedulerCache();
  c.addPod(makePod('early', { nodeName: 'later', containers: [{ cpu: '1' }] }));
  assert.equal(c.nodeInfos().length, 0);
  c.addNode(makeNode('later'));
  assert.equal(c.nodeInfos().length, 1);
  assert.equal(c.nodeInfos()[0].requested.milliCPU, 1000);
  assert.equal(c.nodeInfos()[0].allocatable.milliCPU, 4000);
  c.removeNode(makeNode('later'));
  assert.equal(c.nodeInfos().length, 0);
  c.removePod(makePod('early', { nodeName: 'later' }));
  assert.equal(c.nodeInfo('later'), undefined);
});

test('cache: updating a pod re-accounts its requests', () => {
  const c = new SchedulerCache();
  c.addNode(makeNode('n'));
  c.addPod(makePod('p', { nodeName: 'n', containers: [{ cpu: '1' }] }));
  c.updatePod(makePod('p', { nodeName: 'n', containers: [{ cpu: '250m' }] }));
  assert.equal(c.nodeInfo('n')!.requested.milliCPU, 250);
  assert.equal(c.nodeInfo('n')!.pods.length, 1);
});
