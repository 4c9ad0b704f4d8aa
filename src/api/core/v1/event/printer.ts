/**
 * core/v1 Event Table, after upstream printEvent: LAST SEEN, TYPE, REASON, OBJECT
 * (`kind/name`, lower-cased kind), MESSAGE, and wide SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { TableConvertor } from '../../../resource-types.ts';
import { translateTimestampSince } from '../../../common/duration.ts';
import { column, nameColumn, objName } from '../../../common/table.ts';
import { rec } from '../../../common/meta.ts';

const isZero = (t: unknown): boolean => !t || String(t).startsWith('0001-01-01');

/** `formatEventSource`: `component, host` (falling back to reportingComponent/reportingInstance). */
export function formatEventSource(ev: KubeObject): string {
  const src = rec(ev.source);
  const component = String(src.component ?? '') || String(ev.reportingComponent ?? '');
  const instance = String(src.host ?? '') || String(ev.reportingInstance ?? '');
  return instance ? `${component}, ${instance}` : component;
}

/** Event Table columns and cells. */
export const eventTable: TableConvertor = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1),
    column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...nameColumn, priority: 1 },
  ],
  cells(obj, now) {
    let first = translateTimestampSince(isZero(obj.firstTimestamp) ? undefined : String(obj.firstTimestamp), now);
    if (isZero(obj.firstTimestamp)) first = translateTimestampSince(isZero(obj.eventTime) ? undefined : String(obj.eventTime), now);
    let last = isZero(obj.lastTimestamp) ? first : translateTimestampSince(String(obj.lastTimestamp), now);
    let count = Number(obj.count ?? 0);
    const series = obj.series ? rec(obj.series) : undefined;
    if (series) {
      last = translateTimestampSince(isZero(series.lastObservedTime) ? undefined : String(series.lastObservedTime), now);
      count = Number(series.count ?? 0);
    } else if (count === 0) count = 1;
    const io = rec(obj.involvedObject);
    const kind = String(io.kind ?? '').toLowerCase();
    const target = io.name ? `${kind}/${String(io.name)}` : kind;
    return [
      last,
      String(obj.type ?? ''),
      String(obj.reason ?? ''),
      target,
      String(io.fieldPath ?? ''),
      formatEventSource(obj),
      String(obj.message ?? '').trim(),
      first,
      count,
      objName(obj),
    ];
  },
};
