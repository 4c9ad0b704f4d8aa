/**
 * Pod QoS class, after upstream pkg/apis/core/v1/helper/qos.GetPodQOS: BestEffort when no
 * container sets a cpu/memory request or limit; Guaranteed when every container has cpu and
 * memory limits and the summed requests equal the summed limits; Burstable otherwise.
 */
import { arr, rec } from '../../../common/meta.ts';
import { Quantity, tryParseQuantity } from '../../../../machinery/quantity.ts';

function q(v: unknown): Quantity | undefined {
  if (typeof v === 'number') return tryParseQuantity(String(v));
  return typeof v === 'string' ? tryParseQuantity(v) : undefined;
}


const qosResources = ['cpu', 'memory'];

/**
 * `GetPodQOS` over containers and init containers.
 * @returns 'Guaranteed' | 'Burstable' | 'BestEffort'
 */
export function getPodQOS(pod: Record<string, any>): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const spec = rec(pod.spec);
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let isGuaranteed = true;
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const res = rec(rec(c).resources);
    for (const [name, raw] of Object.entries(rec(res.requests))) {
      if (!qosResources.includes(name)) continue;
      const v = q(raw);
      if (v && v.sign() > 0) requests.set(name, requests.has(name) ? requests.get(name)!.add(v) : v);
    }
    const found = new Set<string>();
    for (const [name, raw] of Object.entries(rec(res.limits))) {
      if (!qosResources.includes(name)) continue;
      const v = q(raw);
      if (v && v.sign() > 0) {
        found.add(name);
        limits.set(name, limits.has(name) ? limits.get(name)!.add(v) : v);
      }
    }
    if (!(found.has('cpu') && found.has('memory'))) isGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || lim.cmp(req) !== 0) {
        isGuaranteed = false;
        break;
      }
    }
  }
  if (isGuaranteed && requests.size === limits.size) return 'Guaranteed';
  return 'Burstable';
}
