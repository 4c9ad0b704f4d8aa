/**
 * events.k8s.io/v1 Event registry policy: the core/v1 event strategy's rules (create on update,
 * unconditional updates) with the events.k8s.io validation, and field selectors as upstream's
 * events.k8s.io field label conversion (`regarding.*` → `involvedObject.*`,
 * `reportingController` → `reportingComponent`).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy } from '../../../resource-types.ts';
import { simpleStrategy } from '../../../common/strategy.ts';
import { getEventAttrs } from '../../../core/v1/event/strategy.ts';
import { eventV1ToCore } from './conversion.ts';
import { validateEventV1, validateEventV1Update } from './validation.ts';

/** Field selector keys served for events.k8s.io/v1 events, besides metadata.name/namespace. */
export const eventV1SelectableFields = [
  'regarding.kind',
  'regarding.namespace',
  'regarding.name',
  'regarding.uid',
  'regarding.apiVersion',
  'regarding.resourceVersion',
  'regarding.fieldPath',
  'reason',
  'reportingController',
  'source',
  'type',
];

/** Field-selector attributes of an events.k8s.io/v1 Event (from the core attributes, renamed). */
export function getEventV1Attrs(obj: KubeObject): Record<string, string> {
  const a = getEventAttrs(eventV1ToCore(obj));
  const out: Record<string, string> = {
    'metadata.name': a['metadata.name'],
    'metadata.namespace': a['metadata.namespace'],
    reason: a.reason,
    reportingController: a.reportingComponent,
    source: a.source,
    type: a.type,
  };
  for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) out[`regarding.${f}`] = a[`involvedObject.${f}`];
  return out;
}

/** The events.k8s.io/v1 Event strategy. */
export const eventV1Strategy: Strategy = simpleStrategy({
  validate: validateEventV1,
  validateUpdate: validateEventV1Update,
  getAttrs: getEventV1Attrs,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
});
