/** ConfigMap registry policy (upstream pkg/registry/core/configmap/strategy.go). */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validateConfigMap, validateConfigMapUpdate } from './validation.ts';

/** The ConfigMap strategy (namespaced, no status). */
export const configMapStrategy: Strategy = simpleStrategy({ validate: validateConfigMap, validateUpdate: validateConfigMapUpdate });
