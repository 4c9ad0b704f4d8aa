/**
 * PodTemplate registry policy, after upstream pkg/registry/core/podtemplate/strategy.go:
 * namespaced, no status; `template` gets the pod template defaults; generation 1 on create and
 * bumped when the template changes.
 */
import type { Strategy } from '../../../resource-types.ts';
import { meta, objectMetaFieldsSet, semanticDeepEqual } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';
import { validatePodTemplate, validatePodTemplateUpdate } from './validation.ts';

/** The PodTemplate strategy. */
export const podTemplateStrategy: Strategy = {
  defaults(obj) {
    if (obj.template === undefined || obj.template === null) obj.template = {};
    setDefaultsPodTemplateSpec(obj.template);
  },
  prepareForCreate(obj) {
    meta(obj).generation = 1;
  },
  prepareForUpdate(obj, old) {
    const oldGen = old.metadata?.generation ?? 0;
    meta(obj).generation = semanticDeepEqual(obj.template, old.template) ? oldGen : oldGen + 1;
  },
  validate: validatePodTemplate,
  validateUpdate: validatePodTemplateUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};
