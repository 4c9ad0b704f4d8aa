/**
 * core/v1 Event registry policy (upstream pkg/registry/core/event/strategy.go): create-on-update
 * and unconditional updates allowed; field selectors as `event.ToSelectableFields`.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy } from '../../../resource-types.ts';
import { objectMetaFieldsSet, rec } from '../../../common/meta.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { validateEvent, validateEventUpdate } from './validation.ts';

/** Field selector keys served for events, besides metadata.name/namespace. */
export const eventSelectableFields = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

/** Field-selector attributes of an Event (`source` = source.component, else reportingComponent). */
export function getEventAttrs(obj: KubeObject): Record<string, string> {
  const io = rec(obj.involvedObject);
  const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const source = s(rec(obj.source).component) || s(obj.reportingComponent);
  return {
    ...objectMetaFieldsSet(obj),
    'involvedObject.kind': s(io.kind),
    'involvedObject.namespace': s(io.namespace),
    'involvedObject.name': s(io.name),
    'involvedObject.uid': s(io.uid),
    'involvedObject.apiVersion': s(io.apiVersion),
    'involvedObject.resourceVersion': s(io.resourceVersion),
    'involvedObject.fieldPath': s(io.fieldPath),
    reason: s(obj.reason),
    reportingComponent: s(obj.reportingComponent),
    source,
    type: s(obj.type),
  };
}

/** The core/v1 Event strategy. */
export const eventStrategy: Strategy = simpleStrategy({
  validate: validateEvent,
  validateUpdate: validateEventUpdate,
  getAttrs: getEventAttrs,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
});
