/** Role validation, after upstream pkg/apis/rbac/validation (ValidateRole, ValidateRoleUpdate). */
import type { KubeObject } from '../../../../client/interface.ts';
import type { FieldError } from '../../../../machinery/errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { validatePolicyRules, validateRBACName } from '../policy.ts';

/** `ValidateRole`: namespaced, name a path segment name, every rule valid (no non-resource URLs). */
export function validateRole(role: KubeObject): FieldError[] {
  return [...validateObjectMeta(role.metadata, true, validateRBACName, 'metadata'), ...validatePolicyRules(role, true)];
}

/** `ValidateRoleUpdate`: create rules plus ObjectMeta update rules. */
export function validateRoleUpdate(role: KubeObject, old: KubeObject): FieldError[] {
  return [...validateRole(role), ...validateObjectMetaUpdate(role.metadata, old.metadata, 'metadata')];
}
