/**
 * DefaultTolerationSeconds admission, after plugin/pkg/admission/defaulttolerationseconds: a pod
 * created without tolerations for the `node.kubernetes.io/not-ready` and
 * `node.kubernetes.io/unreachable` NoExecute taints gets them with `tolerationSeconds: 300`, so
 * its pods are evicted 5 minutes after their node is lost (node lifecycle controller). A pod that
 * already tolerates either taint (matching key with effect NoExecute or any effect) keeps its own.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './interface.ts';
import { TaintNodeNotReady, TaintNodeUnreachable } from '../../api/core/v1/well-known-taints.ts';

/** Upstream's taint keys, re-exported from src/api/core/v1/well-known-taints.ts. */
export { TaintNodeNotReady, TaintNodeUnreachable };

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** The DefaultTolerationSeconds plugin. `seconds` defaults to 300 (upstream's flags' default). */
export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = 'DefaultTolerationSeconds';
  constructor(
    private readonly notReadySeconds = 300,
    private readonly unreachableSeconds = 300,
  ) {}

  /** Adds the two NoExecute tolerations to pods being created (main resource only). */
  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.subresource !== '' || a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return;
    const spec = (a.object.spec ??= {}) as { tolerations?: Toleration[] };
    const tolerations = spec.tolerations ?? [];
    const covers = (key: string) => tolerations.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
    const add: Toleration[] = [];
    if (!covers(TaintNodeNotReady)) add.push({ key: TaintNodeNotReady, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.notReadySeconds });
    if (!covers(TaintNodeUnreachable)) add.push({ key: TaintNodeUnreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.unreachableSeconds });
    if (add.length) spec.tolerations = [...tolerations, ...add];
  }
}
