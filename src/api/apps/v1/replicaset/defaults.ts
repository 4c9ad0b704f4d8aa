/** ReplicaSet defaulting (upstream pkg/apis/apps/v1/defaults.go SetDefaults_ReplicaSet): replicas 1, pod template defaults. */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';
import { setDefaultsPodTemplateSpec } from '../../../common/pod-spec-defaults.ts';

/** Defaults a ReplicaSet in place. */
export function setDefaultsReplicaSet(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  // The template is a value (not a pointer) upstream, so an absent one is defaulted like an empty one.
  spec.template = rec(spec.template);
  setDefaultsPodTemplateSpec(spec.template);
}
