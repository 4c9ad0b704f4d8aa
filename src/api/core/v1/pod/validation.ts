/**
 * Pod validation, after upstream pkg/apis/core/validation/validation.go: ValidatePodCreate,
 * ValidatePodUpdate (only images, activeDeadlineSeconds, added tolerations, removed scheduling
 * gates and a negative→1 grace period may change), ValidatePodStatusUpdate, ValidatePodBinding.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  inclusiveRangeError,
  isValidIP,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { arr, deepCopy, rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validatePodSpec, validateTolerations } from '../../../common/pod-spec-validation.ts';

const specPath = FieldPath.root('spec');

/** The list upstream prints in the "pod updates may not change fields other than …" message. */
export const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/**
 * `ValidatePodCreate`: ObjectMeta (name a DNS-1123 subdomain, namespace required), the pod
 * spec, no ephemeral containers on create.
 * @returns field errors (empty = valid)
 */
export function validatePod(pod: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain, 'metadata');
  errs.push(...validatePodSpec(pod.spec, specPath));
  if (arr(rec(pod.spec).ephemeralContainers).length > 0) errs.push(forbidden(specPath.child('ephemeralContainers'), 'cannot be set on create'));
  return errs;
}

/** `ValidateContainerUpdates`: same number of containers; images set and without surrounding whitespace. */
function validateContainerUpdates(newC: unknown, oldC: unknown, path: FieldPath): { errs: FieldError[]; stop: boolean } {
  const n = arr(newC);
  const o = arr(oldC);
  if (n.length !== o.length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = typeof rec(c).image === 'string' ? (rec(c).image as string) : '';
    if (!image) errs.push(required(path.index(i).child('image'), ''));
    if (image.trim().length !== image.length) errs.push(invalid(path.index(i).child('image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

/** `validateOnlyAddedTolerations`: existing tolerations may only change tolerationSeconds. */
function validateOnlyAddedTolerations(newT: unknown, oldT: unknown, path: FieldPath): FieldError[] {
  for (const old of arr(oldT)) {
    const found = arr(newT).some((nt) => semanticDeepEqual({ ...rec(old), tolerationSeconds: rec(nt).tolerationSeconds }, nt));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newT, path);
}

/** `validateOnlyDeletedSchedulingGates`: gates may be removed, never added. */
function validateOnlyDeletedSchedulingGates(newG: unknown, oldG: unknown, path: FieldPath): FieldError[] {
  const oldNames = new Set(arr(oldG).map((g) => rec(g).name));
  for (const g of arr(newG)) {
    if (!oldNames.has(rec(g).name)) return [forbidden(path, 'only deletion is allowed, but found new scheduling gate \'' + String(rec(g).name) + "'")];
  }
  return [];
}

/** Lists the top-level spec fields that differ, as a short stand-in for upstream's cmp.Diff. */
function specDiff(oldSpec: Record<string, any>, newSpec: Record<string, any>): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines: string[] = [];
  for (const k of keys) {
    if (semanticDeepEqual(oldSpec[k], newSpec[k])) continue;
    lines.push(`-\t${k}: ${JSON.stringify(oldSpec[k] ?? null)}`);
    lines.push(`+\t${k}: ${JSON.stringify(newSpec[k] ?? null)}`);
  }
  return `  core.PodSpec{\n${lines.join('\n')}\n  }\n`;
}

/**
 * `ValidatePodUpdate`: ObjectMeta update rules, the new spec valid, and only the updatable
 * fields changed; otherwise `spec: Forbidden: pod updates may not change fields other than …`.
 */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, 'metadata');
  errs.push(...validatePodSpec(pod.spec, specPath));
  const ns = rec(pod.spec);
  const os = rec(old.spec);
  let r = validateContainerUpdates(ns.containers, os.containers, specPath.child('containers'));
  errs.push(...r.errs);
  if (r.stop) return errs;
  r = validateContainerUpdates(ns.initContainers, os.initContainers, specPath.child('initContainers'));
  errs.push(...r.errs);
  if (r.stop) return errs;

  const ads = specPath.child('activeDeadlineSeconds');
  if (ns.activeDeadlineSeconds !== undefined && ns.activeDeadlineSeconds !== null) {
    const v = Number(ns.activeDeadlineSeconds);
    if (v < 0 || v > 2147483647) {
      errs.push(invalid(ads, v, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds !== null && Number(os.activeDeadlineSeconds) < v) {
      errs.push(invalid(ads, v, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds !== null) {
    errs.push(invalid(ads, null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(ns.tolerations, os.tolerations, specPath.child('tolerations')));
  errs.push(...validateOnlyDeletedSchedulingGates(ns.schedulingGates, os.schedulingGates, specPath.child('schedulingGates')));
  if (semanticDeepEqual(ns, os)) return errs;

  const munged = deepCopy(ns);
  arr(munged.containers).forEach((c, i) => (c.image = rec(arr(os.containers)[i]).image));
  arr(munged.initContainers).forEach((c, i) => (c.image = rec(arr(os.initContainers)[i]).image));
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  if (typeof os.terminationGracePeriodSeconds === 'number' && os.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  }
  if (!semanticDeepEqual(munged, os)) {
    errs.push(
      forbidden(specPath, `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${specDiff(os, munged)}`),
    );
  }
  return errs;
}

const podPhases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/**
 * `ValidatePodStatusUpdate`: ObjectMeta update rules, nominatedNodeName a DNS subdomain, valid
 * pod/host IPs and a known phase.
 */
export function validatePodStatusUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata, 'metadata');
  const st = rec(pod.status);
  const sp = FieldPath.root('status');
  const nnn = typeof st.nominatedNodeName === 'string' ? st.nominatedNodeName : '';
  if (nnn) for (const m of nameIsDNSSubdomain(nnn, false)) errs.push(invalid(sp.child('nominatedNodeName'), nnn, m));
  if (st.phase !== undefined && st.phase !== '' && !podPhases.includes(st.phase)) errs.push(notSupported(sp.child('phase'), st.phase, podPhases));
  arr(st.podIPs).forEach((p, i) => {
    const ip = String(rec(p).ip ?? '');
    for (const m of isValidIP(ip)) errs.push(invalid(sp.child('podIPs').index(i), ip, m));
  });
  arr(st.hostIPs).forEach((p, i) => {
    const ip = String(rec(p).ip ?? '');
    for (const m of isValidIP(ip)) errs.push(invalid(sp.child('hostIPs').index(i), ip, m));
  });
  return errs;
}

/**
 * `ValidatePodBinding`: `target.kind` empty or `Node`; `target.name` required.
 * @param binding a v1 Binding `{metadata, target: {kind, name}}`
 */
export function validatePodBinding(binding: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const target = rec(binding.target);
  const kind = typeof target.kind === 'string' ? target.kind : '';
  if (kind && kind !== 'Node') errs.push(notSupported(FieldPath.root('target').child('kind'), kind, ['Node', '<empty>']));
  if (!target.name) errs.push(required(FieldPath.root('target').child('name'), ''));
  return errs;
}
