/**
 * Job validation, after upstream pkg/apis/batch/validation/validation.go: ValidateJob
 * (validateJobSpec: counters ≥ 0, completionMode, selector required and matching the template
 * labels, the generated-selector consistency check, the pod template with restartPolicy
 * OnFailure or Never), ValidateJobUpdate (selector, template, completionMode, completions,
 * podFailurePolicy immutable) and ValidateJobUpdateStatus (counters ≥ 0).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import { labelSelectorAsSelector } from '../../../../machinery/labels.ts';
import { fieldImmutableErrorMsg, nameIsDNSSubdomain, validateLabelSelector, validateNonnegativeField, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { GoValue, goLabelSelectorValue, goMapValue } from '../../../common/go-value.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validatePodTemplateSpec } from '../../../common/pod-spec-validation.ts';

/** Label with the owning Job's uid, put on the template by the generated selector. */
export const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
/** Pre-1.27 spelling of {@link ControllerUidLabel}, still set. */
export const LegacyControllerUidLabel = 'controller-uid';
/** Label with the owning Job's name. */
export const JobNameLabel = 'batch.kubernetes.io/job-name';
/** Pre-1.27 spelling of {@link JobNameLabel}, still set. */
export const LegacyJobNameLabel = 'job-name';

const specPath = FieldPath.root('spec');
const unset = (v: unknown) => v === undefined || v === null;

/**
 * `generateSelector` (pkg/registry/batch/job/strategy.go): unless `spec.manualSelector` is true,
 * adds the job-name and controller-uid labels (both spellings) to the template where absent and
 * `batch.kubernetes.io/controller-uid=<uid>` to `spec.selector.matchLabels`. Mutates `job`;
 * needs `metadata.uid` and `metadata.name` to be set already.
 */
export function generateSelector(job: KubeObject): void {
  const spec = rec(job.spec);
  if (spec.manualSelector === true) return;
  const template = rec(spec.template);
  spec.template = template;
  const tm = rec(template.metadata);
  template.metadata = tm;
  const labels = rec(tm.labels) as Record<string, string>;
  tm.labels = labels;
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  for (const k of [LegacyJobNameLabel, JobNameLabel]) if (!(k in labels)) labels[k] = name;
  for (const k of [LegacyControllerUidLabel, ControllerUidLabel]) if (!(k in labels)) labels[k] = uid;
  const sel = rec(spec.selector);
  spec.selector = sel;
  const ml = rec(sel.matchLabels) as Record<string, string>;
  sel.matchLabels = ml;
  if (!(ControllerUidLabel in ml)) ml[ControllerUidLabel] = uid;
}

/**
 * `validateGeneratedSelector`: with an auto-generated selector, the template's controller-uid
 * labels and the selector must name this Job's uid (`` `selector` not auto-generated ``).
 */
function validateGeneratedSelector(job: KubeObject): FieldError[] {
  const spec = rec(job.spec);
  if (spec.manualSelector === true) return [];
  const uid = job.metadata?.uid ?? '';
  const labels = rec(rec(rec(spec.template).metadata).labels);
  const errs: FieldError[] = [];
  for (const k of [LegacyControllerUidLabel, ControllerUidLabel]) {
    if (labels[k] !== uid) {
      errs.push(invalid(specPath.child('template', 'metadata').child('labels'), goMapValue(labels as Record<string, string>), `must be '${k}=${uid}'`));
      return errs;
    }
  }
  const sel = rec(spec.selector);
  if (!semanticDeepEqual(rec(sel.matchLabels)[ControllerUidLabel], uid)) {
    errs.push(invalid(specPath.child('selector'), goLabelSelectorValue(sel as never), '`selector` not auto-generated'));
  }
  return errs;
}

