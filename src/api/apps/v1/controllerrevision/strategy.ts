/**
 * ControllerRevision registry policy, after upstream pkg/registry/apps/controllerrevision/strategy.go:
 * namespaced, no status, no generation; updates may change metadata and `revision` (`data` is
 * immutable, enforced by validation). No field selectors beyond metadata.
 */
import type { Strategy } from '../../../resource-types.ts';
import { objectMetaFieldsSet } from '../../../common/meta.ts';
import { validateControllerRevision, validateControllerRevisionUpdate } from './validation.ts';

/** The ControllerRevision strategy. */
export const controllerRevisionStrategy: Strategy = {
  defaults: () => {},
  prepareForCreate: () => {},
  prepareForUpdate: () => {},
  validate: validateControllerRevision,
  validateUpdate: validateControllerRevisionUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};
