/** StorageClass registry policy (upstream pkg/registry/storage/storageclass/strategy.go): cluster-scoped, no status. */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { setDefaultsStorageClass } from './defaults.ts';
import { validateStorageClass, validateStorageClassUpdate } from './validation.ts';

/** The StorageClass strategy. */
export const storageClassStrategy: Strategy = simpleStrategy({
  defaults: setDefaultsStorageClass,
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
});
