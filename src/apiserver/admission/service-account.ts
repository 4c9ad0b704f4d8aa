/**
 * ServiceAccount admission (mutating part), after plugin/pkg/admission/serviceaccount/admission.go:
 * a pod created without `spec.serviceAccountName` runs as the namespace's `default`
 * ServiceAccount (the deprecated `spec.serviceAccount` mirrors it), and unless
 * `automountServiceAccountToken` is false on the pod (else on the ServiceAccount), gets the
 * projected `kube-api-access-<5 random>` volume (serviceAccountToken `token` with
 * expirationSeconds 3607, configMap `kube-root-ca.crt` key `ca.crt`, downwardAPI `namespace`)
 * mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every init and regular
 * container that has no mount at that path yet (mountServiceAccountToken). A pod without
 * `imagePullSecrets` gets the ServiceAccount's. Mirror pods are left alone.
 *
 * Departure: a missing ServiceAccount is not refused (upstream: 403 "error looking up service
 * account"), since the `default` ServiceAccount of a new namespace appears a moment after the
 * namespace; the pod is admitted and its token request fails until the ServiceAccount exists.
 */
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../../client/interface.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';

/** The annotation that marks a static (mirror) pod; such pods may not use ServiceAccounts. */
export const MirrorPodAnnotation = 'kubernetes.io/config.mirror';
/** Where the token volume is mounted (DefaultAPITokenMountPath). */
export const DefaultAPITokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Prefix of the projected token volume's name (ServiceAccountVolumeName). */
export const ServiceAccountVolumeName = 'kube-api-access';
/** The ConfigMap with the cluster CA published in every namespace (root-ca-cert-publisher). */
export const RootCACertConfigMapName = 'kube-root-ca.crt';

/** Reads a ServiceAccount; undefined when it does not exist. */
export type ServiceAccountGetter = (namespace: string, name: string) => Promise<KubeObject | undefined>;

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** `<base>` + 5 random characters, as apiserver's names.SimpleNameGenerator. */
export function generateName(base: string): string {
  let s = base;
  for (let i = 0; i < 5; i++) s += NAME_CHARS[randomInt(NAME_CHARS.length)];
  return s;
}

/** The projected token volume named `name` (upstream TokenVolumeSource + createVolume), defaultMode 0644. */
export function kubeAPIAccessVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: RootCACertConfigMapName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 0o644,
    },
  };
}

interface PodSpecLike {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean | null;
  imagePullSecrets?: Array<{ name?: string }>;
  volumes?: Array<{ name: string }>;
  containers?: Array<{ volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>;
  initContainers?: Array<{ volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>;
}

/**
 * Adds the token volume and mounts to `spec` in place (upstream mountServiceAccountToken): reuses
 * an existing `kube-api-access-*` volume, skips containers with a mount at the token path, adds
 * the volume only when some container got the mount. `nameFor` makes the volume name.
 */
export function mountServiceAccountToken(spec: PodSpecLike, nameFor: () => string = () => generateName(`${ServiceAccountVolumeName}-`)): void {
  let volumeName = '';
  let hasVolume = false;
  for (const v of spec.volumes ?? []) {
    if (v.name.startsWith(`${ServiceAccountVolumeName}-`)) {
      volumeName = v.name;
      hasVolume = true;
      break;
    }
  }
  if (!volumeName) volumeName = nameFor();
  let needsVolume = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === DefaultAPITokenMountPath)) continue;
    (c.volumeMounts ??= []).push({ name: volumeName, readOnly: true, mountPath: DefaultAPITokenMountPath });
    needsVolume = true;
  }
  if (!hasVolume && needsVolume) (spec.volumes ??= []).push(kubeAPIAccessVolume(volumeName) as { name: string });
}

/** The ServiceAccount plugin (name defaulting and token automount). */
export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  /** `getServiceAccount` reads the pod's ServiceAccount for its automountServiceAccountToken; omitted = automount unless the pod says false. */
  constructor(private readonly getServiceAccount?: ServiceAccountGetter) {}

  /**
   * On pod creation: sets `spec.serviceAccountName` (and `spec.serviceAccount`) to `default` when
   * empty, mounts the API token volume unless automount is off, and copies the ServiceAccount's
   * imagePullSecrets to a pod without any. Throws only when the ServiceAccount lookup fails for
   * reasons other than NotFound.
   */
  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== '' || a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return;
    if (a.object.metadata?.annotations?.[MirrorPodAnnotation] !== undefined) return;
    const spec = (a.object.spec ??= {}) as PodSpecLike;
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
    const ns = a.namespace || a.object.metadata?.namespace || '';
    const sa = (this.getServiceAccount ? await this.getServiceAccount(ns, spec.serviceAccountName) : undefined) as
      | { automountServiceAccountToken?: boolean | null; imagePullSecrets?: Array<{ name?: string }> }
      | undefined;
    let automount = spec.automountServiceAccountToken;
    if (automount === undefined || automount === null) automount = sa?.automountServiceAccountToken ?? true;
    if (automount) mountServiceAccountToken(spec);
    if (!spec.imagePullSecrets?.length && sa?.imagePullSecrets?.length) spec.imagePullSecrets = sa.imagePullSecrets.map((r) => ({ ...r }));
  }
}
