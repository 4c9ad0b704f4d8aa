/**
 * ServiceAccount admission (mutating part), after plugin/pkg/admission/serviceaccount: a pod
 * created without `spec.serviceAccountName` runs as the namespace's `default` ServiceAccount
 * (the deprecated `spec.serviceAccount` mirrors it). Mirror pods are left alone.
 *
 * Not done (no TokenRequest API yet): the projected `kube-api-access-*` token volume and the
 * check that the ServiceAccount exists.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';

/** The annotation that marks a static (mirror) pod; such pods may not use ServiceAccounts. */
export const MirrorPodAnnotation = 'kubernetes.io/config.mirror';

/** The ServiceAccount plugin (name defaulting). */
export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  /** Sets `spec.serviceAccountName` (and `spec.serviceAccount`) to `default` on pod creation when empty. */
  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource !== '' || a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return;
    if (a.object.metadata?.annotations?.[MirrorPodAnnotation] !== undefined) return;
    const spec = (a.object.spec ??= {}) as { serviceAccountName?: string; serviceAccount?: string };
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
  }
}
