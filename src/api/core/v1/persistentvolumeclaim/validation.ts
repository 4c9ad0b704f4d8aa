/**
 * PersistentVolumeClaim validation, after upstream pkg/apis/core/validation
 * (ValidatePersistentVolumeClaim, ValidatePersistentVolumeClaimSpec,
 * ValidatePersistentVolumeClaimUpdate, ValidatePersistentVolumeClaimStatusUpdate):
 * - accessModes: `Required value: at least 1 access mode is required`, each supported;
 * - `spec.resources[storage]`: Required, and `must be greater than zero`;
 * - selector a valid label selector; storageClassName a DNS subdomain;
 * - update: the spec is immutable (`spec: Forbidden: spec is immutable after creation except
 *   resources.requests and volumeAttributesClassName for bound claims`), except that `volumeName`
 *   may be set once, `storageClassName` may go from unset to a value (retroactive default class),
 *   and a bound claim's storage request may grow (`spec.resources.requests.storage: Forbidden:
 *   field can not be less than previous value`).
 * Departure: upstream appends a cmp.Diff of the specs to the immutability message; Skiff appends
 * the changed top-level spec fields as `field: old -> new` lines.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { errFormatWrong, tryParseQuantity } from '../../../../machinery/quantity.ts';
import { deepCopy, rec, semanticDeepEqual } from '../../../common/meta.ts';
import { BetaStorageClassAnnotation, validateAccessModes } from '../persistentvolume/helpers.ts';
import { validateClassName } from '../persistentvolume/validation.ts';

const specPath = FieldPath.root('spec');
const volumeModes = ['Block', 'Filesystem'];

/** `ValidatePersistentVolumeClaimSpec`. */
export function validatePersistentVolumeClaimSpec(specIn: unknown, path: FieldPath = specPath): FieldError[] {
  const spec = rec(specIn);
  const errs = validateAccessModes(spec.accessModes, path.child('accessModes'), 'at least 1 access mode is required');
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, path.child('selector')));
  const storagePath = path.child('resources').key('storage');
  const requests = rec(rec(spec.resources).requests);
  if (!('storage' in requests)) errs.push(required(storagePath, ''));
  else {
    const q = tryParseQuantity(String(requests.storage));
    if (!q) errs.push(invalid(storagePath, requests.storage, errFormatWrong));
    else if (q.sign() <= 0) errs.push(invalid(storagePath, q.toString(), 'must be greater than zero'));
  }
  errs.push(...validateClassName(spec.storageClassName, path.child('storageClassName')));
  if (spec.volumeMode && !volumeModes.includes(spec.volumeMode)) errs.push(notSupported(path.child('volumeMode'), spec.volumeMode, volumeModes));
  return errs;
}

/** `ValidatePersistentVolumeClaim`: namespaced metadata with a DNS-subdomain name, plus the spec. */
export function validatePersistentVolumeClaim(pvc: KubeObject): FieldError[] {
  return [...validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain, 'metadata'), ...validatePersistentVolumeClaimSpec(pvc.spec)];
}

function specDiff(oldSpec: Record<string, any>, newSpec: Record<string, any>): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  return keys
    .filter((k) => !semanticDeepEqual(oldSpec[k], newSpec[k]))
    .map((k) => `  ${k}: ${JSON.stringify(oldSpec[k] ?? null)} -> ${JSON.stringify(newSpec[k] ?? null)}`)
    .join('\n');
}

/** `ValidatePersistentVolumeClaimUpdate`; see the module comment. */
export function validatePersistentVolumeClaimUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata, old.metadata, 'metadata'), ...validatePersistentVolumeClaim(pvc)];
  const ns = deepCopy(rec(pvc.spec));
  const os = deepCopy(rec(old.spec));
  if (!os.volumeName) os.volumeName = ns.volumeName;
  const oldAnn = old.metadata?.annotations ?? {};
  const newAnn = pvc.metadata?.annotations ?? {};
  if ((newAnn[BetaStorageClassAnnotation] ?? '') !== (oldAnn[BetaStorageClassAnnotation] ?? '')) {
    errs.push(invalid(FieldPath.root('metadata').child('annotations').key(BetaStorageClassAnnotation), newAnn[BetaStorageClassAnnotation] ?? '', 'field is immutable'));
  }
  // Retroactive default StorageClass: unset → set is allowed.
  if (!(BetaStorageClassAnnotation in oldAnn) && (os.storageClassName === undefined || os.storageClassName === null) && ns.storageClassName) {
    delete ns.storageClassName;
  }
  const bound = rec(pvc.status).phase === 'Bound';
  const oldReq = rec(rec(os.resources).requests);
  const newReq = rec(rec(ns.resources).requests);
  if (bound && ns.resources?.requests) newReq.storage = oldReq.storage;
  if (!semanticDeepEqual(ns, os)) {
    errs.push(forbidden(specPath, `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(os, ns)}`));
  }
  const oldSize = tryParseQuantity(String(rec(rec(rec(old.spec).resources).requests).storage ?? '0'));
  const newSize = tryParseQuantity(String(rec(rec(rec(pvc.spec).resources).requests).storage ?? '0'));
  if (oldSize && newSize && newSize.cmp(oldSize) < 0) {
    errs.push(forbidden(specPath.child('resources', 'requests', 'storage'), 'field can not be less than previous value'));
  }
  return errs;
}

/** `ValidatePersistentVolumeClaimStatusUpdate`: metadata update rules, a known phase, non-negative capacity. */
export function validatePersistentVolumeClaimStatusUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pvc.metadata, old.metadata, 'metadata');
  const phase = rec(pvc.status).phase;
  const phases = ['Bound', 'Lost', 'Pending'];
  if (phase && !phases.includes(phase)) errs.push(notSupported(FieldPath.root('status').child('phase'), phase, phases));
  const cap = rec(rec(pvc.status).capacity);
  for (const [k, v] of Object.entries(cap)) {
    const q = tryParseQuantity(String(v));
    if (!q) errs.push(invalid(FieldPath.root('status').child('capacity').key(k), v, errFormatWrong));
  }
  return errs;
}
