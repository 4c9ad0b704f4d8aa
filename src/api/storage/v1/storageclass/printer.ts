/**
 * StorageClass Table, after upstream printStorageClass: NAME (with ` (default)` appended for the
 * default class), PROVISIONER, RECLAIMPOLICY (Delete when unset), VOLUMEBINDINGMODE (Immediate when
 * unset), ALLOWVOLUMEEXPANSION (a boolean, false when unset), AGE.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';

/** `storageclass.kubernetes.io/is-default-class`. */
export const IsDefaultStorageClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
/** `storageclass.beta.kubernetes.io/is-default-class` (still honoured). */
export const BetaIsDefaultStorageClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';

/** `IsDefaultAnnotation`: either annotation equal to `"true"`. */
export function isDefaultStorageClass(sc: KubeObject): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[IsDefaultStorageClassAnnotation] === 'true' || a[BetaIsDefaultStorageClassAnnotation] === 'true';
}

/** StorageClass Table. */
export const storageClassTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn,
  ],
  cells(obj, now) {
    const o = obj as KubeObject & Record<string, any>;
    const name = objName(obj) + (isDefaultStorageClass(obj) ? ' (default)' : '');
    return [name, String(o.provisioner ?? ''), o.reclaimPolicy ?? 'Delete', o.volumeBindingMode ?? 'Immediate', o.allowVolumeExpansion ?? false, objAge(obj, now)];
  },
};
