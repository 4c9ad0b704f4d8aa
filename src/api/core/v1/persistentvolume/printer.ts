/**
 * PersistentVolume Table, after upstream printPersistentVolume: NAME, CAPACITY (storage
 * quantity, `0` when absent), ACCESS MODES (`RWO,ROX,RWX,RWOP`), RECLAIM POLICY, STATUS (phase,
 * `Terminating` once deleting), CLAIM (`ns/name`), STORAGECLASS, VOLUMEATTRIBUTESCLASS (`<unset>`),
 * REASON, AGE, wide VOLUMEMODE (`<unset>`).
 */
import type { TableConvertor } from '../../../resource-types.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';
import { tryParseQuantity } from '../../../../machinery/quantity.ts';
import { getAccessModesAsString, getPersistentVolumeClass } from './helpers.ts';

/** `Quantity.String()` of a ResourceList entry (`0` when absent, the raw value when unparsable). */
export function quantityCell(v: unknown): string {
  if (v === undefined || v === null) return '0';
  return tryParseQuantity(String(v))?.toString() ?? String(v);
}

/** PersistentVolume Table. */
export const persistentVolumeTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn,
    column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.', 1),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const cr = spec.claimRef ? `${rec(spec.claimRef).namespace ?? ''}/${rec(spec.claimRef).name ?? ''}` : '';
    const phase = obj.metadata?.deletionTimestamp ? 'Terminating' : String(status.phase ?? '');
    return [
      objName(obj),
      quantityCell(rec(spec.capacity).storage),
      getAccessModesAsString(spec.accessModes),
      String(spec.persistentVolumeReclaimPolicy ?? ''),
      phase,
      cr,
      getPersistentVolumeClass(obj),
      spec.volumeAttributesClassName ?? '<unset>',
      String(status.reason ?? ''),
      objAge(obj, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};
