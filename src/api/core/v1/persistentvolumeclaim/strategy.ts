/**
 * PersistentVolumeClaim registry policy, after upstream
 * pkg/registry/core/persistentvolumeclaim/strategy.go: namespaced; create resets status to
 * `{phase: Pending}`; updates keep the status; `/status` keeps the spec. Field selector: `name`
 * (upstream's legacy alias) besides metadata.name/namespace.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, objectMetaFieldsSet } from '../../../common/meta.ts';
import { setDefaultsPersistentVolumeClaim } from './defaults.ts';
import {
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimStatusUpdate,
  validatePersistentVolumeClaimUpdate,
} from './validation.ts';

/** Field-selector attributes of a PersistentVolumeClaim (`PersistentVolumeClaimToSelectableFields`). */
export function getPersistentVolumeClaimAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), name: obj.metadata?.name ?? '' };
}

/** The PersistentVolumeClaim strategy (namespaced). */
export const persistentVolumeClaimStrategy: Strategy = {
  defaults: setDefaultsPersistentVolumeClaim,
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
  },
  validate: validatePersistentVolumeClaim,
  validateUpdate: validatePersistentVolumeClaimUpdate,
  getAttrs: getPersistentVolumeClaimAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec from the old object. */
export const persistentVolumeClaimStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  validateUpdate: validatePersistentVolumeClaimStatusUpdate,
};
