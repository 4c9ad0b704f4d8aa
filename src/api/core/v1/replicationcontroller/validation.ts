/**
 * ReplicationController validation, after upstream pkg/apis/core/validation
 * ValidateReplicationController / ValidateReplicationControllerSpec / ValidateNonEmptySelector /
 * ValidatePodTemplateSpecForRC / ValidateReplicationControllerStatusUpdate. Unlike apps/v1
 * kinds, the RC selector (a plain label map) is mutable.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import { selectorFromSet } from '../../../../machinery/labels.ts';
import { nameIsDNSSubdomain, validateLabels, validateNonnegativeField, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { goMapValue } from '../../../common/go-value.ts';
import { rec } from '../../../common/meta.ts';
import { validatePodTemplateSpec } from '../../../common/pod-spec-validation.ts';
import { validateReplicaCounters } from '../../../common/workload.ts';

const specPath = FieldPath.root('spec');

/**
 * `ValidatePodTemplateSpecForRC`: template required; the selector must match its labels; valid
 * template; restartPolicy Always; no activeDeadlineSeconds.
 */
export function validatePodTemplateSpecForRC(template: unknown, selectorMap: Record<string, string>, path: FieldPath): FieldError[] {
  if (template === undefined || template === null) return [required(path, '')];
  const errs: FieldError[] = [];
  const t = rec(template);
  const selector = selectorFromSet(selectorMap);
  if (!selector.empty() && !selector.matches(rec(rec(t.metadata).labels) as Record<string, string>)) {
    errs.push(invalid(path.child('metadata', 'labels'), goMapValue(rec(t.metadata).labels ?? null), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(t, path));
  const spec = rec(t.spec);
  if (spec.restartPolicy !== 'Always') errs.push(notSupported(path.child('spec', 'restartPolicy'), spec.restartPolicy ?? '', ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(path.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

/** `ValidateReplicationControllerSpec`: minReadySeconds ≥ 0, non-empty valid selector, replicas ≥ 0, template. */
export function validateReplicationControllerSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const selector = rec(s.selector) as Record<string, string>;
  const errs: FieldError[] = [];
  errs.push(...validateNonnegativeField(Number(s.minReadySeconds ?? 0), path.child('minReadySeconds')));
  if (Object.keys(selector).length === 0) errs.push(required(path.child('selector'), ''));
  else errs.push(...validateLabels(selector, path.child('selector')));
  errs.push(...validateNonnegativeField(Number(s.replicas ?? 0), path.child('replicas')));
  errs.push(...validatePodTemplateSpecForRC(s.template, selector, path.child('template')));
  return errs;
}

/** `ValidateReplicationController`: ObjectMeta (DNS subdomain name) and spec. */
export function validateReplicationController(rc: KubeObject): FieldError[] {
  return [...validateObjectMeta(rc.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateReplicationControllerSpec(rc.spec, specPath)];
}

/** `ValidateReplicationControllerUpdate`: ObjectMeta update rules and the spec (selector may change). */
export function validateReplicationControllerUpdate(rc: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(rc.metadata, old.metadata, 'metadata'), ...validateReplicationControllerSpec(rc.spec, specPath)];
}

/** `ValidateReplicationControllerStatusUpdate`: ObjectMeta update rules and non-negative, bounded counters. */
export function validateReplicationControllerStatusUpdate(rc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rc.metadata, old.metadata, 'metadata');
  errs.push(
    ...validateReplicaCounters(
      rec(rc.status),
      FieldPath.root('status'),
      ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
      ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  );
  return errs;
}
