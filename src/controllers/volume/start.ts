/**
 * Wiring of the volume controllers for the controller manager: the PersistentVolume binder and the
 * PVC/PV protection controllers always,
 * and — when a node's storage directory is given — the `local-path` StorageClass plus the
 * local-path provisioner (as k3s runs it).
 */
import type { Client } from '../../client/interface.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import type { Logger } from '../../client/informer.ts';
import { PersistentVolumeController } from './pv-controller.ts';
import { StorageProtectionController } from './protection.ts';
import { controllerEventRecorder, type KindOf } from '../shared/event-recorder.ts';
import { LocalPathProvisioner, ensureLocalPathStorageClass } from './local-path-provisioner.ts';

/** Volume controllers record events on claims (namespaced) and volumes (cluster-scoped). */
const claimOrVolume: KindOf = (o) => (o.metadata?.namespace ? { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } : { apiVersion: 'v1', kind: 'PersistentVolume' });

/** Where the local-path provisioner keeps volumes, and for which node. */
export interface LocalPathOptions {
  /** `<dataDir>/agent/storage`. */
  storageDir: string;
  nodeName: string;
}

/**
 * Builds the volume controllers on `factory` (not started) and returns their run functions.
 * Creates the `local-path` StorageClass first when `localPath` is given (errors are logged, the
 * class is retried by the caller's next start).
 */
export async function startVolumeControllers(
  client: Client,
  factory: SharedInformerFactory,
  log: Logger,
  workers: number,
  signal: AbortSignal,
  localPath?: LocalPathOptions,
): Promise<{ name: string; run: () => Promise<void> }[]> {
  const runs: { name: string; run: () => Promise<void> }[] = [];
  const binder = new PersistentVolumeController({
    client, factory, logger: log,
    recorder: controllerEventRecorder(client, 'persistentvolume-controller', log, claimOrVolume),
  });
  runs.push({ name: 'persistentvolume-binder', run: () => binder.run(workers, signal) });
  const protection = new StorageProtectionController({ client, factory, logger: log });
  runs.push({ name: 'storage-protection', run: () => protection.run(Math.min(workers, 2), signal) });
  if (localPath) {
    try {
      await ensureLocalPathStorageClass(client);
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : e }, 'creating the local-path StorageClass failed');
    }
    const p = new LocalPathProvisioner({
      client, factory, logger: log, storageDir: localPath.storageDir, nodeName: localPath.nodeName,
      recorder: controllerEventRecorder(client, `${'rancher.io/local-path'}_${localPath.nodeName}`, log, claimOrVolume),
    });
    runs.push({ name: 'local-path-provisioner', run: () => p.run(Math.min(workers, 2), signal) });
  }
  return runs;
}
