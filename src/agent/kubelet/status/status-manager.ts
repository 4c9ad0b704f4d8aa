/**
 * Writes pod status to the apiserver, after pkg/kubelet/status/status_manager.go:
 * only when it changed from what the apiserver holds, through the `status` subresource with the
 * pod's resourceVersion as precondition; a 409 Conflict re-reads the pod and retries (up to 5 times).
 * Also finishes graceful deletion: `deletePod` sends DELETE with `gracePeriodSeconds: 0` and a uid
 * precondition once the kubelet has stopped everything (upstream's canBeDeleted path).
 */
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../../client/interface.ts';
import { GVR } from '../../../client/interface.ts';
import { isConflict, isNotFound } from '../../../machinery/errors.ts';
import { canonicalJSON } from './generate.ts';

/** Status writer with a per-pod cache of the latest known API object. */
export class StatusManager {
  /** uid → newest pod object seen (from the source or from our own writes). */
  private readonly latest = new Map<string, Pod>();
  /** uid → canonical JSON of the status we last sent (set before the write, so an early watch echo matches too). */
  private readonly written = new Map<string, string>();

  constructor(private readonly client: Client) {}

  /** Records a pod seen from the API (keeps whichever is newer by resourceVersion). */
  observe(pod: Pod): void {
    const uid = pod.metadata!.uid!;
    const cur = this.latest.get(uid);
    if (!cur || rvNewer(pod, cur)) this.latest.set(uid, pod);
  }

  /** The newest known API object for `uid`. */
  get(uid: string): Pod | undefined {
    return this.latest.get(uid);
  }

  /**
   * Whether `pod.status` is exactly the status this manager last wrote for the pod, e.g. the watch
   * echo of that write (which may arrive before the write's response), so it carries nothing new.
   */
  isOwnStatus(pod: Pod): boolean {
    const w = this.written.get(pod.metadata!.uid!);
    return w !== undefined && w === canonicalJSON(pod.status ?? {});
  }

  /** Forgets `uid`. */
  forget(uid: string): void {
    this.latest.delete(uid);
    this.written.delete(uid);
  }

  /**
   * Writes `status` for `pod` if it differs from the stored one. Returns the stored pod after the
   * write (or unchanged). A 404 (pod gone) resolves to undefined.
   */
  async setPodStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    const uid = pod.metadata!.uid!;
    let cur = this.latest.get(uid) ?? pod;
    if (rvNewer(pod, cur)) cur = pod;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (canonicalJSON(cur.status ?? {}) === canonicalJSON(status)) return cur;
      try {
        this.written.set(uid, canonicalJSON(status));
        const next = await this.client.update<Pod & KubeObject>(GVR.pods, cur.metadata!.namespace!, { ...(cur as KubeObject), status } as Pod & KubeObject, {
          subresource: 'status',
        });
        this.observe(next as Pod);
        this.written.set(uid, canonicalJSON((next as Pod).status ?? {}));
        return next as Pod;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (!isConflict(e)) throw e;
        const fresh = (await this.client.get(GVR.pods, cur.metadata!.namespace!, cur.metadata!.name!).catch((err) => {
          if (isNotFound(err)) return undefined;
          throw err;
        })) as Pod | undefined;
        if (!fresh || fresh.metadata?.uid !== uid) return undefined;
        cur = fresh;
        this.latest.set(uid, fresh);
      }
    }
    throw new Error(`status update for pod ${pod.metadata!.namespace}/${pod.metadata!.name} kept conflicting`);
  }

  /** DELETE with gracePeriodSeconds 0 and a uid precondition. A 404/409 (already gone or replaced) is success. */
  async deletePod(pod: Pod): Promise<void> {
    try {
      await this.client.delete(GVR.pods, pod.metadata!.namespace!, pod.metadata!.name!, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata!.uid! },
      });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }
}

function rvNewer(a: Pod, b: Pod): boolean {
  const x = Number(a.metadata?.resourceVersion ?? 0);
  const y = Number(b.metadata?.resourceVersion ?? 0);
  return x > y;
}
