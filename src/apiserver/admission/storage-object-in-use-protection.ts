/**
 * StorageObjectInUseProtection admission, after
 * plugin/pkg/admission/storage/storageobjectinuseprotection: every PersistentVolumeClaim created
 * gets the finalizer `kubernetes.io/pvc-protection` and every PersistentVolume
 * `kubernetes.io/pv-protection`, so neither disappears while in use (the protection controllers
 * in src/controllers/volume/protection.ts remove them once unused).
 */
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';

/** Finalizer of claims in use by pods. */
export const PVCProtectionFinalizer = 'kubernetes.io/pvc-protection';
/** Finalizer of volumes bound to claims. */
export const PVProtectionFinalizer = 'kubernetes.io/pv-protection';

/** The StorageObjectInUseProtection plugin. */
export class StorageObjectInUseProtection implements AdmissionPlugin {
  readonly name = 'StorageObjectInUseProtection';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource !== '' || a.resource.group !== '' || !a.object) return;
    const finalizer =
      a.resource.resource === 'persistentvolumeclaims' ? PVCProtectionFinalizer : a.resource.resource === 'persistentvolumes' ? PVProtectionFinalizer : '';
    if (!finalizer) return;
    const m = (a.object.metadata ??= {}) as { finalizers?: string[] };
    const list = m.finalizers ?? [];
    if (!list.includes(finalizer)) m.finalizers = [...list, finalizer];
  }
}
