/**
 * DefaultStorageClass admission, after plugin/pkg/admission/storage/storageclass/setdefault:
 * a PersistentVolumeClaim created without `spec.storageClassName` (and without the beta
 * `volume.beta.kubernetes.io/storage-class` annotation) gets the default StorageClass — the class
 * annotated `storageclass.kubernetes.io/is-default-class: "true"` (or the beta annotation). With
 * several defaults the newest one wins (then the name, ascending), as upstream since 1.28. A claim
 * with `storageClassName: ""` explicitly asks for no class and is left alone; so are updates and
 * subresources. No default class: nothing changes.
 */
import type { KubeObject } from '../../client/interface.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';
import { isDefaultStorageClass } from '../../api/storage/v1/storageclass/printer.ts';
import { BetaStorageClassAnnotation } from '../../api/core/v1/persistentvolume/helpers.ts';

/**
 * `GetDefaultClass`: the default StorageClass among `classes`, or undefined. Newest
 * creationTimestamp first; equal timestamps → name ascending.
 */
export function getDefaultClass(classes: KubeObject[]): KubeObject | undefined {
  const defaults = classes.filter(isDefaultStorageClass);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return tb - ta;
    return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  });
  return defaults[0];
}

/** Minimal view of the apiserver pipeline used to list StorageClasses. */
export interface StorageClassSource {
  find(group: string, version: string, resource: string): unknown;
  store(ri: never): { list(namespace: string | undefined): Promise<{ items: KubeObject[] }> };
}

/**
 * A StorageClass lister reading the apiserver's own store (`[]` when storageclasses are not served).
 * @param pipeline the APIServer's Pipeline (`find` + `store`)
 */
export function storageClassLister(pipeline: StorageClassSource): () => Promise<KubeObject[]> {
  return async () => {
    const ri = pipeline.find('storage.k8s.io', 'v1', 'storageclasses');
    if (!ri) return [];
    return (await pipeline.store(ri as never).list(undefined)).items;
  };
}

/** The DefaultStorageClass plugin. `listClasses` returns every StorageClass. */
export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = 'DefaultStorageClass';
  constructor(private readonly listClasses: () => Promise<KubeObject[]>) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== '' || a.resource.group !== '' || a.resource.resource !== 'persistentvolumeclaims') return;
    const pvc = a.object;
    if (!pvc) return;
    const spec = (pvc.spec ?? {}) as Record<string, unknown>;
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
    if (pvc.metadata?.annotations && BetaStorageClassAnnotation in pvc.metadata.annotations) return;
    const def = getDefaultClass(await this.listClasses());
    if (!def?.metadata?.name) return;
    spec.storageClassName = def.metadata.name;
    pvc.spec = spec;
  }
}
