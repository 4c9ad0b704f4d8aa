/**
 * The local-path provisioner, after rancher/local-path-provisioner (as k3s ships it) on top of
 * sig-storage-lib-external-provisioner's controller loop, run inside the server process (which is
 * the node of the embedded agent).
 *
 * - {@link ensureLocalPathStorageClass} creates StorageClass `local-path` (provisioner
 *   `rancher.io/local-path`, default class, WaitForFirstConsumer, reclaimPolicy Delete) if missing.
 * - Provision: a Pending claim with no volume, whose class has provisioner `rancher.io/local-path`,
 *   that the PV controller annotated `volume.kubernetes.io/storage-provisioner: rancher.io/local-path`
 *   and — for WaitForFirstConsumer — whose `volume.kubernetes.io/selected-node` is this node, gets a
 *   directory `<storageDir>/pvc-<claim uid>_<ns>_<name>` (mode 0777) and a PV `pvc-<claim uid>`:
 *   capacity = the storage request, the claim's access modes, the class' reclaim policy,
 *   `hostPath {path, type: DirectoryOrCreate}`, node affinity `kubernetes.io/hostname In [node]`,
 *   `claimRef` to the claim (with uid) and `pv.kubernetes.io/provisioned-by: rancher.io/local-path`.
 *   Events on the claim: Provisioning, then ProvisioningSucceeded (or ProvisioningFailed).
 *   The PV controller then binds the claim to the pre-bound PV.
 * - Delete: a Released PV provisioned here with reclaimPolicy Delete has its directory removed
 *   (only a path directly under `storageDir`) and the PV object deleted.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Client, KubeObject } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/record.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { getPersistentVolumeClaimClass } from '../../api/core/v1/persistentvolume/helpers.ts';
import { IsDefaultStorageClassAnnotation } from '../../api/storage/v1/storageclass/printer.ts';
import { BaseController } from '../shared/base-controller.ts';
import {
  AnnDynamicallyProvisioned,
  AnnSelectedNode,
  AnnStorageProvisioner,
  PersistentVolumeClaimsGVR,
  PersistentVolumesGVR,
  StorageClassesGVR,
  type Obj,
} from './util.ts';

/** The provisioner name of k3s' local-path provisioner. */
export const LocalPathProvisionerName = 'rancher.io/local-path';
/** The StorageClass k3s creates for it. */
export const LocalPathStorageClassName = 'local-path';

/** The `local-path` StorageClass object. */
export function localPathStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LocalPathStorageClassName, annotations: { [IsDefaultStorageClassAnnotation]: 'true' } },
    provisioner: LocalPathProvisionerName,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  } as KubeObject;
}

