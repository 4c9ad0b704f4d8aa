/**
 * kube-controller-manager flags of `skiff server` for the node lifecycle and PodGC controllers,
 * with upstream's names and defaults (1.32): `--node-monitor-grace-period 50s`,
 * `--node-monitor-period 5s`, `--node-startup-grace-period 1m`, `--node-eviction-rate 0.1`,
 * `--secondary-node-eviction-rate 0.01`, `--large-cluster-size-threshold 50`,
 * `--unhealthy-zone-threshold 0.55`, `--terminated-pod-gc-threshold 12500`.
 */
import { Option, type Command } from 'commander';
import { parseGoDuration } from '../api/batch/v1/cronjob/schedule.ts';
import type { NodeLifecycleOptions } from '../controllers/nodelifecycle/start.ts';

/** Adds the flags to `cmd` (each also read from `SKIFF_<FLAG>`). Returns `cmd`. */
export function addControllerManagerOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--node-monitor-grace-period <duration>', 'time a node may go without a heartbeat before it is Unknown').env('SKIFF_NODE_MONITOR_GRACE_PERIOD').default('50s'))
    .addOption(new Option('--node-monitor-period <duration>', 'period of node health passes').env('SKIFF_NODE_MONITOR_PERIOD').default('5s'))
    .addOption(new Option('--node-startup-grace-period <duration>', 'time a new node may take to post its first status').env('SKIFF_NODE_STARTUP_GRACE_PERIOD').default('1m'))
    .addOption(new Option('--node-eviction-rate <rate>', 'nodes per second per zone tainted NoExecute when the zone is healthy').env('SKIFF_NODE_EVICTION_RATE').default('0.1'))
    .addOption(new Option('--secondary-node-eviction-rate <rate>', 'nodes per second tainted in an unhealthy zone larger than --large-cluster-size-threshold').env('SKIFF_SECONDARY_NODE_EVICTION_RATE').default('0.01'))
    .addOption(new Option('--large-cluster-size-threshold <n>', 'zone size above which the secondary eviction rate applies (else 0)').env('SKIFF_LARGE_CLUSTER_SIZE_THRESHOLD').default('50'))
    .addOption(new Option('--unhealthy-zone-threshold <fraction>', 'fraction of not-Ready nodes (at least 3) making a zone unhealthy').env('SKIFF_UNHEALTHY_ZONE_THRESHOLD').default('0.55'))
    .addOption(new Option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before the oldest are deleted (0 disables)').env('SKIFF_TERMINATED_POD_GC_THRESHOLD').default('12500'));
}

/** Parsed values of {@link addControllerManagerOptions}'s flags. */
export interface ControllerManagerFlags {
  nodeLifecycle: NodeLifecycleOptions;
  terminatedPodGCThreshold: number;
}

/**
 * Parses the flags from commander's `opts` (camelCase keys).
 * @throws Error `invalid --<flag>: <reason>` on a malformed duration, negative rate, non-integer
 * count or a threshold outside (0, 1]
 */
export function parseControllerManagerFlags(opts: Record<string, unknown>): ControllerManagerFlags {
  const duration = (flag: string, v: unknown): number => {
    let ms: number;
    try {
      ms = parseGoDuration(String(v));
    } catch (e) {
      throw new Error(`invalid --${flag}: ${(e as Error).message}`);
    }
    if (!(ms > 0)) throw new Error(`invalid --${flag}: must be positive`);
    return ms;
  };
  const num = (flag: string, v: unknown, ok: (n: number) => boolean, what: string): number => {
    const n = Number(v);
    if (String(v).trim() === '' || !Number.isFinite(n) || !ok(n)) throw new Error(`invalid --${flag}: ${String(v)} (${what})`);
    return n;
  };
  return {
    nodeLifecycle: {
      gracePeriodMs: duration('node-monitor-grace-period', opts.nodeMonitorGracePeriod),
      monitorPeriodMs: duration('node-monitor-period', opts.nodeMonitorPeriod),
      startupGracePeriodMs: duration('node-startup-grace-period', opts.nodeStartupGracePeriod),
      evictionRate: num('node-eviction-rate', opts.nodeEvictionRate, (n) => n >= 0, 'a rate ≥ 0'),
      secondaryEvictionRate: num('secondary-node-eviction-rate', opts.secondaryNodeEvictionRate, (n) => n >= 0, 'a rate ≥ 0'),
      largeClusterSizeThreshold: num('large-cluster-size-threshold', opts.largeClusterSizeThreshold, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
      unhealthyZoneThreshold: num('unhealthy-zone-threshold', opts.unhealthyZoneThreshold, (n) => n > 0 && n <= 1, 'a fraction in (0, 1]'),
    },
    terminatedPodGCThreshold: num('terminated-pod-gc-threshold', opts.terminatedPodGcThreshold, (n) => Number.isInteger(n), 'an integer'),
  };
}
