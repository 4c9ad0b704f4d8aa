/**
 * `spec.successPolicy` for Indexed Jobs, after upstream pkg/controller/job/success_policy.go
 * (matchSuccessPolicy, matchSucceededIndexesRule): the rules are tried in order; a rule with
 * `succeededIndexes` matches when all of those indexes succeeded, or at least `succeededCount` of
 * them; a rule with only `succeededCount` matches when that many indexes succeeded. The first
 * match gives SuccessCriteriaMet with reason SuccessPolicy and message `Matched rules at index <i>`.
 */
import type { SuccessPolicy } from 'kubernetes-types/batch/v1.js';
import { parseIndexesFromString } from './indexed.ts';

/** Condition reason of a Job that met its successPolicy (batch.JobReasonSuccessPolicy). */
export const JobReasonSuccessPolicy = 'SuccessPolicy';

/**
 * The message of the first rule of `policy` that `succeededIndexes` (ascending) satisfies, or
 * undefined. Rules whose `succeededIndexes` text names no index below `completions` are skipped.
 */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeededIndexes: number[]): string | undefined {
  if (!policy || succeededIndexes.length === 0) return undefined;
  const done = new Set(succeededIndexes);
  for (let i = 0; i < (policy.rules ?? []).length; i++) {
    const rule = policy.rules[i];
    if (rule.succeededIndexes != null) {
      const required = parseIndexesFromString(rule.succeededIndexes, completions);
      if (required.length === 0) continue;
      const contains = required.filter((x) => done.has(x)).length;
      if (contains === required.length || (rule.succeededCount != null && contains >= rule.succeededCount)) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount != null && succeededIndexes.length >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}
