/**
 * Validation shared by ReplicaSet and Deployment (upstream pkg/apis/apps/validation):
 * ValidatePodTemplateSpecForReplicaSet, the selector rules, and status counters.
 */
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../machinery/errors.ts';
import { labelSelectorAsSelector, type Selector } from '../../machinery/labels.ts';
import { validateLabelSelector, validateNonnegativeField } from '../../machinery/validation.ts';
import { goLabelSelectorValue, goMapValue } from './go-value.ts';
import { rec } from './meta.ts';
import { validatePodTemplateSpec } from './pod-spec-validation.ts';

/**
 * Selector checks of a workload spec: required, valid, non-empty (`empty selector is invalid
 * for deployment`, upstream's wording for both kinds), convertible.
 * @returns errors and the parsed selector (undefined when it could not be converted)
 */
export function validateWorkloadSelector(selector: unknown, path: FieldPath): { errs: FieldError[]; selector?: Selector } {
  const errs: FieldError[] = [];
  if (selector === undefined || selector === null) {
    errs.push(required(path, ''));
  } else {
    const sel = rec(selector);
    errs.push(...validateLabelSelector(sel as never, path));
    if (Object.keys(rec(sel.matchLabels)).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0) === 0) {
      errs.push(invalid(path, goLabelSelectorValue(sel as never), 'empty selector is invalid for deployment'));
    }
  }
  try {
    return { errs, selector: labelSelectorAsSelector(selector as never) };
  } catch {
    errs.push(invalid(path, goLabelSelectorValue(rec(selector) as never), 'invalid label selector'));
    return { errs };
  }
}

/**
 * `ValidatePodTemplateSpecForReplicaSet`: the selector must match the template labels
 * (`spec.template.metadata.labels: Invalid value: map[string]string{…}: \`selector\` does not match template \`labels\``),
 * the template valid, restartPolicy Always, no activeDeadlineSeconds.
 */
export function validatePodTemplateSpecForReplicaSet(template: unknown, selector: Selector, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (template === undefined || template === null) return [required(path, '')];
  const t = rec(template);
  const labels = rec(rec(t.metadata).labels) as Record<string, string>;
  if (!selector.empty() && !selector.matches(labels)) {
    errs.push(invalid(path.child('metadata', 'labels'), goMapValue(rec(t.metadata).labels ?? null), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(t, path));
  const spec = rec(t.spec);
  if (spec.restartPolicy !== 'Always') errs.push(notSupported(path.child('spec', 'restartPolicy'), spec.restartPolicy ?? '', ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(path.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

/** Non-negative counters plus `cannot be greater than status.replicas` / `cannot be greater than readyReplicas`. */
export function validateReplicaCounters(status: Record<string, any>, path: FieldPath, counters: string[], boundedByReplicas: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const c of counters) errs.push(...validateNonnegativeField(Number(status[c] ?? 0), path.child(c)));
  const replicas = Number(status.replicas ?? 0);
  for (const c of boundedByReplicas) {
    if (Number(status[c] ?? 0) > replicas) errs.push(invalid(path.child(c), Number(status[c] ?? 0), 'cannot be greater than status.replicas'));
  }
  if (Number(status.availableReplicas ?? 0) > Number(status.readyReplicas ?? 0)) {
    errs.push(invalid(path.child('availableReplicas'), Number(status.availableReplicas ?? 0), 'cannot be greater than readyReplicas'));
  }
  return errs;
}

/**
 * `status.collisionCount` rules shared by Deployment, DaemonSet and StatefulSet status updates
 * (upstream ValidateDeploymentStatusUpdate & co.): non-negative when set, and never decremented
 * (`Invalid value: <new>: cannot be decremented`) once the old status carries one.
 */
export function validateCollisionCountUpdate(status: Record<string, any>, oldStatus: Record<string, any>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const cc = status.collisionCount;
  if (cc !== undefined && cc !== null) errs.push(...validateNonnegativeField(Number(cc), path.child('collisionCount')));
  const oc = oldStatus.collisionCount;
  if (oc !== undefined && oc !== null && (cc === undefined || cc === null || Number(cc) < Number(oc))) {
    errs.push(invalid(path.child('collisionCount'), cc ?? null, 'cannot be decremented'));
  }
  return errs;
}
