/**
 * LimitRange defaulting, after upstream pkg/apis/core/v1/defaults.go SetDefaults_LimitRangeItem:
 * for `type: Container` items, a missing `default` (limit) takes `max`, a missing `defaultRequest`
 * takes `default`, then `min`.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { arr, rec } from '../../../common/meta.ts';

/** `SetDefaults_LimitRangeItem` over every `spec.limits[*]` (mutates). */
export function setDefaultsLimitRange(obj: KubeObject): void {
  for (const it of arr(rec(obj.spec).limits)) {
    if (it === null || typeof it !== 'object' || it.type !== 'Container') continue;
    const item = it as Record<string, any>;
    const def: Record<string, unknown> = rec(item.default);
    const defReq: Record<string, unknown> = rec(item.defaultRequest);
    for (const [k, v] of Object.entries(rec(item.max))) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(rec(item.min))) if (!(k in defReq)) defReq[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(defReq).length) item.defaultRequest = defReq;
  }
}
