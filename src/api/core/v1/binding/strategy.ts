/**
 * Binding (core/v1, `POST /api/v1/namespaces/{ns}/bindings` and `pods/{name}/binding`):
 * validation as upstream ValidatePodBinding; the store applies it with
 * `applyPodBinding` (src/api/core/v1/pod/strategy.ts) instead of persisting a Binding.
 */
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validatePodBinding } from '../pod/validation.ts';

/** The Binding strategy: create-only; validate = ValidatePodBinding. */
export const bindingStrategy: Strategy = simpleStrategy({ validate: validatePodBinding, validateUpdate: validatePodBinding });
