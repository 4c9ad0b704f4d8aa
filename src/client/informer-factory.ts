/**
 * SharedInformerFactory: one {@link SharedInformer} per (GVR, namespace, selectors), shared by every
 * controller that asks for it (client-go informers.SharedInformerFactory). Informers requested
 * before or after `start` are started by `start(signal)` (call it again after adding more).
 */
import { setMaxListeners } from 'node:events';
import type { Client, GroupVersionResource, KubeObject } from './interface.ts';
import { SharedInformer, type InformerOptions, type Logger } from './informer.ts';

/** Options for {@link SharedInformerFactory}. */
export interface InformerFactoryOptions {
  /** Default resync period in ms for informers created without one (default 0 = none). */
  defaultResyncMs?: number;
  /** Restrict every informer to one namespace. */
  namespace?: string;
  logger?: Logger;
}

/** Shared informer factory; see module comment. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly running = new Set<string>();
  private readonly runs: Promise<void>[] = [];

  constructor(
    private readonly client: Client,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /**
   * The shared informer for `gvr` (+ optional selectors). Options other than namespace/selectors
   * (indexers, resync) apply only when the informer is first created; indexers can be added later
   * through `informer.addIndexers`.
   */
  forResource<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, opts: InformerOptions<T> = {}): SharedInformer<T> {
    const ns = opts.namespace ?? this.opts.namespace;
    const key = `${gvr.group}/${gvr.version}/${gvr.resource}|${ns ?? ''}|${opts.labelSelector ?? ''}|${opts.fieldSelector ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new SharedInformer<KubeObject>(this.client, gvr, {
        resyncPeriodMs: this.opts.defaultResyncMs,
        logger: this.opts.logger,
        ...(opts as InformerOptions<KubeObject>),
        namespace: ns,
      });
      this.informers.set(key, inf);
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Starts every informer not yet running; they stop when `signal` aborts. */
  start(signal: AbortSignal): void {
    // Every informer (and its watches) listens on this one signal.
    setMaxListeners(0, signal);
    for (const [key, inf] of this.informers) {
      if (this.running.has(key)) continue;
      this.running.add(key);
      this.runs.push(inf.run(signal));
    }
  }

  /** Resolves true when every created informer has synced (false if `signal` aborts first). */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const res = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return res.every(Boolean);
  }

  /** Resolves when every started informer has stopped (after the start signal aborted). */
  async shutdown(): Promise<void> {
    await Promise.all(this.runs);
  }
}
