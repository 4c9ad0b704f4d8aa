/**
 * DaemonSet validation, after upstream pkg/apis/apps/validation ValidateDaemonSet,
 * ValidateDaemonSetSpec, ValidateDaemonSetUpdateStrategy, ValidateRollingUpdateDaemonSet,
 * ValidateDaemonSetUpdate (+ apps/v1 selector immutability) and ValidateDaemonSetStatusUpdate.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateNonnegativeField, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { goIntOrStringValue, goLabelSelectorValue } from '../../../common/go-value.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validatePodTemplateSpecForReplicaSet, validateWorkloadSelector, validateCollisionCountUpdate } from '../../../common/workload.ts';
import { getIntOrPercentValue, getPercentValue, validatePositiveIntOrPercent } from '../deployment/validation.ts';

const specPath = FieldPath.root('spec');

function isNotMoreThan100Percent(v: unknown, path: FieldPath): FieldError[] {
  const [p, isPercent] = getPercentValue(v);
  return isPercent && p > 100 ? [invalid(path, goIntOrStringValue(v as never), 'must not be greater than 100%')] : [];
}

/** `ValidateRollingUpdateDaemonSet`: int or percent ≤ 100%, exactly one of maxUnavailable / maxSurge non-zero. */
export function validateRollingUpdateDaemonSet(ru: unknown, path: FieldPath): FieldError[] {
  const r = rec(ru);
  const errs: FieldError[] = [];
  errs.push(...validatePositiveIntOrPercent(r.maxUnavailable, path.child('maxUnavailable')));
  errs.push(...validatePositiveIntOrPercent(r.maxSurge, path.child('maxSurge')));
  errs.push(...isNotMoreThan100Percent(r.maxUnavailable, path.child('maxUnavailable')));
  errs.push(...isNotMoreThan100Percent(r.maxSurge, path.child('maxSurge')));
  const hasUnavailable = getIntOrPercentValue(r.maxUnavailable) !== 0;
  const hasSurge = getIntOrPercentValue(r.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(path.child('maxSurge'), goIntOrStringValue(r.maxSurge), 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge) errs.push(required(path.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  return errs;
}

/** `ValidateDaemonSetUpdateStrategy`: OnDelete, or RollingUpdate with a valid rollingUpdate. */
export function validateDaemonSetUpdateStrategy(strategy: unknown, path: FieldPath): FieldError[] {
  const s = rec(strategy);
  switch (s.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate':
      if (!s.rollingUpdate) return [required(path.child('rollingUpdate'), '')];
      return validateRollingUpdateDaemonSet(s.rollingUpdate, path.child('rollingUpdate'));
    default:
      return [notSupported(path.child('type'), s.type ?? '', ['OnDelete', 'RollingUpdate'])];
  }
}

/** `ValidateDaemonSetSpec`: selector (non-empty, matching the template labels), template (restartPolicy Always), counters, strategy. */
export function validateDaemonSetSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  const { errs: selErrs, selector } = validateWorkloadSelector(s.selector, path.child('selector'));
  errs.push(...selErrs.map((e) => (e.detail === 'empty selector is invalid for deployment' ? { ...e, detail: 'empty selector is invalid for daemonset' } : e)));
  if (selector) {
    errs.push(
      ...validatePodTemplateSpecForReplicaSet(s.template, selector, path.child('template')).map((e) =>
        e.detail === 'activeDeadlineSeconds in ReplicaSet is not Supported' ? { ...e, detail: 'activeDeadlineSeconds in DaemonSet is not Supported' } : e,
      ),
    );
  }
  errs.push(...validateNonnegativeField(Number(s.minReadySeconds ?? 0), path.child('minReadySeconds')));
  errs.push(...validateDaemonSetUpdateStrategy(s.updateStrategy, path.child('updateStrategy')));
  if (s.revisionHistoryLimit !== undefined && s.revisionHistoryLimit !== null) {
    errs.push(...validateNonnegativeField(Number(s.revisionHistoryLimit), path.child('revisionHistoryLimit')));
  }
  return errs;
}

/** `ValidateDaemonSet`: ObjectMeta (DNS subdomain name) and spec. */
export function validateDaemonSet(ds: KubeObject): FieldError[] {
  return [...validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateDaemonSetSpec(ds.spec, specPath)];
}

/** `ValidateDaemonSetUpdate` plus the apps/v1 selector immutability (`spec.selector: … field is immutable`). */
export function validateDaemonSetUpdate(ds: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata, 'metadata');
  errs.push(...validateDaemonSetSpec(ds.spec, specPath));
  const ns = rec(ds.spec).selector;
  if (!semanticDeepEqual(ns, rec(old.spec).selector)) errs.push(invalid(specPath.child('selector'), goLabelSelectorValue(ns), 'field is immutable'));
  return errs;
}

/** `ValidateDaemonSetStatusUpdate`: every counter non-negative; collisionCount never decremented. */
export function validateDaemonSetStatusUpdate(ds: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata, 'metadata');
  const st = rec(ds.status);
  const sp = FieldPath.root('status');
  for (const c of ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) {
    errs.push(...validateNonnegativeField(Number(st[c] ?? 0), sp.child(c)));
  }
  errs.push(...validateCollisionCountUpdate(st, rec(old.status), sp));
  return errs;
}
