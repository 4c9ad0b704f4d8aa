/**
 * ReplicationController defaulting, after upstream pkg/apis/core/v1/defaults.go
 * SetDefaults_ReplicationController: when the template has labels, an empty `spec.selector`
 * and empty `metadata.labels` are copied from them; replicas defaults to 1; the (optional)
 * template gets the pod template defaults.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { meta, rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

/** Defaults a ReplicationController in place. */
export function setDefaultsReplicationController(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  const template = spec.template;
  const labels = template && typeof template === 'object' ? rec(template).metadata?.labels : undefined;
  if (labels && typeof labels === 'object') {
    if (Object.keys(rec(spec.selector)).length === 0) spec.selector = { ...labels };
    const m = meta(obj);
    if (Object.keys(m.labels ?? {}).length === 0) m.labels = { ...labels };
  }
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  // The template is a pointer upstream: only a present one is defaulted.
  if (template && typeof template === 'object') setDefaultsPodTemplateSpec(template);
}
