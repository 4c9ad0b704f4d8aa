/**
 * Pod QoS class, after upstream pkg/apis/core/v1/helper/qos.GetPodQOS: BestEffort when no
 * container sets a cpu/memory request or limit; Guaranteed when every container has cpu and
 * memory limits and the summed requests equal the summed limits; Burstable otherwise.
 */
import { arr, rec } from '../../../common/meta.ts';

const suffixes: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * Approximate numeric value of a resource.Quantity string (`500m` → 0.5, `1Gi` → 1073741824,
 * `1e3` → 1000), used only for QoS comparisons. NaN when unparsable.
 */
export function quantityValue(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return NaN;
  const m = /^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) return NaN;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * suffixes[m[3] ?? ''];
}

const qosResources = ['cpu', 'memory'];

/**
 * `GetPodQOS` over containers and init containers.
 * @returns 'Guaranteed' | 'Burstable' | 'BestEffort'
 */
export function getPodQOS(pod: Record<string, any>): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const spec = rec(pod.spec);
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let isGuaranteed = true;
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const res = rec(rec(c).resources);
    for (const [name, q] of Object.entries(rec(res.requests))) {
      if (!qosResources.includes(name)) continue;
      const v = quantityValue(q);
      if (v > 0) requests.set(name, (requests.get(name) ?? 0) + v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(rec(res.limits))) {
      if (!qosResources.includes(name)) continue;
      const v = quantityValue(q);
      if (v > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + v);
      }
    }
    if (!(found.has('cpu') && found.has('memory'))) isGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || Math.abs(lim - req) > 1e-9 * Math.max(1, Math.abs(lim))) {
        isGuaranteed = false;
        break;
      }
    }
  }
  if (isGuaranteed && requests.size === limits.size) return 'Guaranteed';
  return 'Burstable';
}
