/**
 * StatefulSet validation, after upstream pkg/apis/apps/validation ValidateStatefulSet,
 * ValidateStatefulSetSpec, ValidateStatefulSetUpdate (only replicas, ordinals, template,
 * updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds may change; the
 * selector is immutable) and ValidateStatefulSetStatusUpdate.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  isDNS1035Label,
  nameIsDNSSubdomain,
  validateAnnotations,
  validateLabels,
  validateNonnegativeField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { goIntOrStringValue, goMapValue } from '../../../common/go-value.ts';
import { deepCopy, rec, semanticDeepEqual } from '../../../common/meta.ts';
import type { Selector } from '../../../../machinery/labels.ts';
import { validateReplicaCounters, validateWorkloadSelector, validateCollisionCountUpdate } from '../../../common/workload.ts';
import { getIntOrPercentValue, getPercentValue, validatePositiveIntOrPercent } from '../deployment/validation.ts';

const specPath = FieldPath.root('spec');

/** `ValidatePersistentVolumeClaimRetentionPolicy`: each of whenDeleted/whenScaled is Retain or Delete. */
function validatePVCRetentionPolicy(policy: unknown, path: FieldPath): FieldError[] {
  const p = rec(policy);
  const errs: FieldError[] = [];
  for (const k of ['whenDeleted', 'whenScaled']) {
    if (p[k] !== 'Retain' && p[k] !== 'Delete') errs.push(notSupported(path.child(k), p[k] ?? '', ['Retain', 'Delete']));
  }
  return errs;
}

/**
 * `ValidatePodTemplateSpecForStatefulSet`: the selector must match the template labels; only the
 * template's labels and annotations are validated. Upstream deliberately skips the pod spec here
 * (its volumeMounts may name volumeClaimTemplates, which are not volumes of the template); a bad
 * spec surfaces when the pods are created.
 */
export function validatePodTemplateSpecForStatefulSet(template: unknown, selector: Selector, path: FieldPath): FieldError[] {
  if (template === undefined || template === null) return [required(path, '')];
  const errs: FieldError[] = [];
  const m = rec(rec(template).metadata);
  const labels = rec(m.labels) as Record<string, string>;
  if (!selector.empty() && !selector.matches(labels)) {
    errs.push(invalid(path.child('metadata', 'labels'), goMapValue(m.labels ?? null), '`selector` does not match template `labels`'));
  }
  errs.push(...validateLabels(m.labels, path.child('labels')));
  errs.push(...validateAnnotations(m.annotations, path.child('annotations')));
  return errs;
}

/** `ValidateStatefulSetSpec`. */
export function validateStatefulSetSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  if (s.podManagementPolicy !== 'OrderedReady' && s.podManagementPolicy !== 'Parallel') {
    if (!s.podManagementPolicy) errs.push(required(path.child('podManagementPolicy'), ''));
    else errs.push(invalid(path.child('podManagementPolicy'), s.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = rec(s.updateStrategy);
  const usPath = path.child('updateStrategy');
  switch (us.type) {
    case 'OnDelete':
      if (us.rollingUpdate) errs.push(invalid(usPath.child('rollingUpdate'), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (us.rollingUpdate) {
        const ru = rec(us.rollingUpdate);
        errs.push(...validateNonnegativeField(Number(ru.partition ?? 0), usPath.child('rollingUpdate', 'partition')));
        if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
          const muPath = usPath.child('rollingUpdate', 'maxUnavailable');
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, muPath));
          if (getIntOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalid(muPath, goIntOrStringValue(ru.maxUnavailable), 'must be greater than 0'));
          const [p, isPercent] = getPercentValue(ru.maxUnavailable);
          if (isPercent && p > 100) errs.push(invalid(muPath, goIntOrStringValue(ru.maxUnavailable), 'must not be greater than 100%'));
        }
      }
      break;
    case undefined:
    case '':
      errs.push(required(usPath, ''));
      break;
    default:
      errs.push(invalid(usPath, us.type, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  errs.push(...validatePVCRetentionPolicy(s.persistentVolumeClaimRetentionPolicy, path.child('persistentVolumeClaimRetentionPolicy')));
  errs.push(...validateNonnegativeField(Number(s.replicas ?? 0), path.child('replicas')));
  if (s.ordinals) errs.push(...validateNonnegativeField(Number(rec(s.ordinals).start ?? 0), path.child('ordinals', 'start')));
  errs.push(...validateNonnegativeField(Number(s.minReadySeconds ?? 0), path.child('minReadySeconds')));
  if (s.revisionHistoryLimit !== undefined && s.revisionHistoryLimit !== null) {
    errs.push(...validateNonnegativeField(Number(s.revisionHistoryLimit), path.child('revisionHistoryLimit')));
  }
  if (typeof s.serviceName === 'string' && s.serviceName !== '') {
    for (const msg of isDNS1035Label(s.serviceName)) errs.push(invalid(path.child('serviceName'), s.serviceName, msg));
  }
  const { errs: selErrs, selector } = validateWorkloadSelector(s.selector, path.child('selector'));
  errs.push(...selErrs);
  if (selector) errs.push(...validatePodTemplateSpecForStatefulSet(s.template, selector, path.child('template')));
  const tspec = rec(rec(s.template).spec);
  if (tspec.restartPolicy !== 'Always') errs.push(notSupported(path.child('template', 'spec', 'restartPolicy'), tspec.restartPolicy ?? '', ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(path.child('template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  if (s.volumeClaimTemplates !== undefined && !Array.isArray(s.volumeClaimTemplates)) {
    errs.push(invalid(path.child('volumeClaimTemplates'), s.volumeClaimTemplates, 'must be a list'));
  }
  return errs;
}

/** `ValidateStatefulSet`: ObjectMeta (DNS subdomain name) and spec. */
export function validateStatefulSet(sts: KubeObject): FieldError[] {
  return [...validateObjectMeta(sts.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateStatefulSetSpec(sts.spec, specPath)];
}

/** Spec fields an update may change (upstream ValidateStatefulSetUpdate). */
const mutableSpecFields = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/**
 * `ValidateStatefulSetUpdate`: the new spec must be valid and equal the old one except for
 * {@link mutableSpecFields} (`spec: Forbidden: updates to statefulset spec for fields other than …`).
 */
export function validateStatefulSetUpdate(sts: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(sts.metadata, old.metadata, 'metadata');
  errs.push(...validateStatefulSetSpec(sts.spec, specPath));
  const a = deepCopy(rec(sts.spec));
  const b = deepCopy(rec(old.spec));
  for (const f of mutableSpecFields) {
    delete a[f];
    delete b[f];
  }
  if (!semanticDeepEqual(a, b)) {
    errs.push(
      forbidden(
        specPath,
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

/** `ValidateStatefulSetStatusUpdate`: counters non-negative and bounded; collisionCount never decremented. */
export function validateStatefulSetStatusUpdate(sts: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(sts.metadata, old.metadata, 'metadata');
  const st = rec(sts.status);
  const sp = FieldPath.root('status');
  errs.push(
    ...validateReplicaCounters(
      st,
      sp,
      ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration'],
      ['readyReplicas', 'currentReplicas', 'updatedReplicas'],
    ),
  );
  errs.push(...validateCollisionCountUpdate(st, rec(old.status), sp));
  return errs;
}
