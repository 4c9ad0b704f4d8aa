/**
 * The scheduler's PVC / PV / StorageClass informers for the VolumeBinding plugin, with upstream's
 * queueing hint: a claim, volume or class being added or updated retries pods that VolumeBinding
 * rejected (pkg/scheduler/eventhandlers.go: PersistentVolumeClaim/PersistentVolume/StorageClass
 * Add and Update events).
 */
import type { Client, KubeObject } from '../client/interface.ts';
import { SharedInformer, type Logger } from '../client/informer.ts';
import type { SharedInformerFactory } from '../client/informer-factory.ts';
import type { SchedulingQueue } from './scheduling-queue.ts';
import { Name as VolumeBindingName } from './plugins/volume-binding/volume-binding.ts';
import { PersistentVolumeClaimsGVR, PersistentVolumesGVR, StorageClassesGVR } from '../controllers/volume/util.ts';

/** The three informers. */
export interface VolumeInformers {
  claims: SharedInformer<KubeObject>;
  volumes: SharedInformer<KubeObject>;
  classes: SharedInformer<KubeObject>;
}

/**
 * Creates the informers (from `factory` when given — the caller starts it — else standalone ones
 * whose run promises are pushed to `runs`) and registers the retry handlers on `queue`.
 */
export function volumeInformers(
  client: Client,
  factory: SharedInformerFactory | undefined,
  queue: SchedulingQueue,
  signal: AbortSignal,
  runs: Promise<void>[],
  logger?: Logger,
): VolumeInformers {
  const make = (gvr: typeof PersistentVolumesGVR) => (factory ? factory.forResource(gvr) : new SharedInformer(client, gvr, { logger }));
  const inf: VolumeInformers = { claims: make(PersistentVolumeClaimsGVR), volumes: make(PersistentVolumesGVR), classes: make(StorageClassesGVR) };
  for (const [event, i] of [['PersistentVolumeClaim', inf.claims], ['PersistentVolume', inf.volumes], ['StorageClass', inf.classes]] as const) {
    const retry = (what: string) => queue.moveAllToActiveOrBackoffQueue(`${event}${what}`, (p) => p.unschedulablePlugins.has(VolumeBindingName));
    i.addEventHandler({ onAdd: () => retry('Add'), onUpdate: () => retry('Update'), onDelete: () => undefined });
    if (!factory) runs.push(i.run(signal));
  }
  return inf;
}
