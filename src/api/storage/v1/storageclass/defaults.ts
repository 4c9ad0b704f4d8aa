/**
 * StorageClass defaulting, after upstream pkg/apis/storage/v1/defaults.go
 * (SetDefaults_StorageClass): `reclaimPolicy` Delete, `volumeBindingMode` Immediate.
 */
import type { KubeObject } from '../../../../client/interface.ts';

/** `SetDefaults_StorageClass` (mutates; StorageClass has no spec, fields are top-level). */
export function setDefaultsStorageClass(obj: KubeObject): void {
  const o = obj as KubeObject & Record<string, unknown>;
  if (!o.reclaimPolicy) o.reclaimPolicy = 'Delete';
  if (!o.volumeBindingMode) o.volumeBindingMode = 'Immediate';
}
