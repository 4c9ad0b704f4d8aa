/**
 * ClusterRole aggregation helpers, after upstream pkg/controller/clusterroleaggregation
 * (the aggregated role's rules are the union of the rules of the ClusterRoles its
 * `aggregationRule.clusterRoleSelectors` select).
 */
import type { KubeObject } from '../../../client/interface.ts';
import type { PolicyRule } from '../../../api/rbac/v1/policy.ts';
import { labelSelectorAsSelector } from '../../../machinery/labels.ts';

/** True when `labels` match the metav1.LabelSelector `sel` (an invalid selector matches nothing). */
export function labelSelectorMatches(sel: unknown, labels: Record<string, string>): boolean {
  try {
    return labelSelectorAsSelector(sel as Parameters<typeof labelSelectorAsSelector>[0]).matches(labels);
  } catch {
    return false;
  }
}

/** A rule's identity for de-duplication (semantic equality of the five lists). */
export function ruleKey(r: PolicyRule): string {
  const s = (v: string[] | undefined) => JSON.stringify(v ?? []);
  return `${s(r.verbs)}|${s(r.apiGroups)}|${s(r.resources)}|${s(r.resourceNames)}|${s(r.nonResourceURLs)}`;
}

/**
 * The clusterrole-aggregation controller's computation (pkg/controller/clusterroleaggregation):
 * the union, without duplicates and in order, of the rules of every ClusterRole (other than
 * `role` itself) matched by one of `role`'s clusterRoleSelectors.
 */
export function aggregateRules(role: KubeObject, all: KubeObject[]): PolicyRule[] {
  const sels = ((role as Record<string, any>).aggregationRule?.clusterRoleSelectors ?? []) as unknown[];
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const matched = new Set<string>();
  for (const sel of sels) {
    for (const other of [...all].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
      const name = String(other.metadata?.name);
      if (name === role.metadata?.name || matched.has(name)) continue;
      if (!labelSelectorMatches(sel, other.metadata?.labels ?? {})) continue;
      matched.add(name);
      for (const r of ((other as Record<string, unknown>).rules ?? []) as PolicyRule[]) {
        const k = ruleKey(r);
        if (!seen.has(k)) {
          seen.add(k);
          out.push(r);
        }
      }
    }
  }
  return out;
}

