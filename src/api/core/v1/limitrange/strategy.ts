/** LimitRange registry policy (upstream pkg/registry/core/limitrange/strategy.go): namespaced, no status. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { setDefaultsLimitRange } from './defaults.ts';
import { validateLimitRange, validateLimitRangeUpdate } from './validation.ts';

/** The LimitRange strategy (creates on update, as upstream's AllowCreateOnUpdate true). */
export const limitRangeStrategy: Strategy = simpleStrategy({
  defaults: setDefaultsLimitRange,
  validate: validateLimitRange,
  validateUpdate: validateLimitRangeUpdate,
  allowCreateOnUpdate: true,
});
