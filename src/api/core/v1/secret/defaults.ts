/**
 * Secret defaulting: `type` Opaque (upstream SetDefaults_Secret) and the v1 conversion that
 * merges write-only `stringData` into `data` (base64), overwriting, then drops stringData.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { rec } from '../../../common/meta.ts';

/** Defaults a Secret in place. */
export function setDefaultsSecret(obj: KubeObject): void {
  if (!obj.type) obj.type = 'Opaque';
  if (obj.stringData && typeof obj.stringData === 'object') {
    const data = rec(obj.data);
    for (const [k, v] of Object.entries(obj.stringData as Record<string, unknown>)) {
      data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
    }
    obj.data = data;
    delete obj.stringData;
  }
}
