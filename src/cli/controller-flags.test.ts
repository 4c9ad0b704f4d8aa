import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addControllerManagerOptions, parseControllerManagerFlags } from './controller-flags.ts';

const parse = (args: string[]) => {
  const cmd = addControllerManagerOptions(new Command('server').exitOverride());
  cmd.parse(args, { from: 'user' });
  return parseControllerManagerFlags(cmd.opts());
};

test('defaults are upstream 1.32 kube-controller-manager defaults', () => {
  assert.deepEqual(parse([]), {
    nodeLifecycle: { gracePeriodMs: 50_000, monitorPeriodMs: 5000, startupGracePeriodMs: 60_000, evictionRate: 0.1, secondaryEvictionRate: 0.01, largeClusterSizeThreshold: 50, unhealthyZoneThreshold: 0.55 },
    terminatedPodGCThreshold: 12500,
  });
});

test('flags parse Go durations and numbers', () => {
  const f = parse(['--node-monitor-grace-period', '10s', '--node-monitor-period', '500ms', '--node-startup-grace-period', '2m', '--node-eviction-rate', '1', '--terminated-pod-gc-threshold', '0']);
  assert.equal(f.nodeLifecycle.gracePeriodMs, 10_000);
  assert.equal(f.nodeLifecycle.monitorPeriodMs, 500);
  assert.equal(f.nodeLifecycle.startupGracePeriodMs, 120_000);
  assert.equal(f.nodeLifecycle.evictionRate, 1);
  assert.equal(f.terminatedPodGCThreshold, 0);
});

test('malformed values are rejected with the flag name', () => {
  assert.throws(() => parse(['--node-monitor-grace-period', '40']), /invalid --node-monitor-grace-period: time: invalid duration "40"/);
  assert.throws(() => parse(['--node-eviction-rate', '-1']), /invalid --node-eviction-rate: -1/);
  assert.throws(() => parse(['--unhealthy-zone-threshold', '2']), /invalid --unhealthy-zone-threshold/);
  assert.throws(() => parse(['--terminated-pod-gc-threshold', '1.5']), /invalid --terminated-pod-gc-threshold/);
});
