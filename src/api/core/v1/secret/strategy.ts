/** Secret registry policy (upstream pkg/registry/core/secret/strategy.go). Field selectors: `type`. */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy } from '../../../resource-types.ts';
import { objectMetaFieldsSet } from '../../../common/meta.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { setDefaultsSecret } from './defaults.ts';
import { validateSecret, validateSecretUpdate } from './validation.ts';

/** Field-selector attributes: metadata.name/namespace, type. */
export function getSecretAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), type: String(obj.type ?? '') };
}

/** The Secret strategy (namespaced, no status). */
export const secretStrategy: Strategy = simpleStrategy({
  defaults: setDefaultsSecret,
  validate: validateSecret,
  validateUpdate: validateSecretUpdate,
  getAttrs: getSecretAttrs,
});
