/**
 * PersistentVolumeClaim Table, after upstream printPersistentVolumeClaim: NAME, STATUS (phase,
 * `Terminating` once deleting), VOLUME, CAPACITY and ACCESS MODES (from status, only once
 * `spec.volumeName` is set), STORAGECLASS, VOLUMEATTRIBUTESCLASS (`<unset>`), AGE, wide VOLUMEMODE.
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';
import { getAccessModesAsString, getPersistentVolumeClaimClass } from '../persistentvolume/helpers.ts';
import { quantityCell } from '../persistentvolume/printer.ts';

/** PersistentVolumeClaim Table. */
export const persistentVolumeClaimTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn,
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.', 1),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const phase = obj.metadata?.deletionTimestamp ? 'Terminating' : String(status.phase ?? '');
    let capacity = '';
    let modes = '';
    if (spec.volumeName) {
      modes = getAccessModesAsString(status.accessModes);
      capacity = quantityCell(rec(status.capacity).storage);
    }
    return [
      objName(obj),
      phase,
      String(spec.volumeName ?? ''),
      capacity,
      modes,
      getPersistentVolumeClaimClass(obj),
      spec.volumeAttributesClassName ?? '<unset>',
      objAge(obj, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};
