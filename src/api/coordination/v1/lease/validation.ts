/** Lease validation, after upstream pkg/apis/coordination/validation ValidateLease / ValidateLeaseUpdate / ValidateLeaseSpec. */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { rec } from '../../../common/meta.ts';

/** `ValidateLeaseSpec`: leaseDurationSeconds > 0, leaseTransitions ≥ 0, strategy known, preferredHolder only with a strategy. */
export function validateLeaseSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds !== null && Number(s.leaseDurationSeconds) <= 0) {
    errs.push(invalid(path.child('leaseDurationSeconds'), s.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (s.leaseTransitions !== undefined && s.leaseTransitions !== null && Number(s.leaseTransitions) < 0) {
    errs.push(invalid(path.child('leaseTransitions'), s.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (s.strategy !== undefined && s.strategy !== null && s.strategy !== 'OldestEmulationVersion') {
    errs.push(notSupported(path.child('strategy'), s.strategy, ['OldestEmulationVersion']));
  }
  if (s.preferredHolder && !s.strategy) errs.push(forbidden(path.child('preferredHolder'), 'may only be specified if `strategy` is defined'));
  return errs;
}

/** `ValidateLease`: ObjectMeta (DNS subdomain name) and spec. */
export function validateLease(lease: KubeObject): FieldError[] {
  return [...validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateLeaseSpec(lease.spec, FieldPath.root('spec'))];
}

/** `ValidateLeaseUpdate`: ObjectMeta update rules and spec. */
export function validateLeaseUpdate(lease: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(lease.metadata, old.metadata, 'metadata'), ...validateLeaseSpec(lease.spec, FieldPath.root('spec'))];
}
