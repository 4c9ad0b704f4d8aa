/**
 * Policy-rule matching, after upstream plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows) and
 * pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches, APIGroupMatches, ResourceMatches,
 * ResourceNameMatches, NonResourceURLMatches).
 */
import type { PolicyRule } from '../../../api/rbac/v1/policy.ts';
import type { AuthorizationAttributes } from '../authorizer.ts';

/** `rbacv1.VerbAll`, `APIGroupAll`, `ResourceAll`, `NonResourceAll`. */
export const ALL = '*';

/** True when the rule lists `verb` or `*`. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return (rule.verbs ?? []).some((v) => v === ALL || v === verb);
}

/** True when the rule lists `group` or `*`. */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/**
 * True when a rule resource is `*`, equals `combined` (`pods` or `pods/log`), or is
 * `* /<subresource>` (written without the space) for a request on that subresource.
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** True when the rule has no resourceNames, or lists `name`. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** True when a rule URL is `*`, equals `path`, or ends in `*` and is a prefix of `path`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/**
 * `RuleAllows`: for a resource request verb, API group, `resource[/subresource]` and name must
 * all match; for a non-resource request verb and path.
 */
export function ruleAllows(a: AuthorizationAttributes, rule: PolicyRule): boolean {
  if (a.isResourceRequest === false) return verbMatches(rule, a.verb) && nonResourceURLMatches(rule, a.path ?? '');
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return verbMatches(rule, a.verb) && apiGroupMatches(rule, a.apiGroup) && resourceMatches(rule, combined, a.subresource) && resourceNameMatches(rule, a.name);
}
