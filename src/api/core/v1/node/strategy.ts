/**
 * Node registry policy, after upstream pkg/registry/core/node/strategy.go: create keeps the
 * status the kubelet registers with; the main endpoint keeps the old status; `/status` keeps
 * the old spec. Field selectors: metadata.name, spec.unschedulable.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { deepCopy, objectMetaFieldsSet, rec } from '../../../common/meta.ts';
import { setDefaultsNode } from './defaults.ts';
import { validateNode, validateNodeUpdate } from './validation.ts';

/** Field-selector attributes: metadata.name, metadata.namespace (''), spec.unschedulable (`true`/`false`). */
export function getNodeAttrs(obj: KubeObject): Record<string, string> {
  return { ...objectMetaFieldsSet(obj), 'spec.unschedulable': String(rec(obj.spec).unschedulable === true) };
}

/** The Node strategy (cluster-scoped). */
export const nodeStrategy: Strategy = {
  defaults: setDefaultsNode,
  prepareForCreate() {},
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
  },
  validate: validateNode,
  validateUpdate: (obj, old) => [...validateNode(obj), ...validateNodeUpdate(obj, old)],
  getAttrs: getNodeAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec from the old object. */
export const nodeStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  validateUpdate: validateNodeUpdate,
};
