/** ClusterRole registry policy (upstream pkg/registry/rbac/clusterrole/strategy.go): cluster-scoped, no status. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validateClusterRole, validateClusterRoleUpdate } from './validation.ts';

/** The ClusterRole strategy. */
export const clusterRoleStrategy: Strategy = simpleStrategy({ validate: validateClusterRole, validateUpdate: validateClusterRoleUpdate });
