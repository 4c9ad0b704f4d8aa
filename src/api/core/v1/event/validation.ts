/**
 * core/v1 Event validation, after upstream pkg/apis/core/validation/events.go
 * (ValidateEventCreate, ValidateEventUpdate, legacyValidateEvent) for requests to `/api/v1`.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, required, type FieldError } from '../../../../machinery/errors.ts';
import {
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { rec } from '../../../common/meta.ts';

const ReportingInstanceLengthLimit = 128;
const ActionLengthLimit = 128;
const ReasonLengthLimit = 128;
const NoteLengthLimit = 1024;

const isZeroTime = (t: unknown): boolean => !t || t === '0001-01-01T00:00:00Z' || t === '0001-01-01T00:00:00.000000Z';

/** `legacyValidateEvent` with the core/v1 field name `reportingComponent`. */
function legacyValidateEvent(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const io = rec(ev.involvedObject);
  const ioNs = String(io.namespace ?? '');
  const ioPath = FieldPath.root('involvedObject').child('namespace');
  if (isZeroTime(ev.eventTime)) {
    if (!ioNs) {
      if (ns !== '' && ns !== 'default') errs.push(invalid(ioPath, ioNs, 'does not match event.namespace'));
    } else if (ns !== ioNs) errs.push(invalid(ioPath, ioNs, 'does not match event.namespace'));
  } else {
    if (!ioNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid(ioPath, ioNs, 'does not match event.namespace'));
    const rc = String(ev.reportingComponent ?? '');
    if (!rc) errs.push(required('reportingComponent', ''));
    for (const m of isQualifiedName(rc)) errs.push(invalid('reportingComponent', rc, m));
    const ri = String(ev.reportingInstance ?? '');
    if (!ri) errs.push(required('reportingInstance', ''));
    if (ri.length > ReportingInstanceLengthLimit) errs.push(invalid('reportingInstance', '', `can have at most ${ReportingInstanceLengthLimit} characters`));
    const action = String(ev.action ?? '');
    if (!action) errs.push(required('action', ''));
    if (action.length > ActionLengthLimit) errs.push(invalid('action', '', `can have at most ${ActionLengthLimit} characters`));
    const reason = String(ev.reason ?? '');
    if (!reason) errs.push(required('reason', ''));
    if (reason.length > ReasonLengthLimit) errs.push(invalid('reason', '', `can have at most ${ReasonLengthLimit} characters`));
    if (String(ev.message ?? '').length > NoteLengthLimit) errs.push(invalid('message', '', `can have at most ${NoteLengthLimit} characters`));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

/** `ValidateEventCreate`: ObjectMeta (DNS subdomain name) plus the legacy rules. */
export function validateEvent(ev: KubeObject): FieldError[] {
  return [...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain, 'metadata'), ...legacyValidateEvent(ev)];
}

/**
 * `ValidateEventUpdate`: legacy events (no eventTime) get only the legacy rules (so recorders can
 * bump count/lastTimestamp); new-style events also may not change involvedObject, reason,
 * message, source, timestamps, count, reporting fields, action, type.
 */
export function validateEventUpdate(ev: KubeObject, old: KubeObject): FieldError[] {
  if (isZeroTime(ev.eventTime)) return legacyValidateEvent(ev);
  const errs = validateObjectMetaUpdate(ev.metadata, old.metadata, 'metadata');
  for (const f of ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'reportingComponent', 'reportingInstance', 'action', 'type', 'eventTime', 'related']) {
    errs.push(...validateImmutableField(ev[f] ?? null, old[f] ?? null, f));
  }
  return errs;
}
