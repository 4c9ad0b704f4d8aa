/**
 * events.k8s.io/v1 Event validation, after upstream pkg/apis/core/validation/events.go for requests
 * to the events.k8s.io API: the legacy rules plus the strict ones (eventTime required, type Normal
 * or Warning, deprecated fields unset, series count ≥ 2 with lastObservedTime) on create; on update
 * the series is re-checked when it changed and the descriptive fields are immutable. Field paths use
 * upstream's internal names (`involvedObject`, `message`, `reportingController`, `count`, …).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { invalid, required, type FieldError } from '../../../../machinery/errors.ts';
import { validateImmutableField, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { rec, semanticDeepEqual } from '../../../common/meta.ts';
import { validateEvent } from '../../../core/v1/event/validation.ts';
import { eventV1ToCore } from './conversion.ts';

const isZeroTime = (t: unknown): boolean => !t || String(t).startsWith('0001-01-01');

/** The core rules report `reportingComponent` (the core JSON name); upstream's internal field is `reportingController`. */
function renameReporting(errs: FieldError[]): FieldError[] {
  return errs.map((e) => (e.field === 'reportingComponent' ? { ...e, field: 'reportingController' } : e));
}

/** `validateV1EventSeries` over a core-shaped event. */
function validateV1EventSeries(core: KubeObject): FieldError[] {
  if (core.series === undefined || core.series === null) return [];
  const s = rec(core.series);
  const errs: FieldError[] = [];
  if (!(Number(s.count ?? 0) >= 2)) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (isZeroTime(s.lastObservedTime)) errs.push(required('series.lastObservedTime', ''));
  return errs;
}

/** `ValidateEventCreate` for events.k8s.io/v1 (the object is in the events.k8s.io/v1 shape). */
export function validateEventV1(ev: KubeObject): FieldError[] {
  const core = eventV1ToCore(ev);
  const errs = renameReporting(validateEvent(core));
  errs.push(...validateV1EventSeries(core));
  if (isZeroTime(core.eventTime)) errs.push(required('eventTime', ''));
  if (core.type !== 'Normal' && core.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${String(core.type ?? '')}`));
  if (!isZeroTime(core.firstTimestamp)) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (!isZeroTime(core.lastTimestamp)) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (Number(core.count ?? 0) !== 0) errs.push(invalid('count', '', 'needs to be unset'));
  const src = rec(core.source);
  if (src.component || src.host) errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}

/** `ValidateEventUpdate` for events.k8s.io/v1. */
export function validateEventV1Update(ev: KubeObject, old: KubeObject): FieldError[] {
  const core = eventV1ToCore(ev);
  const oldCore = eventV1ToCore(old);
  const errs = validateObjectMetaUpdate(ev.metadata, old.metadata, 'metadata');
  if (!semanticDeepEqual(core.series, oldCore.series)) errs.push(...validateV1EventSeries(core));
  const fields: [string, string][] = [
    ['involvedObject', 'involvedObject'], ['reason', 'reason'], ['message', 'message'], ['source', 'source'],
    ['firstTimestamp', 'firstTimestamp'], ['lastTimestamp', 'lastTimestamp'], ['count', 'count'],
    ['reportingComponent', 'reportingController'], ['reportingInstance', 'reportingInstance'], ['action', 'action'], ['type', 'type'],
  ];
  for (const [f, path] of fields) errs.push(...validateImmutableField(core[f] ?? null, oldCore[f] ?? null, path));
  return errs;
}
