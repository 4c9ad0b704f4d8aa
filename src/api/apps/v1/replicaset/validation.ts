/**
 * ReplicaSet validation, after upstream pkg/apis/apps/validation ValidateReplicaSet,
 * ValidateReplicaSetUpdate (selector immutable in apps/v1), ValidateReplicaSetStatusUpdate.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateNonnegativeField, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { goLabelSelectorValue } from '../../../common/go-value.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validatePodTemplateSpecForReplicaSet, validateReplicaCounters, validateWorkloadSelector } from '../../../common/workload.ts';

const specPath = FieldPath.root('spec');

/** `ValidateReplicaSetSpec`: replicas/minReadySeconds ≥ 0, selector, template matching the selector. */
export function validateReplicaSetSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  errs.push(...validateNonnegativeField(Number(s.replicas ?? 0), path.child('replicas')));
  errs.push(...validateNonnegativeField(Number(s.minReadySeconds ?? 0), path.child('minReadySeconds')));
  const { errs: selErrs, selector } = validateWorkloadSelector(s.selector, path.child('selector'));
  errs.push(...selErrs);
  if (selector) errs.push(...validatePodTemplateSpecForReplicaSet(s.template, selector, path.child('template')));
  return errs;
}

/** `ValidateReplicaSet`: ObjectMeta (DNS subdomain name) and spec. */
export function validateReplicaSet(rs: KubeObject): FieldError[] {
  return [...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateReplicaSetSpec(rs.spec, specPath)];
}

/** `ValidateReplicaSetUpdate` plus the apps/v1 selector immutability (`spec.selector: Invalid value: v1.LabelSelector{…}: field is immutable`). */
export function validateReplicaSetUpdate(rs: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata, 'metadata');
  errs.push(...validateReplicaSetSpec(rs.spec, specPath));
  const ns = rec(rs.spec).selector;
  if (!semanticDeepEqual(ns, rec(old.spec).selector)) errs.push(invalid(specPath.child('selector'), goLabelSelectorValue(ns), 'field is immutable'));
  return errs;
}

/** `ValidateReplicaSetStatusUpdate`: ObjectMeta update rules and `ValidateReplicaSetStatus`. */
export function validateReplicaSetStatusUpdate(rs: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata, 'metadata');
  errs.push(
    ...validateReplicaCounters(
      rec(rs.status),
      FieldPath.root('status'),
      ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
      ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  );
  return errs;
}
