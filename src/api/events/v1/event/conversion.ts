/**
 * Conversion between events.k8s.io/v1 Event and core/v1 Event, after upstream
 * pkg/apis/events/v1/conversion.go (Convert_v1_Event_To_core_Event / Convert_core_Event_To_v1_Event):
 * regarding ↔ involvedObject, note ↔ message, deprecatedSource ↔ source,
 * deprecatedFirstTimestamp ↔ firstTimestamp, deprecatedLastTimestamp ↔ lastTimestamp,
 * deprecatedCount ↔ count, reportingController ↔ reportingComponent; metadata, eventTime, series,
 * action, reason, related, reportingInstance and type keep their names. Both kinds are stored as
 * core/v1 under `/registry/events/` (one object, two views).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { StorageCodec } from '../../../resource-types.ts';

/** Fields with the same name in both versions. */
const SAME = ['metadata', 'eventTime', 'series', 'action', 'reason', 'related', 'reportingInstance', 'type'] as const;
/** [events.k8s.io/v1 name, core/v1 name]. */
const RENAMED: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

const present = (v: unknown) => v !== undefined;

/**
 * `Convert_v1_Event_To_core_Event`: an events.k8s.io/v1 Event as a core/v1 Event (apiVersion `v1`).
 * Does not mutate `ev`; `metadata` (and nested values) are shared, not copied.
 */
export function eventV1ToCore(ev: KubeObject): KubeObject {
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Event' };
  for (const f of SAME) if (present(ev[f])) out[f] = ev[f];
  for (const [v1, core] of RENAMED) if (present(ev[v1])) out[core] = ev[v1];
  if (out.involvedObject === undefined || out.involvedObject === null) out.involvedObject = {};
  return out as KubeObject;
}

/**
 * `Convert_core_Event_To_v1_Event`: a core/v1 Event as events.k8s.io/v1 (apiVersion
 * `events.k8s.io/v1`); empty core fields (an empty involvedObject or source, count 0, empty
 * strings) are left out, as the v1 type marks them omitempty. Does not mutate `ev`.
 */
export function eventCoreToV1(ev: KubeObject): KubeObject {
  const out: Record<string, unknown> = { apiVersion: 'events.k8s.io/v1', kind: 'Event' };
  const empty = (v: unknown) =>
    v === undefined || v === null || v === '' || v === 0 || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  for (const f of SAME) if (present(ev[f]) && (f === 'metadata' || f === 'eventTime' || !empty(ev[f]))) out[f] = ev[f];
  if (!present(out.eventTime)) out.eventTime = null;
  for (const [v1, core] of RENAMED) if (!empty(ev[core])) out[v1] = ev[core];
  return out as KubeObject;
}

/** The storage codec of events.k8s.io/v1 events: stored as core/v1. */
export const eventV1StorageCodec: StorageCodec = {
  toStorage: eventV1ToCore,
  fromStorage: eventCoreToV1,
};
