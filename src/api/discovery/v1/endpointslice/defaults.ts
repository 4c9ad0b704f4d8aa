/** EndpointSlice defaulting, after upstream pkg/apis/discovery/v1/defaults.go SetDefaults_EndpointPort: port name "" and protocol TCP. */
import type { KubeObject } from '../../../../client/interface.ts';
import { arr } from '../../../common/meta.ts';

/** Defaults every `ports[*]`: `name` "" and `protocol` TCP (mutates). */
export function setDefaultsEndpointSlice(obj: KubeObject): void {
  for (const p of arr(obj.ports)) {
    if (!p || typeof p !== 'object') continue;
    if (p.name === undefined || p.name === null) p.name = '';
    if (!p.protocol) p.protocol = 'TCP';
  }
}
