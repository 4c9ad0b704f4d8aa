/**
 * Admission chain, after k8s.io/apiserver/pkg/admission: mutating plugins (`admit`) run after
 * decoding and defaulting, before the strategy's prepare/validate; validating plugins
 * (`validate`) run after the strategy, just before the write. A plugin rejects by throwing a
 * StatusError (e.g. 403 Forbidden, 404 NotFound).
 */
import type { KubeObject } from '../../client/interface.ts';
import type { ResourceInfo } from '../../api/resource-types.ts';

/** `admission.Operation`. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** `admission.Attributes`: what is being done to which object by whom. */
export interface AdmissionAttributes {
  operation: AdmissionOperation;
  resource: ResourceInfo;
  /** '' for the main resource, else e.g. 'status', 'binding', 'eviction', 'exec'. */
  subresource: string;
  /** '' for cluster-scoped. */
  namespace: string;
  name: string;
  /** The new object (CREATE/UPDATE); may be mutated by `admit`. Undefined for DELETE/CONNECT. */
  object?: KubeObject;
  /** The stored object (UPDATE/DELETE). */
  oldObject?: KubeObject;
  /** Authenticated user name ('' when anonymous/in-process system). */
  user: string;
  dryRun: boolean;
}

/** One admission plugin. Either hook may be omitted. */
export interface AdmissionPlugin {
  /** Upstream plugin name, e.g. 'NamespaceLifecycle'. */
  readonly name: string;
  /** Mutating phase. */
  admit?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Validating phase. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}

/** Runs plugins in order: all `admit` hooks, then (separately) all `validate` hooks. */
export class AdmissionChain {
  constructor(readonly plugins: AdmissionPlugin[] = []) {}
  /** Adds a plugin at the end of the chain. */
  add(plugin: AdmissionPlugin): void {
    this.plugins.push(plugin);
  }
  /** Mutating phase; throws the first plugin's StatusError. */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(attrs);
  }
  /** Validating phase; throws the first plugin's StatusError. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(attrs);
  }
}
