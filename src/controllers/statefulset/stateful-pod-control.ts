/**
 * StatefulPodControl, after upstream pkg/controller/statefulset/stateful_pod_control.go: creates
 * a pod's PersistentVolumeClaims before the pod, deletes and updates pods, keeps claim owner refs
 * in line with persistentVolumeClaimRetentionPolicy, and records upstream's events
 * (`SuccessfulCreate` "create Pod web-0 in StatefulSet web successful", `SuccessfulCreate`
 * "create Claim www-web-0 Pod web-0 in StatefulSet web success", `SuccessfulDelete`, and the
 * `Failed<Verb>` warnings).
 */
import { GVR, type Client } from '../../client/interface.ts';
import type { EventRecorder } from '../../client/record.ts';
import { deepCopy } from '../../client/object-util.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import {
  claimOwnerMatchesSetAndPod,
  claimOwnerRefsForSetAndPod,
  getPersistentVolumeClaims,
  getOrdinal,
  identityMatches,
  pvcsGVR,
  storageMatches,
  updateIdentity,
  updateStorage,
  type PodObj,
  type PVC,
  type StsObj,
} from './stateful-set-utils.ts';

/** The pod/claim writes {@link updateStatefulSet} makes; a fake records them in tests. */
export interface StatefulPodControlInterface {
  /** Creates the pod's missing claims, then the pod. @throws on API errors (AlreadyExists included) */
  createStatefulPod(set: StsObj, pod: PodObj): Promise<void>;
  /** Fixes identity/storage/claim refs of an existing pod. @throws on API errors */
  updateStatefulPod(set: StsObj, pod: PodObj): Promise<void>;
  /** Deletes the pod. @throws on API errors */
  deleteStatefulPod(set: StsObj, pod: PodObj): Promise<void>;
  /** Creates claims of a pending pod that are missing. */
  createMissingPersistentVolumeClaims(set: StsObj, pod: PodObj): Promise<void>;
  /** True when every claim of the pod carries the owner refs the retention policy asks for. */
  claimsMatchRetentionPolicy(set: StsObj, pod: PodObj): boolean;
  /** Sets the claims' owner refs for the retention policy. */
  updatePodClaimForRetentionPolicy(set: StsObj, pod: PodObj): Promise<void>;
}