/** `validateJobSpec`: counters, completionMode, selector, template (see module comment). */
export function validateJobSpec(spec: unknown, path: FieldPath): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    if (!unset(s[f])) errs.push(...validateNonnegativeField(Number(s[f]), path.child(f)));
  }
  const mode = s.completionMode;
  if (!unset(mode) && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(path.child('completionMode'), mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed') {
    if (unset(s.completions)) errs.push(required(path.child('completions'), 'when completion mode is Indexed'));
    else if (Number(s.completions) > 100000) errs.push(invalid(path.child('completions'), Number(s.completions), 'must be less than or equal to 100000 when completion mode is Indexed'));
  }
  if (unset(s.selector)) {
    errs.push(required(path.child('selector'), ''));
  } else {
    errs.push(...validateLabelSelector(rec(s.selector) as never, path.child('selector')));
    try {
      const sel = labelSelectorAsSelector(rec(s.selector) as never);
      const labels = rec(rec(rec(s.template).metadata).labels) as Record<string, string>;
      if (!sel.matches(labels)) {
        errs.push(invalid(path.child('template', 'metadata', 'labels'), goMapValue(rec(rec(s.template).metadata).labels ?? null), '`selector` does not match template `labels`'));
      }
    } catch {
      /* reported by validateLabelSelector */
    }
  }
  const tpath = path.child('template');
  errs.push(...validatePodTemplateSpec(s.template, tpath));
  const rp = rec(rec(s.template).spec).restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(tpath.child('spec', 'restartPolicy'), rp ?? '', ['OnFailure', 'Never']));
  if (!unset(s.podFailurePolicy)) {
    if (rp !== 'Never') errs.push(invalid(tpath.child('spec', 'restartPolicy'), rp ?? '', 'only "Never" is supported when podFailurePolicy is specified'));
    const rules = Array.isArray(rec(s.podFailurePolicy).rules) ? (rec(s.podFailurePolicy).rules as unknown[]) : [];
    rules.forEach((r, i) => {
      const action = rec(r).action;
      const rp2 = path.child('podFailurePolicy', 'rules').index(i).child('action');
      if (unset(action)) errs.push(required(rp2, ''));
      else if (!['Count', 'FailIndex', 'FailJob', 'Ignore'].includes(action)) errs.push(notSupported(rp2, action, ['Count', 'FailIndex', 'FailJob', 'Ignore']));
    });
  }
  return errs;
}

/** `ValidateJob`: ObjectMeta (DNS subdomain name), the generated-selector check and the spec. */
export function validateJob(job: KubeObject): FieldError[] {
  return [...validateObjectMeta(job.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validateGeneratedSelector(job), ...validateJobSpec(job.spec, specPath)];
}

/** `ValidateJobUpdate`: ObjectMeta update rules, the spec, and the immutable fields (`field is immutable`). */
export function validateJobUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata, 'metadata');
  errs.push(...validateJobSpec(job.spec, specPath));
  const s = rec(job.spec);
  const o = rec(old.spec);
  if (!semanticDeepEqual(s.selector, o.selector)) errs.push(invalid(specPath.child('selector'), goLabelSelectorValue(s.selector ?? null), fieldImmutableErrorMsg));
  if (!semanticDeepEqual(s.template, o.template)) errs.push(invalid(specPath.child('template'), new GoValue(s.template, 'core.PodTemplateSpec{…}'), fieldImmutableErrorMsg));
  if (!semanticDeepEqual(s.completionMode, o.completionMode)) errs.push(invalid(specPath.child('completionMode'), s.completionMode ?? null, fieldImmutableErrorMsg));
  if (!semanticDeepEqual(s.podFailurePolicy, o.podFailurePolicy)) errs.push(invalid(specPath.child('podFailurePolicy'), new GoValue(s.podFailurePolicy ?? null, 'batch.PodFailurePolicy{…}'), fieldImmutableErrorMsg));
  // Elastic Indexed Jobs may change completions together with parallelism.
  const elastic = s.completionMode === 'Indexed' && s.completions === s.parallelism && o.completions === o.parallelism;
  if (!elastic && !semanticDeepEqual(s.completions, o.completions)) errs.push(invalid(specPath.child('completions'), s.completions ?? null, fieldImmutableErrorMsg));
  return errs;
}

/** `ValidateJobUpdateStatus`: ObjectMeta update rules, status counters ≥ 0. */
export function validateJobStatusUpdate(job: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata, 'metadata');
  const st = rec(job.status);
  for (const f of ['active', 'ready', 'succeeded', 'failed', 'terminating']) {
    if (!unset(st[f])) errs.push(...validateNonnegativeField(Number(st[f]), FieldPath.root('status').child(f)));
  }
  return errs;
}
