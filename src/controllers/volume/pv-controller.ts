/**
 * PersistentVolume binder, after pkg/controller/volume/persistentvolume/pv_controller.go
 * (syncClaim / syncUnboundClaim / syncBoundClaim / syncVolume / bind / reclaimVolume).
 *
 * Keys: `claim:<ns>/<name>` and `volume:<name>` on one queue.
 * - An unbound claim gets the best matching volume (see {@link findMatchingVolume}): the volume's
 *   `claimRef` is set (annotation `pv.kubernetes.io/bound-by-controller: "yes"` unless the user
 *   pre-bound it), the volume's phase becomes Bound, the claim gets `spec.volumeName` and
 *   `pv.kubernetes.io/bind-completed: "yes"`, and its status Bound with the volume's access modes
 *   and capacity.
 * - No match: a WaitForFirstConsumer claim without `volume.kubernetes.io/selected-node` waits
 *   (event WaitForFirstConsumer); a claim of a class with a provisioner gets
 *   `volume.kubernetes.io/storage-provisioner` (event ExternalProvisioning); otherwise event
 *   FailedBinding. The claim stays Pending.
 * - A bound claim whose volume vanished or was re-bound becomes Lost (events ClaimLost / ClaimMisbound).
 * - A volume without claimRef is Available; one whose claim is gone is Released and reclaimed:
 *   Retain keeps it; Delete of a volume provisioned by an external provisioner is left to that
 *   provisioner; other Delete/Recycle volumes become Failed (no in-tree deleter/recycler here).
 *
 * Departure (Skiff has no VolumeBinding scheduler plugin yet): for WaitForFirstConsumer claims the
 * controller itself plays the scheduler's part — when a pod using an unbound claim is assigned a
 * node, it sets `volume.kubernetes.io/selected-node` on the claim; a claim with that annotation is
 * matched against volumes whose node affinity admits that node, then provisioned.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { GVR, type Client } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { defaultLogger, unwrapTombstone, type DeletedFinalStateUnknown, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/record.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { getPersistentVolumeClaimClass } from '../../api/core/v1/persistentvolume/helpers.ts';
import { BaseController } from '../shared/base-controller.ts';
import {
  AnnBetaStorageProvisioner,
  AnnBindCompleted,
  AnnBoundByController,
  AnnDynamicallyProvisioned,
  AnnSelectedNode,
  AnnStorageProvisioner,
  PersistentVolumeClaimsGVR,
  PersistentVolumesGVR,
  StorageClassesGVR,
  findMatchingVolume,
  isDelayBindingMode,
  isVolumeBoundToClaim,
  type Obj,
} from './util.ts';

/** Options of {@link PersistentVolumeController}. */
export interface PersistentVolumeControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  logger?: Logger;
  /** Provisioners running outside this controller that delete their own volumes (default: `rancher.io/local-path`). */
  externalProvisioners?: string[];
  /** Period of the full resync of claims and volumes, ms (default 15 000, upstream's sync period). */
  resyncMs?: number;
}

const claimKey = (c: Obj) => `claim:${c.metadata?.namespace}/${c.metadata?.name}`;
const volumeKey = (v: Obj) => `volume:${v.metadata?.name}`;

/** The PV controller; see module comment. */
export class PersistentVolumeController extends BaseController {
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  readonly volumes: SharedInformer<Obj>;
  readonly claims: SharedInformer<Obj>;
  readonly classes: SharedInformer<Obj>;
  readonly pods: SharedInformer<Obj>;
  readonly nodes: SharedInformer<Obj>;
  private readonly externalProvisioners: Set<string>;
  private readonly resyncMs: number;

  constructor(opts: PersistentVolumeControllerOptions) {
    super('persistentvolume-binder', (key) => this.sync(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.resyncMs = opts.resyncMs ?? 15_000;
    this.externalProvisioners = new Set(opts.externalProvisioners ?? ['rancher.io/local-path']);
    this.volumes = opts.factory.forResource<Obj>(PersistentVolumesGVR);
    this.claims = opts.factory.forResource<Obj>(PersistentVolumeClaimsGVR);
    this.classes = opts.factory.forResource<Obj>(StorageClassesGVR);
    this.pods = opts.factory.forResource<Obj>(GVR.pods);
    this.nodes = opts.factory.forResource<Obj>(GVR.nodes);
    this.volumes.addEventHandler({
      onAdd: (v) => {
        this.queue.add(volumeKey(v));
        if (!v.spec?.claimRef) this.requeuePendingClaims();
      },
      onUpdate: (o, v) => {
        this.queue.add(volumeKey(v));
        if (o.spec?.claimRef && !v.spec?.claimRef) this.requeuePendingClaims();
      },
      onDelete: (v) => this.deleteVolume(unwrapTombstone(v as Obj | DeletedFinalStateUnknown<Obj>)),
    });
    this.claims.addEventHandler({
      onAdd: (c) => this.queue.add(claimKey(c)),
      onUpdate: (_o, c) => this.queue.add(claimKey(c)),
      onDelete: (c) => this.deleteClaim(unwrapTombstone(c as Obj | DeletedFinalStateUnknown<Obj>)),
    });
    this.classes.addEventHandler({
      onAdd: () => this.requeuePendingClaims(),
      onUpdate: () => undefined,
      onDelete: () => undefined,
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
      onDelete: () => undefined,
    });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.volumes, this.claims, this.classes, this.pods, this.nodes]) {
      if (!(await inf.waitForSync(signal))) return;
    }
    // Periodic resync of every claim and volume (upstream --pvclaimbinder-sync-period).
    const timer = setInterval(() => this.resync(), this.resyncMs);
    try {
      await this.runWorkers(workers, signal);
    } finally {
      clearInterval(timer);
    }
  }

