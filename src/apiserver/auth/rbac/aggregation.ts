/**
 * ClusterRole aggregation helpers, after upstream pkg/controller/clusterroleaggregation
 * (the aggregated role's rules are the union of the rules of the ClusterRoles its
 * `aggregationRule.clusterRoleSelectors` select).
 */
import { labelSelectorAsSelector } from '../../../machinery/labels.ts';

/** True when `labels` match the metav1.LabelSelector `sel` (an invalid selector matches nothing). */
export function labelSelectorMatches(sel: unknown, labels: Record<string, string>): boolean {
  try {
    return labelSelectorAsSelector(sel as Parameters<typeof labelSelectorAsSelector>[0]).matches(labels);
  } catch {
    return false;
  }
}
