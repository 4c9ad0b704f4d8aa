/** RoleBinding registry policy (upstream pkg/registry/rbac/rolebinding/strategy.go) with SetDefaults_RoleBinding. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { setDefaultsBinding } from '../policy.ts';
import { validateRoleBinding, validateRoleBindingUpdate } from './validation.ts';

/** The RoleBinding strategy. */
export const roleBindingStrategy: Strategy = simpleStrategy({ defaults: setDefaultsBinding, validate: validateRoleBinding, validateUpdate: validateRoleBindingUpdate });
