/**
 * Lease registry policy (upstream pkg/registry/coordination/lease/strategy.go): create-on-update
 * allowed, unconditional updates not allowed (leader election relies on resourceVersion).
 */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validateLease, validateLeaseUpdate } from './validation.ts';

/** The Lease strategy (namespaced, no status). */
export const leaseStrategy: Strategy = simpleStrategy({
  validate: validateLease,
  validateUpdate: validateLeaseUpdate,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
});
