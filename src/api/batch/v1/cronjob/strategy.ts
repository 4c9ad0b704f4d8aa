/**
 * CronJob registry policy, after upstream pkg/registry/batch/cronjob/strategy.go: create clears
 * status and sets generation 1; updates keep status and bump generation on spec change;
 * `/status` keeps the old spec and labels.
 */
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, prepareForUpdateWithGeneration } from '../../../common/meta.ts';
import { setDefaultsCronJob } from './defaults.ts';
import { validateCronJob, validateCronJobStatusUpdate, validateCronJobUpdate } from './validation.ts';

/** The CronJob strategy. */
export const cronJobStrategy: Strategy = {
  defaults: setDefaultsCronJob,
  prepareForCreate: (obj) => prepareForCreateWithGeneration(obj),
  prepareForUpdate: prepareForUpdateWithGeneration,
  validate: validateCronJob,
  validateUpdate: validateCronJobUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const cronJobStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateCronJobStatusUpdate,
};
