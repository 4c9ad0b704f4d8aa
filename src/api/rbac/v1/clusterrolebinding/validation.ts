/**
 * ClusterRoleBinding validation, after upstream pkg/apis/rbac/validation
 * (ValidateClusterRoleBinding, ValidateClusterRoleBindingUpdate): roleRef to a ClusterRole only,
 * ServiceAccount subjects need a namespace; `cannot change roleRef` on update.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { FieldError } from '../../../../machinery/errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { validateBindingRefAndSubjects, validateRBACName, validateRoleRefUnchanged } from '../policy.ts';

/** `ValidateClusterRoleBinding`. */
export function validateClusterRoleBinding(crb: KubeObject): FieldError[] {
  return [...validateObjectMeta(crb.metadata, false, validateRBACName, 'metadata'), ...validateBindingRefAndSubjects(crb, ['ClusterRole'], false)];
}

/** `ValidateClusterRoleBindingUpdate`. */
export function validateClusterRoleBindingUpdate(crb: KubeObject, old: KubeObject): FieldError[] {
  return [...validateClusterRoleBinding(crb), ...validateObjectMetaUpdate(crb.metadata, old.metadata, 'metadata'), ...validateRoleRefUnchanged(crb, old)];
}