  /** Enqueues every claim and volume. */
  resync(): void {
    for (const c of this.claims.store.list()) this.queue.add(claimKey(c));
    for (const v of this.volumes.store.list()) this.queue.add(volumeKey(v));
  }

  private deleteVolume(v: Obj): void {
    // A bound claim of a deleted volume becomes Lost.
    const ref = v.spec?.claimRef;
    if (ref?.name) this.queue.add(`claim:${ref.namespace}/${ref.name}`);
  }

  private deleteClaim(c: Obj): void {
    // The claim's volume is released; sync it.
    const name = c.spec?.volumeName;
    if (name) this.queue.add(`volume:${name}`);
    for (const v of this.volumes.store.list()) if (v.spec?.claimRef?.uid && v.spec.claimRef.uid === c.metadata?.uid) this.queue.add(volumeKey(v));
  }

  private requeuePendingClaims(): void {
    for (const c of this.claims.store.list()) if (!c.spec?.volumeName) this.queue.add(claimKey(c));
  }

  /** Scheduler stand-in: a pod assigned to a node selects that node for its unbound WaitForFirstConsumer claims. */
  private podChanged(p: Obj): void {
    const pod = p as unknown as Pod;
    const node = pod.spec?.nodeName;
    if (!node || pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    for (const vol of pod.spec?.volumes ?? []) {
      const name = vol.persistentVolumeClaim?.claimName;
      if (!name) continue;
      const claim = this.claims.lister.get(pod.metadata?.namespace, name);
      if (!claim || claim.spec?.volumeName || claim.metadata?.annotations?.[AnnSelectedNode]) continue;
      if (!isDelayBindingMode(claim, (n) => this.classes.lister.get(undefined, n))) continue;
      this.queue.add(`select:${claim.metadata?.namespace}/${name}/${node}`);
    }
  }

  /** Dispatches a queue key. */
  async sync(key: string): Promise<void> {
    const i = key.indexOf(':');
    const kind = key.slice(0, i);
    const rest = key.slice(i + 1);
    if (kind === 'volume') {
      const v = this.volumes.lister.get(undefined, rest);
      if (v) await this.syncVolume(v);
      return;
    }
    if (kind === 'select') {
      const [ns, name, node] = rest.split('/');
      await this.selectNode(ns, name, node);
      return;
    }
    const [ns, name] = rest.split('/');
    const c = this.claims.lister.get(ns, name);
    if (c) await this.syncClaim(c);
  }

  private async selectNode(ns: string, name: string, node: string): Promise<void> {
    const claim = this.claims.lister.get(ns, name);
    if (!claim || claim.spec?.volumeName || claim.metadata?.annotations?.[AnnSelectedNode]) return;
    await this.client.patch(PersistentVolumeClaimsGVR, ns, name, 'application/merge-patch+json', { metadata: { annotations: { [AnnSelectedNode]: node } } });
  }

  /** `syncClaim`. */
  async syncClaim(claim: Obj): Promise<void> {
    if (claim.metadata?.annotations?.[AnnBindCompleted] === undefined) await this.syncUnboundClaim(claim);
    else await this.syncBoundClaim(claim);
  }

  private className(name: string) {
    return this.classes.lister.get(undefined, name);
  }

  /** `syncUnboundClaim`. */
  async syncUnboundClaim(claim: Obj): Promise<void> {
    if (!claim.spec?.volumeName) {
      const delayBinding = isDelayBindingMode(claim, (n) => this.className(n));
      const selected = claim.metadata?.annotations?.[AnnSelectedNode];
      const node = selected ? (this.nodes.lister.get(undefined, selected) as unknown as Node | undefined) : undefined;
      const volume = findMatchingVolume(claim, this.volumes.store.list(), node, delayBinding);
      if (!volume) {
        const className = getPersistentVolumeClaimClass(claim);
        const sc = className ? this.className(className) : undefined;
        const provisioner = (sc as { provisioner?: string } | undefined)?.provisioner;
        if (delayBinding && !selected) {
          this.recorder.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
        } else if (provisioner) {
          await this.provisionClaim(claim, provisioner);
        } else {
          this.recorder.event(claim, 'Normal', 'FailedBinding', className ? `storageclass.storage.k8s.io "${className}" not found` : 'no persistent volumes available for this claim and no storage class is set');
        }
        await this.updateClaimStatus(claim, 'Pending', undefined);
        return;
      }
      await this.bind(volume, claim);
      return;
    }
    // The user asked for a particular volume.
    const volume = this.volumes.lister.get(undefined, claim.spec.volumeName);
    if (!volume) {
      await this.updateClaimStatus(claim, 'Pending', undefined);
      return;
    }
    if (!volume.spec?.claimRef || isVolumeBoundToClaim(volume, claim)) {
      await this.bind(volume, claim);
      return;
    }
    this.recorder.event(claim, 'Warning', 'FailedBinding', 'volume "' + volume.metadata?.name + '" already bound to a different claim.');
    await this.updateClaimStatus(claim, 'Pending', undefined);
  }

  /** `syncBoundClaim`. */
  async syncBoundClaim(claim: Obj): Promise<void> {
    if (!claim.spec?.volumeName) {
      await this.updateClaimStatusWithEvent(claim, 'Lost', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      return;
    }
    const volume = this.volumes.lister.get(undefined, claim.spec.volumeName);
    if (!volume) {
      await this.updateClaimStatusWithEvent(claim, 'Lost', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return;
    }
    if (!volume.spec?.claimRef || volume.spec.claimRef.uid === claim.metadata?.uid) {
      await this.bind(volume, claim);
      return;
    }
    await this.updateClaimStatusWithEvent(claim, 'Lost', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
  }

  /** `provisionClaim` for an external provisioner: annotate the claim and say so. */
  private async provisionClaim(claim: Obj, provisioner: string): Promise<void> {
    const ann = claim.metadata?.annotations ?? {};
    if (ann[AnnStorageProvisioner] !== provisioner || ann[AnnBetaStorageProvisioner] !== provisioner) {
      await this.client.patch(PersistentVolumeClaimsGVR, claim.metadata?.namespace, claim.metadata!.name!, 'application/merge-patch+json', {
        metadata: { annotations: { [AnnStorageProvisioner]: provisioner, [AnnBetaStorageProvisioner]: provisioner } },
      });
    }
    this.recorder.event(claim, 'Normal', 'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  /** `bind`: volume → claim, volume phase Bound, claim → volume, claim status Bound. */
  async bind(volume: Obj, claim: Obj): Promise<void> {
    let v = volume;
    const ref = v.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata?.uid || ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) {
      const next: Obj = structuredClone(v);
      const preBound = isVolumeBoundToClaim(v, claim);
      next.spec = {
        ...next.spec,
        claimRef: {
          kind: 'PersistentVolumeClaim', namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid: claim.metadata?.uid,
          apiVersion: 'v1', resourceVersion: claim.metadata?.resourceVersion,
        },
      };
      if (!preBound) next.metadata = { ...next.metadata, annotations: { ...(next.metadata?.annotations ?? {}), [AnnBoundByController]: 'yes' } };
      v = await this.client.update(PersistentVolumesGVR, undefined, next);
    }
    if (v.status?.phase !== 'Bound') {
      v = await this.client.update(PersistentVolumesGVR, undefined, { ...v, status: { ...(v.status ?? {}), phase: 'Bound', message: undefined, reason: undefined } }, { subresource: 'status' });
    }
    let c = claim;
    const ann = c.metadata?.annotations ?? {};
    if (c.spec?.volumeName !== v.metadata?.name || ann[AnnBindCompleted] !== 'yes') {
      const next: Obj = structuredClone(c);
      const annotations: Record<string, string> = { ...ann, [AnnBindCompleted]: 'yes' };
      if (next.spec?.volumeName !== v.metadata?.name) {
        next.spec = { ...next.spec, volumeName: v.metadata?.name };
        annotations[AnnBoundByController] = 'yes';
      }
      next.metadata = { ...next.metadata, annotations };
      c = await this.client.update(PersistentVolumeClaimsGVR, c.metadata?.namespace, next);
    }
    await this.updateClaimStatus(c, 'Bound', v);
  }

  private async updateClaimStatusWithEvent(claim: Obj, phase: string, reason: string, message: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    this.recorder.event(claim, 'Warning', reason, message);
    await this.updateClaimStatus(claim, phase, undefined);
  }

  /** `updateClaimStatus`: phase, and for Bound the volume's access modes and capacity. No write when unchanged. */
  async updateClaimStatus(claim: Obj, phase: string, volume: Obj | undefined): Promise<void> {
    const status: Record<string, any> = { ...(claim.status ?? {}), phase };
    if (volume) {
      status.accessModes = volume.spec?.accessModes;
      status.capacity = volume.spec?.capacity;
    }
    if (JSON.stringify(status) === JSON.stringify(claim.status ?? {})) return;
    try {
      await this.client.update(PersistentVolumeClaimsGVR, claim.metadata?.namespace, { ...claim, status }, { subresource: 'status' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** `updateVolumePhase` (+ reason/message), no write when unchanged. */
  async updateVolumePhase(volume: Obj, phase: string, reason = '', message = ''): Promise<Obj> {
    const st = volume.status ?? {};
    if (st.phase === phase && (st.reason ?? '') === reason && (st.message ?? '') === message) return volume;
    const status: Record<string, any> = { ...st, phase };
    if (reason) status.reason = reason;
    else delete status.reason;
    if (message) status.message = message;
    else delete status.message;
    return this.client.update(PersistentVolumesGVR, undefined, { ...volume, status }, { subresource: 'status' });
  }

  /** `syncVolume`. */
  async syncVolume(volume: Obj): Promise<void> {
    const ref = volume.spec?.claimRef;
    if (!ref) {
      await this.updateVolumePhase(volume, 'Available');
      return;
    }
    if (!ref.uid) {
      // Pre-bound by the user; the claim's sync binds it.
      await this.updateVolumePhase(volume, 'Available');
      this.queue.add(`claim:${ref.namespace}/${ref.name}`);
      return;
    }
    let claim = this.claims.lister.get(ref.namespace, ref.name);
    if (!claim) {
      try {
        claim = await this.client.get<Obj>(PersistentVolumeClaimsGVR, ref.namespace, ref.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (claim && claim.metadata?.uid !== ref.uid) claim = undefined;
    if (!claim) {
      // The claim is gone: Released, then reclaim.
      let v = volume;
      if (v.status?.phase !== 'Released' && v.status?.phase !== 'Failed') v = await this.updateVolumePhase(v, 'Released');
      await this.reclaimVolume(v);
      return;
    }
    if (!claim.spec?.volumeName) {
      // Binding not finished yet; the claim's sync completes it.
      this.queue.add(claimKey(claim));
      return;
    }
    if (claim.spec.volumeName === volume.metadata?.name) {
      await this.updateVolumePhase(volume, 'Bound');
      return;
    }
    // The claim is bound to another volume.
    if (volume.metadata?.annotations?.[AnnDynamicallyProvisioned] && volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      let v = volume;
      if (v.status?.phase !== 'Released' && v.status?.phase !== 'Failed') v = await this.updateVolumePhase(v, 'Released');
      await this.reclaimVolume(v);
      return;
    }
    if (volume.metadata?.annotations?.[AnnBoundByController]) await this.unbindVolume(volume);
    else await this.updateVolumePhase(volume, 'Available');
  }

  /** `unbindVolume`: drop the controller-made claimRef and annotation; phase Available. */
  private async unbindVolume(volume: Obj): Promise<void> {
    const next: Obj = structuredClone(volume);
    delete next.spec!.claimRef;
    const ann = { ...(next.metadata?.annotations ?? {}) };
    delete ann[AnnBoundByController];
    next.metadata = { ...next.metadata, annotations: ann };
    const v = await this.client.update(PersistentVolumesGVR, undefined, next);
    await this.updateVolumePhase(v, 'Available');
  }

  /** `reclaimVolume`: Retain keeps the volume; Delete/Recycle as the module comment says. */
  async reclaimVolume(volume: Obj): Promise<void> {
    const policy = volume.spec?.persistentVolumeReclaimPolicy;
    if (policy === 'Retain' || volume.status?.phase === 'Failed') return;
    const provisionedBy = volume.metadata?.annotations?.[AnnDynamicallyProvisioned];
    if (policy === 'Delete') {
      if (provisionedBy && this.externalProvisioners.has(provisionedBy)) return; // the provisioner deletes it
      const msg = `error getting deleter volume plugin for volume "${volume.metadata?.name}": no deletable volume plugin matched`;
      this.recorder.event(volume, 'Warning', 'VolumeFailedDelete', msg);
      await this.updateVolumePhase(volume, 'Failed', 'VolumeFailedDelete', msg);
      return;
    }
    if (policy === 'Recycle') {
      const msg = 'No recycler plugin found for the volume!';
      this.recorder.event(volume, 'Warning', 'VolumeFailedRecycle', msg);
      await this.updateVolumePhase(volume, 'Failed', 'VolumeFailedRecycle', msg);
    }
  }
}
