/**
 * ClusterRole validation, after upstream pkg/apis/rbac/validation (ValidateClusterRole,
 * ValidateClusterRoleUpdate): cluster-scoped, rules valid (non-resource URLs allowed), and an
 * aggregationRule, when present, needs at least one valid clusterRoleSelector.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, required, type FieldError } from '../../../../machinery/errors.ts';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { arr } from '../../../common/meta.ts';
import { validatePolicyRules, validateRBACName } from '../policy.ts';

/** `ValidateClusterRole`. */
export function validateClusterRole(role: KubeObject): FieldError[] {
  const errs = [...validateObjectMeta(role.metadata, false, validateRBACName, 'metadata'), ...validatePolicyRules(role, false)];
  const agg = (role as Record<string, unknown>).aggregationRule as { clusterRoleSelectors?: unknown[] } | undefined | null;
  if (agg) {
    const sp = FieldPath.root('aggregationRule').child('clusterRoleSelectors');
    const sels = arr(agg.clusterRoleSelectors);
    if (sels.length === 0) errs.push(required(sp, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s, i) => errs.push(...validateLabelSelector(s, sp.index(i))));
  }
  return errs;
}

/** `ValidateClusterRoleUpdate`: create rules plus ObjectMeta update rules. */
export function validateClusterRoleUpdate(role: KubeObject, old: KubeObject): FieldError[] {
  return [...validateClusterRole(role), ...validateObjectMetaUpdate(role.metadata, old.metadata, 'metadata')];
}
