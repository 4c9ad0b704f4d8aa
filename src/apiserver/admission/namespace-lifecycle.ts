/**
 * NamespaceLifecycle admission, after plugin/pkg/admission/namespace/lifecycle/admission.go:
 * - deleting an immortal namespace (default, kube-system, kube-public) → 403
 *   `namespaces "default" is forbidden: this namespace may not be deleted`;
 * - creating a namespaced object in a namespace that does not exist → 404 `namespaces "x" not found`;
 * - creating in a Terminating namespace → 403 `<resource> "<name>" is forbidden: unable to create new
 *   content in namespace x because it is being terminated` with a NamespaceTerminating cause.
 * Updates and deletes of other objects are always allowed (so controllers can clean up).
 */
import { newForbidden, newNotFound } from '../../machinery/errors.ts';
import type { KubeObject } from '../../client/interface.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';

/** Namespaces that can never be deleted (upstream's immortalNamespaces). */
export const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** The NamespaceLifecycle plugin. `getNamespace` reads a Namespace from storage (undefined when absent). */
export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  constructor(private readonly getNamespace: (name: string) => Promise<KubeObject | undefined>) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    const gr = { group: a.resource.group, resource: a.resource.resource };
    if (a.resource.kind === 'Namespace' && a.resource.group === '') {
      if (a.operation === 'DELETE' && a.subresource === '' && IMMORTAL_NAMESPACES.has(a.name)) {
        throw newForbidden(gr, a.name, 'this namespace may not be deleted');
      }
      return;
    }
    if (!a.resource.namespaced || a.operation !== 'CREATE' || a.subresource !== '' || !a.namespace) return;
    const ns = await this.getNamespace(a.namespace);
    if (!ns) throw newNotFound({ group: '', resource: 'namespaces' }, a.namespace);
    const phase = (ns as { status?: { phase?: string } }).status?.phase;
    if (phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
      const name = a.name || a.object?.metadata?.name || '';
      const err = newForbidden(gr, name, `unable to create new content in namespace ${a.namespace} because it is being terminated`);
      err.status.details = err.status.details ?? {};
      err.status.details.causes = [
        ...(err.status.details.causes ?? []),
        { reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' },
      ];
      throw err;
    }
  }
}
