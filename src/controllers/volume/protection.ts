/**
 * The PVC and PV protection controllers, after pkg/controller/volume/pvcprotection and
 * pkg/controller/volume/pvprotection:
 * - a claim being deleted keeps `kubernetes.io/pvc-protection` while a pod that is not Succeeded or
 *   Failed references it (`spec.volumes[].persistentVolumeClaim.claimName`); then the finalizer is
 *   removed and the apiserver finishes the deletion. A claim not being deleted gets the finalizer
 *   if it lacks it.
 * - a volume being deleted keeps `kubernetes.io/pv-protection` while its phase is Bound.
 * Pod changes (deleted, finished) requeue the claims they referenced.
 */
import { GVR, type Client } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { defaultLogger, unwrapTombstone, type DeletedFinalStateUnknown, type Logger, type SharedInformer } from '../../client/informer.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { BaseController } from '../shared/base-controller.ts';
import { PVCProtectionFinalizer, PVProtectionFinalizer } from '../../apiserver/admission/storage-object-in-use-protection.ts';
import { PersistentVolumeClaimsGVR, PersistentVolumesGVR, type Obj } from './util.ts';

/** Claim names (in the pod's namespace) a pod references. */
function podClaims(pod: Obj): string[] {
  return ((pod.spec?.volumes ?? []) as { persistentVolumeClaim?: { claimName?: string } }[]).map((v) => v.persistentVolumeClaim?.claimName ?? '').filter(Boolean);
}
const podActive = (pod: Obj) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

/** Both protection controllers on one queue (`pvc:<ns>/<name>`, `pv:<name>`). */
export class StorageProtectionController extends BaseController {
  private readonly client: Client;
  readonly claims: SharedInformer<Obj>;
  readonly volumes: SharedInformer<Obj>;
  readonly pods: SharedInformer<Obj>;

  constructor(opts: { client: Client; factory: SharedInformerFactory; logger?: Logger }) {
    super('storage-protection', (key) => this.sync(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.claims = opts.factory.forResource<Obj>(PersistentVolumeClaimsGVR);
    this.volumes = opts.factory.forResource<Obj>(PersistentVolumesGVR);
    this.pods = opts.factory.forResource<Obj>(GVR.pods);
    const onClaim = (c: Obj) => this.queue.add(`pvc:${c.metadata?.namespace}/${c.metadata?.name}`);
    const onVolume = (v: Obj) => this.queue.add(`pv:${v.metadata?.name}`);
    const onPod = (p: Obj) => {
      for (const n of podClaims(p)) this.queue.add(`pvc:${p.metadata?.namespace}/${n}`);
    };
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c), onDelete: () => undefined });
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v), onDelete: () => undefined });
    this.pods.addEventHandler({
      onAdd: () => undefined,
      onUpdate: (o, p) => {
        if (podActive(o) && !podActive(p)) onPod(p);
      },
      onDelete: (p) => onPod(unwrapTombstone(p as Obj | DeletedFinalStateUnknown<Obj>)),
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.claims, this.volumes, this.pods]) if (!(await inf.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** Dispatches a key. */
  async sync(key: string): Promise<void> {
    if (key.startsWith('pv:')) {
      const v = this.volumes.lister.get(undefined, key.slice(3));
      if (v) await this.processPV(v);
      return;
    }
    const [ns, name] = key.slice(4).split('/');
    const c = this.claims.lister.get(ns, name);
    if (c) await this.processPVC(c);
  }

  /** `processPVC`. */
  async processPVC(claim: Obj): Promise<void> {
    const finalizers = claim.metadata?.finalizers ?? [];
    const has = finalizers.includes(PVCProtectionFinalizer);
    if (!claim.metadata?.deletionTimestamp) {
      if (!has) await this.setFinalizers(PersistentVolumeClaimsGVR, claim, [...finalizers, PVCProtectionFinalizer]);
      return;
    }
    if (!has) return;
    // Check the live pods (the informer may lag behind a pod that was just created).
    const pods = (await this.client.list<Obj>(GVR.pods, claim.metadata.namespace)).items;
    const used = pods.some((p) => podActive(p) && podClaims(p).includes(claim.metadata!.name!));
    if (!used) await this.setFinalizers(PersistentVolumeClaimsGVR, claim, finalizers.filter((f) => f !== PVCProtectionFinalizer));
  }

  /** `processPV`. */
  async processPV(volume: Obj): Promise<void> {
    const finalizers = volume.metadata?.finalizers ?? [];
    const has = finalizers.includes(PVProtectionFinalizer);
    if (!volume.metadata?.deletionTimestamp) {
      if (!has) await this.setFinalizers(PersistentVolumesGVR, volume, [...finalizers, PVProtectionFinalizer]);
      return;
    }
    if (has && volume.status?.phase !== 'Bound') {
      await this.setFinalizers(PersistentVolumesGVR, volume, finalizers.filter((f) => f !== PVProtectionFinalizer));
    }
  }

  private async setFinalizers(gvr: typeof PersistentVolumesGVR, obj: Obj, finalizers: string[]): Promise<void> {
    try {
      await this.client.patch(gvr, obj.metadata?.namespace, obj.metadata!.name!, 'application/merge-patch+json', {
        metadata: { finalizers, resourceVersion: obj.metadata?.resourceVersion },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
