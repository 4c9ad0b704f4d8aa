/**
 * The framework runtime, after pkg/scheduler/framework/runtime/framework.go: holds the enabled
 * plugins per extension point (in order) and the score weights, and runs them.
 * - PreFilter: all run; the first rejection ends the cycle for every node.
 * - Filter: per node, plugins run in order and the first non-success status is the node's status
 *   (later plugins are not consulted, so only the first reason appears in FailedScheduling).
 * - PreScore: plugins returning Skip are left out of Score for this pod.
 * - Score: each plugin scores every feasible node, optionally normalises, and the results are
 *   summed with the plugin's weight.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code,
  Status,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type Plugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from './types.ts';

/** A plugin and its score weight (default 1; ignored for non-score plugins). */
export interface PluginConfig {
  plugin: Plugin;
  weight?: number;
}

const has = <K extends string>(p: Plugin, m: K): boolean => typeof (p as unknown as Record<string, unknown>)[m] === 'function';

/** Runs the enabled plugins; see the file comment. */
export class Framework {
  readonly preFilterPlugins: PreFilterPlugin[];
  readonly filterPlugins: FilterPlugin[];
  readonly preScorePlugins: PreScorePlugin[];
  readonly scorePlugins: { plugin: ScorePlugin; weight: number }[];

  /** `plugins` in extension-point order; a plugin takes part in every point it implements. */
  constructor(plugins: PluginConfig[]) {
    this.preFilterPlugins = plugins.filter((c) => has(c.plugin, 'preFilter')).map((c) => c.plugin as PreFilterPlugin);
    this.filterPlugins = plugins.filter((c) => has(c.plugin, 'filter')).map((c) => c.plugin as FilterPlugin);
    this.preScorePlugins = plugins.filter((c) => has(c.plugin, 'preScore')).map((c) => c.plugin as PreScorePlugin);
    this.scorePlugins = plugins.filter((c) => has(c.plugin, 'score')).map((c) => ({ plugin: c.plugin as ScorePlugin, weight: c.weight ?? 1 }));
  }

  /** Runs PreFilter plugins; returns the first non-success status (with `plugin` set). */
  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status | undefined {
    for (const p of this.preFilterPlugins) {
      const st = this.guard(p.name(), () => p.preFilter(state, pod, nodes));
      if (st && st.code !== Code.Success && st.code !== Code.Skip) return st.withPlugin(p.name());
    }
    return undefined;
  }

  /** Runs Filter plugins on one node; returns the first rejection (with `plugin` set). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    for (const p of this.filterPlugins) {
      const st = this.guard(p.name(), () => p.filter(state, pod, nodeInfo));
      if (st && st.code !== Code.Success) return st.withPlugin(p.name());
    }
    return undefined;
  }

  /**
   * Runs PreScore and Score on the feasible `nodes`; returns the weighted total per node
   * (same order). Throws Error when a plugin fails with Error.
   */
  runScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): number[] {
    const skipped = new Set<string>();
    for (const p of this.preScorePlugins) {
      const st = this.guard(p.name(), () => p.preScore(state, pod, nodes));
      if (st?.code === Code.Skip) skipped.add(p.name());
      else if (st && st.code !== Code.Success) throw new Error(`running PreScore plugin "${p.name()}": ${st.message()}`);
    }
    const totals = new Array<number>(nodes.length).fill(0);
    for (const { plugin, weight } of this.scorePlugins) {
      if (skipped.has(plugin.name())) continue;
      const scores = nodes.map((n) => plugin.score(state, pod, n));
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < nodes.length; i++) totals[i] += scores[i] * weight;
    }
    return totals;
  }

  /** Converts a thrown plugin error into an Error status. */
  private guard(name: string, fn: () => Status | undefined | void): Status | undefined {
    try {
      return fn() ?? undefined;
    } catch (err) {
      return new Status(Code.Error, `running "${name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
