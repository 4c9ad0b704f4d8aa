/**
 * ResourceQuota registry policy, after upstream pkg/registry/core/resourcequota/strategy.go:
 * namespaced; create clears status; updates keep the old status; `/status` keeps the old spec.
 */
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, objectMetaFieldsSet } from '../../../common/meta.ts';
import { validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from './validation.ts';

/** The ResourceQuota strategy. */
export const resourceQuotaStrategy: Strategy = {
  defaults() {},
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
  },
  validate: validateResourceQuota,
  validateUpdate: validateResourceQuotaUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec from the old object. */
export const resourceQuotaStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  validateUpdate: validateResourceQuotaStatusUpdate,
};
