/** ClusterRoleBinding registry policy (upstream pkg/registry/rbac/clusterrolebinding/strategy.go) with SetDefaults_ClusterRoleBinding. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { setDefaultsBinding } from '../policy.ts';
import { validateClusterRoleBinding, validateClusterRoleBindingUpdate } from './validation.ts';

/** The ClusterRoleBinding strategy. */
export const clusterRoleBindingStrategy: Strategy = simpleStrategy({ defaults: setDefaultsBinding, validate: validateClusterRoleBinding, validateUpdate: validateClusterRoleBindingUpdate });
