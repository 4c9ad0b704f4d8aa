/**
 * EndpointSlice registry policy, after upstream pkg/registry/discovery/endpointslice/strategy.go:
 * generation 1 on create and bumped when endpoints, ports or addressType change; no status;
 * create-on-update not allowed; unconditional updates allowed.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy } from '../../../resource-types.ts';
import { meta, objectMetaFieldsSet, semanticDeepEqual } from '../../../common/meta.ts';
import { setDefaultsEndpointSlice } from './defaults.ts';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './validation.ts';

/** The EndpointSlice strategy (namespaced, no status). */
export const endpointSliceStrategy: Strategy = {
  defaults: setDefaultsEndpointSlice,
  prepareForCreate(obj: KubeObject) {
    meta(obj).generation = 1;
  },
  prepareForUpdate(obj: KubeObject, old: KubeObject) {
    const oldGen = old.metadata?.generation ?? 0;
    const same = semanticDeepEqual(obj.endpoints, old.endpoints) && semanticDeepEqual(obj.ports, old.ports) && obj.addressType === old.addressType;
    meta(obj).generation = same ? oldGen : oldGen + 1;
  },
  validate: validateEndpointSlice,
  validateUpdate: validateEndpointSliceUpdate,
  getAttrs: objectMetaFieldsSet,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};
