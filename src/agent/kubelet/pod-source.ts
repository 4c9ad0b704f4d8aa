/**
 * The kubelet's apiserver pod source (pkg/kubelet/config/apiserver.go): LIST then WATCH pods with
 * `fieldSelector=spec.nodeName=<node>`, re-watching from the last resourceVersion when a watch ends
 * and relisting on 410 Gone or errors (with back-off 0.5 s doubling to 10 s). It owns reconnects;
 * callers only receive `onUpsert(pod)` / `onDelete(pod)` for every change, and `onSynced()` once
 * after the first successful LIST (so orphan clean-up does not run against an empty cache).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';

/** Callbacks of {@link SourceApiserver}. */
export interface PodSourceHandlers {
  onUpsert(pod: Pod): void;
  onDelete(pod: Pod): void;
  onSynced?(): void;
}

/** List+watch of the pods bound to one node. */
export class SourceApiserver {
  /** Current pods by uid. */
  readonly pods = new Map<string, Pod>();
  private synced = false;

  constructor(
    private readonly client: Client,
    private readonly nodeName: string,
    private readonly handlers: PodSourceHandlers,
  ) {}

  /** True after the first LIST was applied. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Runs until `signal` aborts. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const fieldSelector = `spec.nodeName=${this.nodeName}`;
    let delay = 500;
    let rv = '';
    while (!signal.aborted) {
      try {
        if (!rv) {
          const list = await this.client.list<Pod & KubeObject>(GVR.pods, undefined, { fieldSelector });
          this.replace(list.items as Pod[]);
          rv = list.metadata.resourceVersion ?? '';
          if (!this.synced) {
            this.synced = true;
            this.handlers.onSynced?.();
          }
        }
        let gone = false;
        await this.client.watch<Pod & KubeObject>(
          GVR.pods,
          undefined,
          { fieldSelector, resourceVersion: rv, allowWatchBookmarks: true },
          (ev) => {
            if (ev.type === 'ERROR') {
              gone = true;
              return;
            }
            const pod = ev.object as Pod;
            if (pod.metadata?.resourceVersion) rv = pod.metadata.resourceVersion;
            if (ev.type === 'BOOKMARK') return;
            if (ev.type === 'DELETED') {
              this.pods.delete(pod.metadata!.uid!);
              this.handlers.onDelete(pod);
            } else {
              this.pods.set(pod.metadata!.uid!, pod);
              this.handlers.onUpsert(pod);
            }
          },
          signal,
        );
        if (gone) rv = '';
        delay = 500;
      } catch {
        rv = '';
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  private replace(items: Pod[]): void {
    const seen = new Set<string>();
    for (const p of items) {
      const uid = p.metadata!.uid!;
      seen.add(uid);
      this.pods.set(uid, p);
      this.handlers.onUpsert(p);
    }
    for (const [uid, p] of [...this.pods]) {
      if (!seen.has(uid)) {
        this.pods.delete(uid);
        this.handlers.onDelete(p);
      }
    }
  }
}

/** Resolves after `ms` or when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
