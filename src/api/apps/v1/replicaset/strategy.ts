/**
 * ReplicaSet registry policy, after upstream pkg/registry/apps/replicaset/strategy.go: create
 * clears status and sets generation 1; updates keep status and bump generation on spec change;
 * `/status` keeps the old spec and labels. Field selectors: status.replicas.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, prepareForUpdateWithGeneration, rec } from '../../../common/meta.ts';
import { setDefaultsReplicaSet } from './defaults.ts';
import { validateReplicaSet, validateReplicaSetStatusUpdate, validateReplicaSetUpdate } from './validation.ts';

/** Field-selector attributes: metadata.name/namespace, status.replicas. */
export function getReplicaSetAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), 'status.replicas': String(Number(rec(obj.status).replicas ?? 0)) };
}

/** The ReplicaSet strategy. */
export const replicaSetStrategy: Strategy = {
  defaults: setDefaultsReplicaSet,
  prepareForCreate: (obj) => prepareForCreateWithGeneration(obj),
  prepareForUpdate: prepareForUpdateWithGeneration,
  validate: validateReplicaSet,
  validateUpdate: validateReplicaSetUpdate,
  getAttrs: getReplicaSetAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const replicaSetStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateReplicaSetStatusUpdate,
};
