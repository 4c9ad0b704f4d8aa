/** Node defaulting. Upstream: pkg/apis/core/v1/defaults.go SetDefaults_NodeStatus (allocatable = capacity when unset). */
import type { KubeObject } from '../../../../client/interface.ts';
import { deepCopy, rec } from '../../../common/meta.ts';

/** Copies `status.capacity` into `status.allocatable` when allocatable is unset (mutates). */
export function setDefaultsNode(obj: KubeObject): void {
  if (obj.status === undefined || obj.status === null) return;
  const st = rec(obj.status);
  if ((st.allocatable === undefined || st.allocatable === null) && st.capacity) st.allocatable = deepCopy(st.capacity);
}
