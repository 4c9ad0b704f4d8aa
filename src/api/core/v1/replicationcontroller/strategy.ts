/**
 * ReplicationController registry policy, after upstream pkg/registry/core/replicationcontroller/strategy.go:
 * create clears status and sets generation 1; updates keep status and bump generation on spec
 * change; `/status` keeps the old spec and labels. Field selectors: status.replicas.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, prepareForUpdateWithGeneration, rec } from '../../../common/meta.ts';
import { setDefaultsReplicationController } from './defaults.ts';
import { validateReplicationController, validateReplicationControllerStatusUpdate, validateReplicationControllerUpdate } from './validation.ts';

/** Field-selector attributes (upstream ControllerToSelectableFields): metadata.name/namespace, status.replicas. */
export function getReplicationControllerAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), 'status.replicas': String(Number(rec(obj.status).replicas ?? 0)) };
}

/** The ReplicationController strategy. */
export const replicationControllerStrategy: Strategy = {
  defaults: setDefaultsReplicationController,
  prepareForCreate: (obj) => prepareForCreateWithGeneration(obj),
  prepareForUpdate: prepareForUpdateWithGeneration,
  validate: validateReplicationController,
  validateUpdate: validateReplicationControllerUpdate,
  getAttrs: getReplicationControllerAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const replicationControllerStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateReplicationControllerStatusUpdate,
};
