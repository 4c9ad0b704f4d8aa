/**
 * Deployment registry policy, after upstream pkg/registry/apps/deployment/strategy.go: create
 * clears status and sets generation 1; updates keep status and bump generation when the spec
 * or the annotations changed (annotations are copied to ReplicaSets); `/status` keeps the old
 * spec and labels.
 */
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, semanticDeepEqual } from '../../../common/meta.ts';
import { setDefaultsDeployment } from './defaults.ts';
import { validateDeployment, validateDeploymentStatusUpdate, validateDeploymentUpdate } from './validation.ts';

/** The Deployment strategy. */
export const deploymentStrategy: Strategy = {
  defaults: setDefaultsDeployment,
  prepareForCreate: (obj) => prepareForCreateWithGeneration(obj),
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
    const m = meta(obj);
    const oldGen = old.metadata?.generation ?? 0;
    const changed = !semanticDeepEqual(obj.spec, old.spec) || !semanticDeepEqual(m.annotations, old.metadata?.annotations);
    m.generation = changed ? oldGen + 1 : oldGen;
  },
  validate: validateDeployment,
  validateUpdate: validateDeploymentUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const deploymentStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateDeploymentStatusUpdate,
};
