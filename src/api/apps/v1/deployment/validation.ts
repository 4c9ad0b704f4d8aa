/**
 * Deployment validation, after upstream pkg/apis/apps/validation ValidateDeployment,
 * ValidateDeploymentSpec, ValidateDeploymentStrategy, ValidateRollingUpdateDeployment,
 * ValidateDeploymentUpdate (+ apps/v1 selector immutability), ValidateDeploymentStatusUpdate.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  isValidPercent,
  nameIsDNSSubdomain,
  validateNonnegativeField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { GoValue, goIntOrStringValue, goLabelSelectorValue } from '../../../common/go-value.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validatePodTemplateSpecForReplicaSet, validateReplicaCounters, validateWorkloadSelector, validateCollisionCountUpdate } from '../../../common/workload.ts';

const specPath = FieldPath.root('spec');

/** `getPercentValue`: `[n, true]` for a valid `N%` string, else `[0, false]`. */
export function getPercentValue(v: unknown): [number, boolean] {
  if (typeof v !== 'string' || isValidPercent(v).length) return [0, false];
  return [Number.parseInt(v.slice(0, -1), 10), true];
}

/** `getIntOrPercentValue`: the percent number, the int, or `IntValue()` of a string (0 unless numeric). */
export function getIntOrPercentValue(v: unknown): number {
  const [p, isPercent] = getPercentValue(v);
  if (isPercent) return p;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return Number.parseInt(v, 10);
  return 0;
}

/** `ValidatePositiveIntOrPercent`. */
export function validatePositiveIntOrPercent(v: unknown, path: FieldPath): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, goIntOrStringValue(v), m));
  if (typeof v === 'number') return validateNonnegativeField(v, path);
  return [invalid(path, goIntOrStringValue(v as never), "must be an integer or percentage (e.g '5%')")];
}

/** `ValidateRollingUpdateDeployment`: both non-negative int or percent, not both 0, maxUnavailable ≤ 100%. */
export function validateRollingUpdateDeployment(ru: unknown, path: FieldPath): FieldError[] {
  const r = rec(ru);
  const errs: FieldError[] = [];
  errs.push(...validatePositiveIntOrPercent(r.maxUnavailable, path.child('maxUnavailable')));
  errs.push(...validatePositiveIntOrPercent(r.maxSurge, path.child('maxSurge')));
  if (getIntOrPercentValue(r.maxUnavailable) === 0 && getIntOrPercentValue(r.maxSurge) === 0) {
    errs.push(invalid(path.child('maxUnavailable'), goIntOrStringValue(r.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
  }
  const [p, isPercent] = getPercentValue(r.maxUnavailable);
  if (isPercent && p > 100) errs.push(invalid(path.child('maxUnavailable'), goIntOrStringValue(r.maxUnavailable), 'must not be greater than 100%'));
  return errs;
}

/** `ValidateDeploymentStrategy`: Recreate forbids rollingUpdate; RollingUpdate requires it; other types unsupported. */
export function validateDeploymentStrategy(strategy: unknown, path: FieldPath): FieldError[] {
  const s = rec(strategy);
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate ? [forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate':
      if (!s.rollingUpdate) return [required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
      return validateRollingUpdateDeployment(s.rollingUpdate, path.child('rollingUpdate'));
    default: {
      // upstream reports the whole strategy at `spec.strategy` (printed with %#v).
      const ru = s.rollingUpdate ? '(*apps.RollingUpdateDeployment)(…)' : '(*apps.RollingUpdateDeployment)(nil)';
      const value = new GoValue(s, `apps.DeploymentStrategy{Type:${JSON.stringify(String(s.type ?? ''))}, RollingUpdate:${ru}}`);
      return [notSupported(path, value, ['Recreate', 'RollingUpdate'])];
    }
  }
}

/** `ValidateDeploymentSpec`. */
export function validateDeploymentSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  errs.push(...validateNonnegativeField(Number(s.replicas ?? 0), path.child('replicas')));
  const { errs: selErrs, selector } = validateWorkloadSelector(s.selector, path.child('selector'));
  errs.push(...selErrs);
  if (selector) errs.push(...validatePodTemplateSpecForReplicaSet(s.template, selector, path.child('template')));
  errs.push(...validateDeploymentStrategy(s.strategy, path.child('strategy')));
  const minReady = Number(s.minReadySeconds ?? 0);
  errs.push(...validateNonnegativeField(minReady, path.child('minReadySeconds')));
  if (s.revisionHistoryLimit !== undefined && s.revisionHistoryLimit !== null) {
    errs.push(...validateNonnegativeField(Number(s.revisionHistoryLimit), path.child('revisionHistoryLimit')));
  }
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds !== null) {
    const pds = Number(s.progressDeadlineSeconds);
    errs.push(...validateNonnegativeField(pds, path.child('progressDeadlineSeconds')));
    if (pds <= minReady) errs.push(invalid(path.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** `ValidateDeployment`: ObjectMeta (DNS subdomain name) and spec. */
export function validateDeployment(d: KubeObject): FieldError[] {
  return [...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateDeploymentSpec(d.spec, specPath)];
}

/** `ValidateDeploymentUpdate` plus apps/v1 selector immutability (`spec.selector: … field is immutable`). */
export function validateDeploymentUpdate(d: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata, 'metadata');
  errs.push(...validateDeploymentSpec(d.spec, specPath));
  const ns = rec(d.spec).selector;
  if (!semanticDeepEqual(ns, rec(old.spec).selector)) errs.push(invalid(specPath.child('selector'), goLabelSelectorValue(ns), 'field is immutable'));
  return errs;
}

/** `ValidateDeploymentStatusUpdate`: counters non-negative and bounded; collisionCount never decremented. */
export function validateDeploymentStatusUpdate(d: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata, 'metadata');
  const st = rec(d.status);
  const sp = FieldPath.root('status');
  errs.push(
    ...validateReplicaCounters(
      st,
      sp,
      ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'],
      ['updatedReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  );
  errs.push(...validateCollisionCountUpdate(st, rec(old.status), sp));
  return errs;
}
