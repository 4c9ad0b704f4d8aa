/**
 * Job registry policy, after upstream pkg/registry/batch/job/strategy.go: create clears status
 * and sets generation 1; validation first generates the selector (`generateSelector`, needs the
 * uid, so it runs in validate as upstream's Validate does); updates keep status and bump
 * generation on spec change; `/status` keeps the old spec and labels. Field selectors:
 * status.successful.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, meta, objectMetaFieldsSet, prepareForCreateWithGeneration, prepareForUpdateWithGeneration, rec } from '../../../common/meta.ts';
import { setDefaultsJob } from './defaults.ts';
import { generateSelector, validateJob, validateJobStatusUpdate, validateJobUpdate } from './validation.ts';

/** Field-selector attributes: metadata.name/namespace, status.successful (JobToSelectableFields). */
export function getJobAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), 'status.successful': String(Number(rec(obj.status).succeeded ?? 0)) };
}

/** The Job strategy. */
export const jobStrategy: Strategy = {
  defaults: setDefaultsJob,
  prepareForCreate: (obj) => prepareForCreateWithGeneration(obj),
  prepareForUpdate: prepareForUpdateWithGeneration,
  validate(obj) {
    generateSelector(obj);
    return validateJob(obj);
  },
  validateUpdate: validateJobUpdate,
  getAttrs: getJobAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec and labels from the old object. */
export const jobStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.labels = deepCopy(old.metadata?.labels);
    if (m.labels === undefined) delete m.labels;
  },
  validateUpdate: validateJobStatusUpdate,
};
