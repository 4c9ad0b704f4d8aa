/**
 * ControllerRevision validation, after upstream pkg/apis/apps/validation ValidateControllerRevision
 * (name is a DNS subdomain, `data` is mandatory, `revision` ≥ 0) and ValidateControllerRevisionUpdate
 * (`data` is immutable). `revision` stays mutable, as upstream: the DaemonSet and StatefulSet
 * controllers renumber a revision that becomes current again (rollback), through
 * history.UpdateControllerRevision.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, required, type FieldError } from '../../../../machinery/errors.ts';
import { fieldImmutableErrorMsg, nameIsDNSSubdomain, validateNonnegativeField, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { semanticDeepEqual } from '../../../common/meta.ts';

/** `ValidateControllerRevision`: ObjectMeta, `data` required (`data is mandatory`), `revision` non-negative. */
export function validateControllerRevision(cr: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain, 'metadata');
  if (cr.data === undefined || cr.data === null) errs.push(required(FieldPath.root('data'), 'data is mandatory'));
  errs.push(...validateNonnegativeField(Number(cr.revision ?? 0), FieldPath.root('revision')));
  return errs;
}

/** `ValidateControllerRevisionUpdate`: ObjectMeta update rules, the create rules, and immutable `data`. */
export function validateControllerRevisionUpdate(cr: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(cr.metadata, old.metadata, 'metadata');
  errs.push(...validateControllerRevision(cr).filter((e) => !e.field.startsWith('metadata')));
  if (!semanticDeepEqual(cr.data, old.data)) errs.push(invalid(FieldPath.root('data'), cr.data, fieldImmutableErrorMsg));
  return errs;
}
