/**
 * EventRecorder writing core/v1 Events, after client-go tools/record (event.go, events_cache.go).
 *
 * - `event(obj, type, reason, message)` never blocks and never throws: writes are queued and
 *   failures are logged (upstream drops events rather than slowing controllers).
 * - Event name `<involvedObject.name>.<hex of UnixNano>`; namespace = the object's namespace,
 *   or `default` for cluster-scoped objects.
 * - Aggregation (EventCorrelator's dedup): the same (involvedObject, reason, message, type,
 *   source) seen again within 10 minutes increments `count` and `lastTimestamp` with a merge
 *   PATCH on the existing Event instead of creating a new one; a 404 on that PATCH creates anew.
 *   (Upstream's similar-message aggregation into "(combined from similar events)" is not done.)
 */
import type { Client, KubeObject } from './interface.ts';
import { GVR } from './interface.ts';
import { defaultLogger, type Logger } from './informer.ts';
import { rfc3339 } from './object-util.ts';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';

/** Event type: `Normal` or `Warning`. */
export type EventType = 'Normal' | 'Warning';

/** Something an Event can be about: an object (with kind/apiVersion) or a ready ObjectReference. */
export type EventSubject = KubeObject | ObjectReference;

/** Recorder interface (client-go record.EventRecorder). */
export interface EventRecorder {
  /** Records an event; never throws. */
  event(obj: EventSubject, type: EventType, reason: string, message: string): void;
  /** printf-style (`%s`, `%d`, `%v` placeholders) variant of {@link event}. */
  eventf(obj: EventSubject, type: EventType, reason: string, fmt: string, ...args: unknown[]): void;
}

/** Options for {@link ClientEventRecorder}. */
export interface RecorderOptions {
  /** `source.component` and `reportingComponent`, e.g. `replicaset-controller`. */
  component: string;
  /** `source.host` (e.g. node name for the kubelet). */
  host?: string;
  /** `reportingInstance` (default: host or component). */
  instance?: string;
  logger?: Logger;
  /** Clock (ms). */
  now?: () => number;
}

const AGGREGATE_WINDOW_MS = 10 * 60 * 1000;

/** Renders `%s %d %v %q` placeholders like Go's fmt for the simple cases controllers use. */
export function sprintf(fmt: string, ...args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%[sdvq%]/g, (m) => {
    if (m === '%%') return '%';
    const a = args[i++];
    if (m === '%q') return JSON.stringify(String(a));
    return typeof a === 'object' && a !== null ? JSON.stringify(a) : String(a);
  });
}

/** Builds an ObjectReference for `obj` (kind, apiVersion, namespace, name, uid, resourceVersion). */
export function getReference(obj: EventSubject): ObjectReference {
  if (!('metadata' in obj) || obj.metadata === undefined) {
    if ('name' in obj || 'uid' in obj) return obj as ObjectReference;
  }
  const o = obj as KubeObject;
  const ref: Record<string, string> = {};
  if (o.kind) ref.kind = o.kind;
  if (o.apiVersion) ref.apiVersion = o.apiVersion;
  if (o.metadata?.namespace) ref.namespace = o.metadata.namespace;
  if (o.metadata?.name) ref.name = o.metadata.name;
  if (o.metadata?.uid) ref.uid = o.metadata.uid;
  if (o.metadata?.resourceVersion) ref.resourceVersion = o.metadata.resourceVersion;
  return ref as ObjectReference;
}

interface CacheEntry {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
}

/** EventRecorder backed by a Client; see module comment. */
export class ClientEventRecorder implements EventRecorder {
  private readonly cache = new Map<string, CacheEntry>();
  private chain: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly now: () => number;
  private seq = 0n;

  constructor(
    private readonly client: Client,
    private readonly opts: RecorderOptions,
  ) {
    this.log = opts.logger ?? defaultLogger;
    this.now = opts.now ?? (() => Date.now());
  }

  event(obj: EventSubject, type: EventType, reason: string, message: string): void {
    let ref: ObjectReference;
    try {
      ref = getReference(obj);
    } catch (e) {
      this.log.error({ err: e }, 'could not build event reference');
      return;
    }
    this.chain = this.chain.then(() => this.write(ref, type, reason, message)).catch((e) => {
      this.log.warn({ err: e instanceof Error ? e.message : e, reason }, 'failed to record event');
    });
  }

  eventf(obj: EventSubject, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, sprintf(fmt, ...args));
  }

  /** Resolves once every event recorded so far has been written (or failed). For tests and shutdown. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async write(ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = ref.namespace || 'default';
    const nowMs = this.now();
    const ts = rfc3339(nowMs);
    const key = [ref.kind, ref.namespace, ref.name, ref.uid, ref.apiVersion, reason, message, type, this.opts.component, this.opts.host ?? ''].join('\u0000');
    const prev = this.cache.get(key);
    if (prev && nowMs - prev.lastSeen < AGGREGATE_WINDOW_MS) {
      try {
        await this.client.patch(GVR.events, prev.namespace, prev.name, 'application/merge-patch+json', {
          count: prev.count + 1,
          lastTimestamp: ts,
        });
        prev.count += 1;
        prev.lastSeen = nowMs;
        return;
      } catch (e) {
        this.log.debug?.({ err: e }, 'event patch failed; creating a new event');
      }
    }
    this.seq += 1n;
    const unixNano = BigInt(nowMs) * 1_000_000n + (this.seq % 1_000_000n);
    const name = `${ref.name}.${unixNano.toString(16)}`;
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      eventTime: null,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance ?? this.opts.host ?? this.opts.component,
    };
    await this.client.create(GVR.events, namespace, ev);
    this.cache.set(key, { name, namespace, count: 1, lastSeen: nowMs });
  }
}

/** Recorder that keeps events in memory (client-go record.FakeRecorder): `events` holds `"<type> <reason> <message>"`. */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];
  event(_obj: EventSubject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
  eventf(obj: EventSubject, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, sprintf(fmt, ...args));
  }
}