/** Reads claims from a cache (an informer's Lister). */
export interface ClaimLister {
  get(namespace: string | undefined, name: string): PVC | undefined;
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The Client-backed StatefulPodControl (claims are read from the PVC informer's lister). */
export class StatefulPodControl implements StatefulPodControlInterface {
  constructor(
    private readonly client: Client,
    private readonly claimLister: ClaimLister,
    private readonly recorder: EventRecorder,
  ) {}

  private recordPodEvent(verb: string, set: StsObj, pod: PodObj, err?: unknown): void {
    const title = verb[0].toUpperCase() + verb.slice(1);
    if (err === undefined) {
      this.recorder.event(set, 'Normal', `Successful${title}`, `${verb} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} successful`);
    } else {
      this.recorder.event(set, 'Warning', `Failed${title}`, `${verb} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errMsg(err)}`);
    }
  }

  private recordClaimEvent(verb: string, set: StsObj, pod: PodObj, claim: PVC, err?: unknown): void {
    const title = verb[0].toUpperCase() + verb.slice(1);
    if (err === undefined) {
      this.recorder.event(set, 'Normal', `Successful${title}`, `${verb} Claim ${claim.metadata?.name} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`);
    } else {
      this.recorder.event(
        set,
        'Warning',
        `Failed${title}`,
        `${verb} Claim ${claim.metadata?.name} for Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errMsg(err)}`,
      );
    }
  }

  /**
   * `createPersistentVolumeClaims`: creates each claim not in the cache (AlreadyExists is fine).
   * @throws when a claim is being deleted (`pvc www-web-0 is being deleted`) or a create fails
   */
  private async createPersistentVolumeClaims(set: StsObj, pod: PodObj): Promise<void> {
    const errors: string[] = [];
    for (const claim of getPersistentVolumeClaims(set, getOrdinal(pod)).values()) {
      const existing = this.claimLister.get(claim.metadata?.namespace, claim.metadata!.name!);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) errors.push(`pvc ${claim.metadata!.name} is being deleted`);
        continue;
      }
      try {
        const c = deepCopy(claim);
        (c.metadata as Record<string, unknown>).ownerReferences = claimOwnerRefsForSetAndPod(c, set, pod);
        if (!(c.metadata!.ownerReferences as unknown[]).length) delete (c.metadata as Record<string, unknown>).ownerReferences;
        await this.client.create<PVC>(pvcsGVR, claim.metadata?.namespace, c);
        this.recordClaimEvent('create', set, pod, claim);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.recordClaimEvent('create', set, pod, claim, e);
        errors.push(`failed to create PVC ${claim.metadata!.name}: ${errMsg(e)}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  async createStatefulPod(set: StsObj, pod: PodObj): Promise<void> {
    try {
      await this.createPersistentVolumeClaims(set, pod);
    } catch (e) {
      this.recordPodEvent('create', set, pod, e);
      throw e;
    }
    try {
      await this.client.create<PodObj>(GVR.pods, pod.metadata?.namespace, pod);
    } catch (e) {
      if (isAlreadyExists(e)) throw e; // sunk quietly upstream: no event
      this.recordPodEvent('create', set, pod, e);
      throw e;
    }
    this.recordPodEvent('create', set, pod);
  }

  async createMissingPersistentVolumeClaims(set: StsObj, pod: PodObj): Promise<void> {
    await this.createPersistentVolumeClaims(set, pod);
  }

  claimsMatchRetentionPolicy(set: StsObj, pod: PodObj): boolean {
    for (const claim of getPersistentVolumeClaims(set, getOrdinal(pod)).values()) {
      const existing = this.claimLister.get(claim.metadata?.namespace, claim.metadata!.name!);
      if (existing && !claimOwnerMatchesSetAndPod(existing, set, pod)) return false;
    }
    return true;
  }

  async updatePodClaimForRetentionPolicy(set: StsObj, pod: PodObj): Promise<void> {
    for (const claim of getPersistentVolumeClaims(set, getOrdinal(pod)).values()) {
      const existing = this.claimLister.get(claim.metadata?.namespace, claim.metadata!.name!);
      if (!existing || claimOwnerMatchesSetAndPod(existing, set, pod)) continue;
      const c = deepCopy(existing);
      (c.metadata as Record<string, unknown>).ownerReferences = claimOwnerRefsForSetAndPod(existing, set, pod);
      try {
        await this.client.update<PVC>(pvcsGVR, c.metadata?.namespace, c);
      } catch (e) {
        if (!isNotFound(e)) {
          this.recordClaimEvent('update', set, pod, claim, e);
          throw e;
        }
      }
    }
  }

  async updateStatefulPod(set: StsObj, pod: PodObj): Promise<void> {
    const p = deepCopy(pod);
    if (!identityMatches(set, p)) updateIdentity(set, p);
    let storageChanged = false;
    if (!storageMatches(set, p)) {
      updateStorage(set, p);
      storageChanged = true;
      await this.createPersistentVolumeClaims(set, p);
    }
    if (!this.claimsMatchRetentionPolicy(set, p)) await this.updatePodClaimForRetentionPolicy(set, p);
    if (!storageChanged && identityMatches(set, pod)) return;
    try {
      await this.client.update<PodObj>(GVR.pods, p.metadata?.namespace, p);
    } catch (e) {
      this.recordPodEvent('update', set, pod, e);
      throw e;
    }
  }

  async deleteStatefulPod(set: StsObj, pod: PodObj): Promise<void> {
    try {
      await this.client.delete(GVR.pods, pod.metadata?.namespace, pod.metadata!.name!);
    } catch (e) {
      if (isNotFound(e)) return;
      this.recordPodEvent('delete', set, pod, e);
      throw e;
    }
    this.recordPodEvent('delete', set, pod);
  }
}
