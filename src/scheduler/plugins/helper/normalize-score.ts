/**
 * Score normalisation shared by plugins, after pkg/scheduler/framework/plugins/helper/normalize_score.go.
 */

/**
 * Upstream DefaultNormalizeScore: scales `scores` in place to 0..maxPriority by the largest score
 * (integer division); with `reverse`, maxPriority - score. When every score is 0 they stay 0, or
 * all become maxPriority when `reverse`.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: number[]): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) for (let i = 0; i < scores.length; i++) scores[i] = maxPriority;
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((maxPriority * scores[i]) / max);
    if (reverse) s = maxPriority - s;
    scores[i] = s;
  }
}
