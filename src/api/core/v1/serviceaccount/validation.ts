/** ServiceAccount validation, after upstream ValidateServiceAccount / ValidateServiceAccountUpdate. */
import type { KubeObject } from '../../../../client/interface.ts';
import type { FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';

/** `ValidateServiceAccount`: name a DNS subdomain (ValidateServiceAccountName), namespaced. */
export function validateServiceAccount(sa: KubeObject): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain, 'metadata');
}

/** `ValidateServiceAccountUpdate`: ObjectMeta update rules plus create rules. */
export function validateServiceAccountUpdate(sa: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(sa.metadata, old.metadata, 'metadata'), ...validateServiceAccount(sa)];
}
