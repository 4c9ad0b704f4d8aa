/**
 * Namespace validation, after upstream pkg/apis/core/validation ValidateNamespace,
 * ValidateNamespaceUpdate, ValidateNamespaceStatusUpdate, ValidateNamespaceFinalizeUpdate.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, type FieldError } from '../../../../machinery/errors.ts';
import { isQualifiedName, nameIsDNSLabel, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { arr, rec } from '../../../common/meta.ts';

/** `validateFinalizerName`: a qualified name; without a `/` only `kubernetes` is standard. */
function validateFinalizerName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && name !== 'kubernetes') {
    errs.push(invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

function validateSpecFinalizers(ns: KubeObject): FieldError[] {
  const p = FieldPath.root('spec').child('finalizers');
  return arr(rec(ns.spec).finalizers).flatMap((f) => validateFinalizerName(String(f), p));
}

/** `ValidateNamespace`: name a DNS-1123 label, cluster-scoped, spec.finalizers valid. */
export function validateNamespace(ns: KubeObject): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel, 'metadata');
  errs.push(...validateSpecFinalizers(ns));
  return errs;
}

/** `ValidateNamespaceUpdate`: ObjectMeta update rules (spec/status are reset by the strategy). */
export function validateNamespaceUpdate(ns: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata, 'metadata');
}

/** `ValidateNamespaceStatusUpdate`: phase Active without a deletionTimestamp, Terminating with one (path `status.Phase`, as upstream). */
export function validateNamespaceStatusUpdate(ns: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata, 'metadata');
  const phase = String(rec(ns.status).phase ?? '');
  const p = FieldPath.root('status').child('Phase'); // upstream's capital P
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== 'Active') errs.push(invalid(p, phase, 'may only be \'Active\' if `deletionTimestamp` is empty'));
  } else if (phase !== 'Terminating') {
    errs.push(invalid(p, phase, 'may only be \'Terminating\' if `deletionTimestamp` is not empty'));
  }
  return errs;
}

/** `ValidateNamespaceFinalizeUpdate`: ObjectMeta update rules and valid spec.finalizers. */
export function validateNamespaceFinalizeUpdate(ns: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata, 'metadata');
  errs.push(...validateSpecFinalizers(ns));
  return errs;
}
