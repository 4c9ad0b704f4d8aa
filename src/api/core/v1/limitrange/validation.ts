/**
 * LimitRange validation, after upstream pkg/apis/core/validation ValidateLimitRange:
 * type names, resource names per type, no duplicate type, `default`/`defaultRequest` forbidden for
 * `Pod`, a storage min or max for `PersistentVolumeClaim`, and per resource
 * min ≤ defaultRequest ≤ default ≤ max, maxLimitRequestRatio ≥ 1 and ≤ max/min.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, duplicate, forbidden, invalid, required, type FieldError } from '../../../../machinery/errors.ts';
import { isQualifiedName, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import type { Quantity } from '../../../../machinery/quantity.ts';
import { arr, rec } from '../../../common/meta.ts';
import { isOvercommitAllowed, parseQuantityValue, validateContainerResourceName, validateResourceName } from '../resourcequota/helpers.ts';

/** `standardLimitRangeTypes`. */
export const standardLimitRangeTypes = ['Pod', 'Container', 'PersistentVolumeClaim'];

/** `validateLimitRangeTypeName`: a qualified name; without a domain one of Pod, Container, PersistentVolumeClaim. */
function validateLimitRangeTypeName(value: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(value).map((m) => invalid(path, value, m));
  if (errs.length) return errs;
  if (!value.includes('/') && !standardLimitRangeTypes.includes(value)) errs.push(invalid(path, value, 'must be a standard limit type or fully qualified'));
  return errs;
}

/** `validateLimitRangeResourceName`: container resource names for Pod/Container, any resource name otherwise. */
function validateLimitRangeResourceName(type: string, name: string, path: FieldPath): FieldError[] {
  return type === 'Pod' || type === 'Container' ? validateContainerResourceName(name, path) : validateResourceName(name, path);
}

/** Go's `%f` rendering of a float (6 decimals). */
function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  return f.toFixed(6);
}

/** `ValidateLimitRange`. Error values are quantity strings, as upstream prints them. */
export function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain, 'metadata');
  const types = new Set<string>();
  const fld = FieldPath.root('spec').child('limits');
  arr(rec(lr.spec).limits).forEach((raw, i) => {
    const item = rec(raw);
    const idx = fld.index(i);
    const type = String(item.type ?? '');
    errs.push(...validateLimitRangeTypeName(type, idx.child('type')));
    if (types.has(type)) errs.push(duplicate(idx.child('type'), type));
    types.add(type);
    const keys = new Set<string>();
    const read = (field: string): Map<string, Quantity> => {
      const out = new Map<string, Quantity>();
      for (const [k, v] of Object.entries(rec(item[field]))) {
        errs.push(...validateLimitRangeResourceName(type, k, idx.child(field).key(k)));
        keys.add(k);
        const q = parseQuantityValue(v);
        if (q) out.set(k, q);
      }
      return out;
    };
    const max = read('max');
    const min = read('min');
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (Object.keys(rec(item.default)).length > 0) errs.push(forbidden(idx.child('default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(rec(item.defaultRequest)).length > 0) errs.push(forbidden(idx.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
    } else {
      defaults = read('default');
      defaultRequests = read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !('storage' in rec(item.min)) && !('storage' in rec(item.max))) {
      errs.push(required(idx.child('limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const ratios = read('maxLimitRequestRatio');
    for (const k of keys) {
      const mn = min.get(k);
      const mx = max.get(k);
      const df = defaults.get(k);
      const dr = defaultRequests.get(k);
      const ratio = ratios.get(k);
      if (mn && mx && mn.cmp(mx) > 0) errs.push(invalid(idx.child('min').key(k), mn.toString(), `min value ${mn} is greater than max value ${mx}`));
      if (dr && mn && mn.cmp(dr) > 0) errs.push(invalid(idx.child('defaultRequest').key(k), dr.toString(), `min value ${mn} is greater than default request value ${dr}`));
      if (dr && mx && dr.cmp(mx) > 0) errs.push(invalid(idx.child('defaultRequest').key(k), dr.toString(), `default request value ${dr} is greater than max value ${mx}`));
      if (dr && df && dr.cmp(df) > 0) errs.push(invalid(idx.child('defaultRequest').key(k), dr.toString(), `default request value ${dr} is greater than default limit value ${df}`));
      if (df && mn && mn.cmp(df) > 0) errs.push(invalid(idx.child('default').key(k), mn.toString(), `min value ${mn} is greater than default value ${df}`));
      if (df && mx && df.cmp(mx) > 0) errs.push(invalid(idx.child('default').key(k), mx.toString(), `default value ${df} is greater than max value ${mx}`));
      if (ratio && ratio.cmpInt64(1) < 0) errs.push(invalid(idx.child('maxLimitRequestRatio').key(k), ratio.toString(), `ratio ${ratio} is less than 1`));
      if (ratio && mn && mx) {
        const limit = mx.milliValue() / mn.milliValue();
        const value = ratio.milliValue() / 1000;
        if (value > limit) errs.push(invalid(idx.child('maxLimitRequestRatio').key(k), ratio.toString(), `ratio ${ratio} is greater than max/min = ${goFloat(limit)}`));
      }
      if (!isOvercommitAllowed(k) && df && dr && df.cmp(dr) !== 0) {
        errs.push(invalid(idx.child('defaultRequest').key(k), dr.toString(), `default value ${df} must equal to defaultRequest value ${dr} in ${k}`));
      }
    }
  });
  return errs;
}

/** `ValidateLimitRangeUpdate`: ObjectMeta update rules, then the whole object again. */
export function validateLimitRangeUpdate(lr: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(lr.metadata, old.metadata, 'metadata'), ...validateLimitRange(lr)];
}
