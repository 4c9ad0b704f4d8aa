/**
 * PersistentVolume registry policy, after upstream pkg/registry/core/persistentvolume/strategy.go:
 * cluster-scoped; create resets status to `{phase: Pending, lastPhaseTransitionTime: now}`; updates
 * keep the status; `/status` keeps the spec and stamps `lastPhaseTransitionTime` when the phase
 * changes. Field selector: `name` (upstream's legacy alias) besides metadata.name.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, objectMetaFieldsSet, rec } from '../../../common/meta.ts';
import { setDefaultsPersistentVolume } from './defaults.ts';
import { validatePersistentVolume, validatePersistentVolumeStatusUpdate, validatePersistentVolumeUpdate } from './validation.ts';

/** RFC 3339 seconds-precision timestamp of now. */
function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Field-selector attributes of a PersistentVolume (`PersistentVolumeToSelectableFields`). */
export function getPersistentVolumeAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), name: obj.metadata?.name ?? '' };
}

/** The PersistentVolume strategy (cluster-scoped). */
export const persistentVolumeStrategy: Strategy = {
  defaults: setDefaultsPersistentVolume,
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', lastPhaseTransitionTime: nowRFC3339() };
  },
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
  },
  validate: validatePersistentVolume,
  validateUpdate: validatePersistentVolumeUpdate,
  getAttrs: getPersistentVolumeAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec from the old object; `lastPhaseTransitionTime` stamped on a phase change. */
export const persistentVolumeStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const ns = rec(obj.status);
    const os = rec(old.status);
    if (ns.phase !== os.phase) ns.lastPhaseTransitionTime = nowRFC3339();
    obj.status = ns;
  },
  validateUpdate: validatePersistentVolumeStatusUpdate,
};
