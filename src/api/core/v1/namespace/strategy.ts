/**
 * Namespace registry policy, after upstream pkg/registry/core/namespace/strategy.go: on create
 * the status is `{phase: Active}` and `spec.finalizers` gains `kubernetes`; updates keep the
 * old spec.finalizers and status; `/status` keeps the old spec; `/finalize` changes only
 * spec.finalizers. Field selectors: metadata.name, status.phase.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { arr, deepCopy, objectMetaFieldsSet, rec } from '../../../common/meta.ts';
import { LabelMetadataName, setDefaultsNamespace } from './defaults.ts';
import {
  validateNamespace,
  validateNamespaceFinalizeUpdate,
  validateNamespaceStatusUpdate,
  validateNamespaceUpdate,
} from './validation.ts';

/** `FinalizerKubernetes`. */
export const FinalizerKubernetes = 'kubernetes';

/** Field-selector attributes: metadata.name, metadata.namespace (''), status.phase. */
export function getNamespaceAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), 'status.phase': String(rec(obj.status).phase ?? '') };
}

/** The Namespace strategy (cluster-scoped). */
export const namespaceStrategy: Strategy = {
  defaults: setDefaultsNamespace,
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    const spec = rec(obj.spec);
    const finalizers = arr(spec.finalizers);
    if (!finalizers.includes(FinalizerKubernetes)) finalizers.push(FinalizerKubernetes);
    spec.finalizers = finalizers;
    obj.spec = spec;
  },
  prepareForUpdate(obj, old) {
    const spec = rec(obj.spec);
    spec.finalizers = deepCopy(rec(old.spec).finalizers);
    if (spec.finalizers === undefined) delete spec.finalizers;
    obj.spec = spec;
    obj.status = deepCopy(old.status);
  },
  validate: validateNamespace,
  validateUpdate: validateNamespaceUpdate,
  canonicalize(obj) {
    // The metadata.name label also for generateName'd namespaces (defaults ran before the name existed).
    const name = obj.metadata?.name;
    if (name) obj.metadata!.labels = { ...(obj.metadata!.labels ?? {}), [LabelMetadataName]: name };
  },
  getAttrs: getNamespaceAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec from the old object. */
export const namespaceStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  validateUpdate: validateNamespaceStatusUpdate,
};

/** `/finalize` (namespaces/finalize, verb update): only spec.finalizers may change; status from the old object. */
export const namespaceFinalizeStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    const finalizers = rec(obj.spec).finalizers;
    obj.spec = deepCopy(old.spec) ?? {};
    if (finalizers === undefined) delete rec(obj.spec).finalizers;
    else rec(obj.spec).finalizers = finalizers;
    obj.status = deepCopy(old.status);
  },
  validateUpdate: validateNamespaceFinalizeUpdate,
};
