/**
 * Helpers shared by PersistentVolume and PersistentVolumeClaim policy and printers, after upstream
 * pkg/apis/core/helper (GetAccessModesAsString, GetPersistentVolumeClass,
 * GetPersistentVolumeClaimClass) and pkg/apis/core/validation (ValidatePersistentVolumeAccessModes…).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, notSupported, required, forbidden, type FieldError } from '../../../../machinery/errors.ts';
import { arr, rec } from '../../../common/meta.ts';

/** Access modes accepted by the API (`supportedAccessModes`), sorted as upstream lists them in errors. */
export const SupportedAccessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

/** `volume.beta.kubernetes.io/storage-class`: the pre-1.6 way to name a class, still honoured before the field. */
export const BetaStorageClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

/**
 * `GetAccessModesAsString`: duplicates removed, then `RWO`, `ROX`, `RWX`, `RWOP` in that fixed
 * order, comma-joined (`''` when none).
 */
export function getAccessModesAsString(modes: unknown): string {
  const set = new Set(arr(modes).map(String));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** `GetPersistentVolumeClass`: the beta annotation first, then `spec.storageClassName`, else `''`. */
export function getPersistentVolumeClass(pv: KubeObject): string {
  const ann = pv.metadata?.annotations ?? {};
  if (BetaStorageClassAnnotation in ann) return ann[BetaStorageClassAnnotation];
  return String(rec(pv.spec).storageClassName ?? '');
}

/** `GetPersistentVolumeClaimClass`: the beta annotation first, then `spec.storageClassName`, else `''`. */
export function getPersistentVolumeClaimClass(pvc: KubeObject): string {
  const ann = pvc.metadata?.annotations ?? {};
  if (BetaStorageClassAnnotation in ann) return ann[BetaStorageClassAnnotation];
  return String(rec(pvc.spec).storageClassName ?? '');
}

/**
 * `ValidatePersistentVolumeAccessModes` / the claim variant: at least one mode
 * (`Required value` with `detail`), each supported (`Unsupported value`), and ReadWriteOncePod alone
 * (`Forbidden: may not use ReadWriteOncePod with other access modes`).
 */
export function validateAccessModes(modes: unknown, path: FieldPath, requiredDetail: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(modes).map(String);
  if (list.length === 0) {
    errs.push(required(path, requiredDetail));
    return errs;
  }
  for (const m of list) if (!SupportedAccessModes.includes(m)) errs.push(notSupported(path, m, SupportedAccessModes));
  if (list.includes('ReadWriteOncePod') && list.length > 1) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}
