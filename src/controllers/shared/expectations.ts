/**
 * ControllerExpectations, after pkg/controller/controller_utils.go (ControllerExpectations and
 * UIDTrackingControllerExpectations).
 *
 * A controller that has just asked for N creations/deletions records that it *expects* to see N
 * add/delete events; until they arrive (or 5 minutes pass) `satisfiedExpectations` is false and the
 * controller does not act again on its stale cache. Deletions are tracked by pod key so that a
 * delete observed twice (watch event + relist tombstone) only counts once.
 */
import { realClock, type Clock } from '../../client/workqueue.ts';

/** How long expectations stay valid (upstream ExpectationsTimeout = 5 min), in ms. */
export const ExpectationsTimeoutMs = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  timestamp: number;
  /** Keys of pods whose deletion is expected (UIDTrackingControllerExpectations). */
  deleteKeys: Set<string>;
}

/** Expectations per controller key (`namespace/name`); see module comment. */
export class ControllerExpectations {
  private readonly store = new Map<string, Expectation>();
  constructor(private readonly clock: Clock = realClock) {}

  /** Current counts (for tests/logging), or undefined. */
  get(key: string): { add: number; del: number } | undefined {
    const e = this.store.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }

  /**
   * True when the controller may sync: no record, the expectations are fulfilled (add ≤ 0 and
   * del ≤ 0), or they are older than 5 minutes (lost events must not wedge a controller).
   */
  satisfiedExpectations(key: string): boolean {
    const e = this.store.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.timestamp > ExpectationsTimeoutMs;
  }

  /** Replaces expectations for `key` (SetExpectations). */
  setExpectations(key: string, add: number, del: number): void {
    this.store.set(key, { add, del, timestamp: this.clock.now(), deleteKeys: new Set() });
  }

  /** Expects `adds` creations. */
  expectCreations(key: string, adds: number): void {
    this.setExpectations(key, adds, 0);
  }

  /** Expects deletion of the pods with the given keys (UIDTracking ExpectDeletions). */
  expectDeletions(key: string, podKeys: string[]): void {
    this.store.set(key, { add: 0, del: podKeys.length, timestamp: this.clock.now(), deleteKeys: new Set(podKeys) });
  }

  /** Lowers counts (e.g. creations skipped after an error). */
  lowerExpectations(key: string, add: number, del: number): void {
    const e = this.store.get(key);
    if (!e) return;
    e.add -= add;
    e.del -= del;
  }

  /** Raises counts. */
  raiseExpectations(key: string, add: number, del: number): void {
    const e = this.store.get(key);
    if (!e) return;
    e.add += add;
    e.del += del;
  }

  /** One expected creation was observed. */
  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  /**
   * One deletion was observed. With `podKey`, counts only if that pod was expected to go
   * (and only once); without it, decrements unconditionally.
   */
  deletionObserved(key: string, podKey?: string): void {
    const e = this.store.get(key);
    if (!e) return;
    if (podKey === undefined) {
      e.del -= 1;
      return;
    }
    if (e.deleteKeys.delete(podKey)) e.del -= 1;
  }

  /** Forgets `key` (controller deleted). */
  deleteExpectations(key: string): void {
    this.store.delete(key);
  }
}
