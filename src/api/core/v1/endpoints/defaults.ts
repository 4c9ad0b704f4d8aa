/** Endpoints defaulting: ports' protocol TCP (upstream SetDefaults_EndpointPort). */
import type { KubeObject } from '../../../../client/interface.ts';
import { arr, rec } from '../../../common/meta.ts';

/** Defaults every `subsets[*].ports[*].protocol` to TCP (mutates). */
export function setDefaultsEndpoints(obj: KubeObject): void {
  for (const ss of arr(obj.subsets)) for (const p of arr(rec(ss).ports)) if (p && typeof p === 'object' && !p.protocol) p.protocol = 'TCP';
}
