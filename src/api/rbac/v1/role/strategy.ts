/** Role registry policy (upstream pkg/registry/rbac/role/strategy.go): namespaced, no status. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validateRole, validateRoleUpdate } from './validation.ts';

/** The Role strategy. */
export const roleStrategy: Strategy = simpleStrategy({ validate: validateRole, validateUpdate: validateRoleUpdate });
