/**
 * In-process watch fan-out shared by the SQLite backend and the watch cache (Cacher): a subscriber
 * on a key prefix, events parked while its history/initial state is replayed, de-duplication by
 * revision, and a consumer that throws ends its own watch. After the apiserver's cacheWatcher
 * (k8s.io/apiserver/pkg/storage/cacher) and kine's in-process broadcaster.
 */
import type { WatchEvent } from './backend.ts';

/** One watch subscription on a key prefix. */
export interface WatchSubscriber {
  prefix: string;
  onEvents: (events: WatchEvent[]) => void;
  onError?: (err: Error) => void;
  /** Highest revision delivered (or queued for delivery); later events must exceed it. */
  lastRevision: number;
  /** While replaying history / initial state, live events are parked here; undefined afterwards. */
  pending: WatchEvent[] | undefined;
  cancelled: boolean;
}

/**
 * Ends a subscriber's watch: marks it cancelled, removes it from `subs`, then calls its onError
 * with `err` (an error thrown by onError is ignored).
 */
export function endSubscriber(subs: Set<WatchSubscriber>, sub: WatchSubscriber, err: Error): void {
  sub.cancelled = true;
  subs.delete(sub);
  try {
    sub.onError?.(err);
  } catch {
    /* ignore: nothing more we can tell it */
  }
}

/**
 * Delivers `events` with a revision above the subscriber's lastRevision (all of them when
 * `synthetic`, i.e. the current state sent as 'create' events, which leaves lastRevision as is),
 * in one onEvents call. A throwing consumer may have lost events, so its watch is ended
 * ({@link endSubscriber}) and it re-lists / re-watches. Nothing happens for a cancelled subscriber.
 */
export function deliverToSubscriber(subs: Set<WatchSubscriber>, sub: WatchSubscriber, events: WatchEvent[], synthetic = false): void {
  const fresh = synthetic ? events : events.filter((e) => e.revision > sub.lastRevision);
  if (!fresh.length || sub.cancelled) return;
  if (!synthetic) sub.lastRevision = fresh[fresh.length - 1].revision;
  try {
    sub.onEvents(fresh);
  } catch (err) {
    endSubscriber(subs, sub, err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * Fans live `events` (revision order) out to every non-cancelled subscriber whose prefix they fall
 * under: parked while the subscriber is replaying, delivered ({@link deliverToSubscriber}) otherwise.
 */
export function fanOutToSubscribers(subs: Set<WatchSubscriber>, events: WatchEvent[]): void {
  for (const sub of [...subs]) {
    if (sub.cancelled) continue;
    const mine = events.filter((e) => e.kv.key.startsWith(sub.prefix));
    if (!mine.length) continue;
    if (sub.pending) sub.pending.push(...mine);
    else deliverToSubscriber(subs, sub, mine);
  }
}

/** Ends a subscriber's replay: delivers the live events parked meanwhile, then delivers directly. */
export function releaseParked(subs: Set<WatchSubscriber>, sub: WatchSubscriber): void {
  const parked = sub.pending ?? [];
  sub.pending = undefined;
  if (!sub.cancelled && parked.length) deliverToSubscriber(subs, sub, parked);
}
