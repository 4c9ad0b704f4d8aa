/**
 * Event recorders for the controller manager. Objects listed by informers carry no
 * `apiVersion`/`kind` (LIST items omit TypeMeta, as upstream's do); client-go's recorder fills the
 * involvedObject's kind from its scheme (`reference.GetReference`). {@link KindDefaultingRecorder}
 * does the same from what the controller knows it records about, so `kubectl describe <kind>`
 * (which selects events by `involvedObject.kind`) finds them.
 */
import type { Client, KubeObject } from '../../client/interface.ts';
import type { Logger } from '../../client/informer.ts';
import { ClientEventRecorder, sprintf, type EventRecorder, type EventSubject, type EventType } from '../../client/record.ts';

/** apiVersion + kind of an involved object. */
export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

/** A fixed TypeMeta, or one chosen per object (undefined = leave the object as it is). */
export type KindOf = TypeMeta | ((obj: KubeObject) => TypeMeta | undefined);

/** Wraps `inner`: an object subject without `kind` gets `kindOf`'s apiVersion and kind first. */
export class KindDefaultingRecorder implements EventRecorder {
  constructor(
    readonly inner: EventRecorder,
    private readonly kindOf: KindOf,
  ) {}

  event(obj: EventSubject, type: EventType, reason: string, message: string): void {
    this.inner.event(this.withKind(obj), type, reason, message);
  }

  eventf(obj: EventSubject, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, sprintf(fmt, ...args));
  }

  private withKind(obj: EventSubject): EventSubject {
    if (!('metadata' in obj) || !obj.metadata || (obj as KubeObject).kind) return obj;
    const tm = typeof this.kindOf === 'function' ? this.kindOf(obj as KubeObject) : this.kindOf;
    return tm ? { ...(obj as KubeObject), apiVersion: tm.apiVersion, kind: tm.kind } : obj;
  }
}

/**
 * The recorder of one controller: a ClientEventRecorder with source component `component`
 * (upstream's names: `replicaset-controller`, `deployment-controller`, …) whose kind-less subjects
 * get `kindOf`.
 */
export function controllerEventRecorder(client: Client, component: string, logger: Logger, kindOf: KindOf): EventRecorder {
  return new KindDefaultingRecorder(new ClientEventRecorder(client, { component, logger }), kindOf);
}
