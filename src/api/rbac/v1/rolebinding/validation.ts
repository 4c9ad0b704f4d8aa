/**
 * RoleBinding validation, after upstream pkg/apis/rbac/validation (ValidateRoleBinding,
 * ValidateRoleBindingUpdate): roleRef to a Role or ClusterRole of rbac.authorization.k8s.io,
 * valid subjects; on update `roleRef: Invalid value: …: cannot change roleRef`.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { FieldError } from '../../../../machinery/errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { validateBindingRefAndSubjects, validateRBACName, validateRoleRefUnchanged } from '../policy.ts';

/** `ValidateRoleBinding`. */
export function validateRoleBinding(rb: KubeObject): FieldError[] {
  return [...validateObjectMeta(rb.metadata, true, validateRBACName, 'metadata'), ...validateBindingRefAndSubjects(rb, ['Role', 'ClusterRole'], true)];
}

/** `ValidateRoleBindingUpdate`. */
export function validateRoleBindingUpdate(rb: KubeObject, old: KubeObject): FieldError[] {
  return [...validateRoleBinding(rb), ...validateObjectMetaUpdate(rb.metadata, old.metadata, 'metadata'), ...validateRoleRefUnchanged(rb, old)];
}
