/**
 * Namespace defaulting. Upstream: pkg/apis/core/v1/defaults.go SetDefaults_Namespace (label
 * `kubernetes.io/metadata.name`) and SetDefaults_NamespaceStatus (phase Active).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';

/** `v1.LabelMetadataName`. */
export const LabelMetadataName = 'kubernetes.io/metadata.name';

/** Sets `metadata.labels["kubernetes.io/metadata.name"] = name` (when named) and `status.phase` Active when empty (mutates). */
export function setDefaultsNamespace(obj: KubeObject): void {
  const name = obj.metadata?.name;
  if (name) {
    obj.metadata!.labels = { ...(obj.metadata!.labels ?? {}), [LabelMetadataName]: name };
  }
  const status = rec(obj.status);
  if (!status.phase) status.phase = 'Active';
  obj.status = status;
}
