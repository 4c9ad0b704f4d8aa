/**
 * DaemonSet registry policy, after upstream pkg/registry/apps/daemonset/strategy.go: create clears
 * status, sets generation 1 and template generation 1; an update keeps status, bumps generation
 * on a spec change and the template generation on a template change. apps/v1 carries the template
 * generation in the `deprecated.daemonset.template.generation` annotation (as the v1 conversion
 * does). `/status` keeps the old spec and labels.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { StatusStrategy, Strategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, prepareForUpdateWithGeneration, rec, semanticDeepEqual } from '../../../common/meta.ts';
import { setDefaultsDaemonSet } from './defaults.ts';
import { validateDaemonSet, validateDaemonSetStatusUpdate, validateDaemonSetUpdate } from './validation.ts';

/** Annotation holding the DaemonSet's template generation in apps/v1. */
export const DaemonSetTemplateGenerationAnnotation = 'deprecated.daemonset.template.generation';

/** The DaemonSet strategy. */
export const daemonSetStrategy: Strategy = {
  defaults: setDefaultsDaemonSet,
  prepareForCreate(obj) {
    prepareForCreateWithGeneration(obj);
    const m = meta(obj);
    m.annotations = { ...(m.annotations ?? {}), [DaemonSetTemplateGenerationAnnotation]: '1' };
  },
  prepareForUpdate(obj, old) {
    prepareForUpdateWithGeneration(obj, old);
    const oldGen = Number(old.metadata?.annotations?.[DaemonSetTemplateGenerationAnnotation] ?? 0) || 0;
    const gen = semanticDeepEqual(rec(obj.spec).template, rec(old.spec).template) ? Math.max(oldGen, 1) : oldGen + 1;
    const m = meta(obj);
    m.annotations = { ...(m.annotations ?? {}), [DaemonSetTemplateGenerationAnnotation]: String(gen) };
  },
  validate: validateDaemonSet,
  validateUpdate: validateDaemonSetUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const daemonSetStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateDaemonSetStatusUpdate,
};
