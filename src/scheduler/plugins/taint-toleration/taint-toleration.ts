/**
 * TaintToleration, after pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go.
 * Filter: a node with a NoSchedule or NoExecute taint the pod does not tolerate is rejected
 * (UnschedulableAndUnresolvable, "node(s) had untolerated taint {key: value}").
 * Score: the number of PreferNoSchedule taints not tolerated by the pod's PreferNoSchedule (or
 * effect-less) tolerations; normalised in reverse, so fewer such taints score higher (0..100).
 */
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import {
  Code,
  MaxNodeScore,
  Status,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/types.ts';
import { defaultNormalizeScore } from '../helper/normalize-score.ts';
import { findMatchingUntoleratedTaint, tolerationsTolerateTaint } from './toleration.ts';

/** Plugin name. */
export const Name = 'TaintToleration';
/** Reason template for an untolerated taint (Go format); rendered by {@link errReasonUntoleratedTaint}. */
export const ErrReason = 'node(s) had untolerated taint {%s: %s}';
/** "node(s) had untolerated taint {key: value}" (value '' when the taint has none). */
export const errReasonUntoleratedTaint = (key: string, value: string | undefined) =>
  `node(s) had untolerated taint {${key}: ${value ?? ''}}`;

const preScoreStateKey = 'PreScore' + Name;

/** The TaintToleration plugin. */
export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  name(): string {
    return Name;
  }

  /** Rejects nodes with an untolerated NoSchedule/NoExecute taint. */
  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const taint = findMatchingUntoleratedTaint(
      nodeInfo.node?.spec?.taints,
      pod.spec?.tolerations,
      (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
    );
    if (!taint) return undefined;
    return new Status(Code.UnschedulableAndUnresolvable, errReasonUntoleratedTaint(taint.key, taint.value));
  }

  /** Keeps the pod's tolerations that apply to PreferNoSchedule (effect empty or PreferNoSchedule). */
  preScore(state: CycleState, pod: Pod): Status | undefined {
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(preScoreStateKey, tolerations);
    return undefined;
  }

  /** Count of intolerable PreferNoSchedule taints on the node. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number {
    const tolerations =
      state.read<Toleration[]>(preScoreStateKey) ??
      (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let n = 0;
    for (const taint of nodeInfo.node?.spec?.taints ?? []) {
      if (taint.effect !== 'PreferNoSchedule') continue;
      if (!tolerationsTolerateTaint(tolerations, taint)) n++;
    }
    return n;
  }

  /** Reverse normalisation: fewer intolerable taints → higher score. */
  normalizeScore(_state: CycleState, _pod: Pod, scores: number[]): void {
    defaultNormalizeScore(MaxNodeScore, true, scores);
  }
}