/** Creates the `local-path` StorageClass unless it exists. @throws the first error other than AlreadyExists */
export async function ensureLocalPathStorageClass(client: Client): Promise<void> {
  try {
    await client.create(StorageClassesGVR, undefined, localPathStorageClass());
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

/** `<storageDir>/pvc-<uid>_<ns>_<name>`: the directory of a claim's volume. */
export function volumeDirFor(storageDir: string, pvName: string, claim: KubeObject): string {
  return path.join(storageDir, `${pvName}_${claim.metadata?.namespace}_${claim.metadata?.name}`);
}

/**
 * The PV the provisioner creates for `claim` (see module comment).
 * @param reclaimPolicy the class' reclaim policy (Delete when unset)
 */
export function provisionedVolume(claim: Obj, className: string, reclaimPolicy: string, dir: string, nodeName: string): Obj {
  const name = `pvc-${claim.metadata?.uid}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [AnnDynamicallyProvisioned]: LocalPathProvisionerName, 'local.path.provisioner/selected-node': nodeName } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage },
      accessModes: claim.spec?.accessModes,
      persistentVolumeReclaimPolicy: reclaimPolicy || 'Delete',
      storageClassName: className,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: dir, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } },
      claimRef: {
        kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata?.namespace, name: claim.metadata?.name,
        uid: claim.metadata?.uid, resourceVersion: claim.metadata?.resourceVersion,
      },
    },
  };
}

/** Options of {@link LocalPathProvisioner}. */
export interface LocalPathProvisionerOptions {
  client: Client;
  factory: SharedInformerFactory;
  recorder: EventRecorder;
  /** Directory that holds the volumes (`<dataDir>/agent/storage`). */
  storageDir: string;
  /** This node's name (node affinity of the volumes). */
  nodeName: string;
  logger?: Logger;
}

/** The provisioner controller; see module comment. */
export class LocalPathProvisioner extends BaseController {
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  readonly storageDir: string;
  readonly nodeName: string;
  readonly claims: SharedInformer<Obj>;
  readonly volumes: SharedInformer<Obj>;
  readonly classes: SharedInformer<Obj>;

  constructor(opts: LocalPathProvisionerOptions) {
    super('local-path-provisioner', (key) => this.sync(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.recorder = opts.recorder;
    this.storageDir = path.resolve(opts.storageDir);
    this.nodeName = opts.nodeName;
    this.claims = opts.factory.forResource<Obj>(PersistentVolumeClaimsGVR);
    this.volumes = opts.factory.forResource<Obj>(PersistentVolumesGVR);
    this.classes = opts.factory.forResource<Obj>(StorageClassesGVR);
    const onClaim = (c: Obj) => this.queue.add(`claim:${c.metadata?.namespace}/${c.metadata?.name}`);
    const onVolume = (v: Obj) => this.queue.add(`volume:${v.metadata?.name}`);
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c), onDelete: () => undefined });
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v), onDelete: () => undefined });
  }

  /** Waits for the informers to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    for (const inf of [this.claims, this.volumes, this.classes]) if (!(await inf.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** Dispatches `claim:<ns>/<name>` and `volume:<name>` keys. */
  async sync(key: string): Promise<void> {
    const i = key.indexOf(':');
    const rest = key.slice(i + 1);
    if (key.startsWith('volume:')) {
      const v = this.volumes.lister.get(undefined, rest);
      if (v) await this.syncVolume(v);
      return;
    }
    const [ns, name] = rest.split('/');
    const c = this.claims.lister.get(ns, name);
    if (c) await this.provisionClaim(c);
  }

  /** `shouldProvision` + `provisionClaimOperation`. */
  async provisionClaim(claim: Obj): Promise<void> {
    if (claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
    const ann = claim.metadata?.annotations ?? {};
    if (ann[AnnStorageProvisioner] !== LocalPathProvisionerName) return;
    const className = getPersistentVolumeClaimClass(claim);
    const sc = this.classes.lister.get(undefined, className) as (Obj & { provisioner?: string; reclaimPolicy?: string; volumeBindingMode?: string }) | undefined;
    if (!sc || sc.provisioner !== LocalPathProvisionerName) return;
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && ann[AnnSelectedNode] !== this.nodeName) return;
    const pvName = `pvc-${claim.metadata?.uid}`;
    if (this.volumes.lister.get(undefined, pvName)) return;
    const dir = volumeDirFor(this.storageDir, pvName, claim);
    this.recorder.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claim.metadata?.namespace}/${claim.metadata?.name}"`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o777 });
      await chmod(dir, 0o777);
      await this.client.create(PersistentVolumesGVR, undefined, provisionedVolume(claim, className, sc.reclaimPolicy ?? 'Delete', dir, this.nodeName));
    } catch (e) {
      if (isAlreadyExists(e)) return;
      const msg = e instanceof Error ? e.message : String(e);
      this.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": ${msg}`);
      throw e;
    }
    this.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  }

  /** `deleteVolumeOperation` for a Released PV of ours with reclaimPolicy Delete. */
  async syncVolume(volume: Obj): Promise<void> {
    if (volume.metadata?.annotations?.[AnnDynamicallyProvisioned] !== LocalPathProvisionerName) return;
    if (volume.status?.phase !== 'Released' || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    if (volume.metadata?.deletionTimestamp) return;
    const dir = path.resolve(String(volume.spec?.hostPath?.path ?? volume.spec?.local?.path ?? ''));
    if (path.dirname(dir) !== this.storageDir) {
      this.recorder.event(volume, 'Warning', 'VolumeFailedDelete', `volume path ${dir} is not under ${this.storageDir}`);
      return;
    }
    await rm(dir, { recursive: true, force: true });
    try {
      await this.client.delete(PersistentVolumesGVR, undefined, volume.metadata!.name!, { preconditions: { uid: volume.metadata?.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
