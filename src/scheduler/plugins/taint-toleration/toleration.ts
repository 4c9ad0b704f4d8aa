/**
 * Toleration/taint matching, after k8s.io/api/core/v1/toleration.go (`ToleratesTaint`) and
 * k8s.io/component-helpers/scheduling/corev1 (`TolerationsTolerateTaint`,
 * `FindMatchingUntoleratedTaint`). Shared by the scheduler, the DaemonSet controller and taint
 * eviction.
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

const INT64 = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(s: string | undefined): bigint | undefined {
  if (s === undefined || !INT64.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/**
 * True when `toleration` tolerates `taint`:
 * - an effect, when set, must equal the taint's; a key, when set, must equal the taint's
 *   (an empty key with Exists therefore matches every taint of that effect);
 * - operator Equal (or absent) compares values ('' when absent); Exists ignores the value;
 * - Gt/Lt (feature TaintTolerationComparisonOperators) compare taintValue > / < tolerationValue
 *   as int64; non-integer values never match.
 */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    case 'Gt':
    case 'Lt': {
      const tv = parseInt64(taint.value);
      const lv = parseInt64(toleration.value);
      if (tv === undefined || lv === undefined) return false;
      return toleration.operator === 'Gt' ? tv > lv : tv < lv;
    }
    default:
      return false;
  }
}

/** True when any of `tolerations` tolerates `taint`. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/**
 * The first taint passing `inclusionFilter` that no toleration tolerates, or undefined
 * (upstream FindMatchingUntoleratedTaint).
 */
export function findMatchingUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  inclusionFilter: (t: Taint) => boolean,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!inclusionFilter(taint)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}
