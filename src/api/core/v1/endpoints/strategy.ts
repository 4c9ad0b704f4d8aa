/** Endpoints registry policy (upstream pkg/registry/core/endpoint/strategy.go): create-on-update allowed. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { setDefaultsEndpoints } from './defaults.ts';
import { validateEndpoints, validateEndpointsUpdate } from './validation.ts';

/** The Endpoints strategy (namespaced, no status). */
export const endpointsStrategy: Strategy = simpleStrategy({
  defaults: setDefaultsEndpoints,
  validate: validateEndpoints,
  validateUpdate: validateEndpointsUpdate,
  allowCreateOnUpdate: true,
});
