/**
 * StatefulSet registry policy, after upstream pkg/registry/apps/statefulset/strategy.go: create
 * clears status and sets generation 1; updates keep status and bump generation on spec change;
 * `/status` keeps the old spec and labels.
 */
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, prepareForUpdateWithGeneration } from '../../../common/meta.ts';
import { setDefaultsStatefulSet } from './defaults.ts';
import { validateStatefulSet, validateStatefulSetStatusUpdate, validateStatefulSetUpdate } from './validation.ts';

/** The StatefulSet strategy. */
export const statefulSetStrategy: Strategy = {
  defaults: setDefaultsStatefulSet,
  prepareForCreate: (obj) => prepareForCreateWithGeneration(obj),
  prepareForUpdate: prepareForUpdateWithGeneration,
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const statefulSetStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateStatefulSetStatusUpdate,
};
