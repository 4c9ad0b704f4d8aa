/** ServiceAccount registry policy (upstream pkg/registry/core/serviceaccount/strategy.go). */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validateServiceAccount, validateServiceAccountUpdate } from './validation.ts';

/** The ServiceAccount strategy (namespaced, no status). */
export const serviceAccountStrategy: Strategy = simpleStrategy({ validate: validateServiceAccount, validateUpdate: validateServiceAccountUpdate });
