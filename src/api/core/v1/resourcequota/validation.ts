/**
 * ResourceQuota validation, after upstream pkg/apis/core/validation (ValidateResourceQuota,
 * ValidateResourceQuotaSpec, validateResourceQuotaScopes, validateScopeSelector,
 * ValidateResourceQuotaStatus, ValidateResourceQuotaUpdate, ValidateResourceQuotaStatusUpdate).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, invalid, required, type FieldError } from '../../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../../machinery/validation.ts';
import { arr, rec } from '../../../common/meta.ts';
import {
  isIntegerResourceName,
  isResourceQuotaScopeValidForResource,
  isStandardQuotaResourceName,
  isStandardResourceQuotaScope,
  parseQuantityValue,
  validateResourceQuotaResourceName,
} from './helpers.ts';
import { errFormatWrong } from '../../../../machinery/quantity.ts';
import { GoValue, goQuote, goStringSlice } from '../../../common/go-value.ts';

/** `%#v` of `[]core.ResourceQuotaScope` (how upstream prints `spec.scopes` in errors). */
function scopesValue(scopes: string[] | undefined): GoValue {
  return new GoValue(scopes ?? null, scopes ? `[]core.ResourceQuotaScope{${scopes.map(goQuote).join(', ')}}` : '[]core.ResourceQuotaScope(nil)');
}

/** `isNotIntegerErrorMsg`. */
const isNotIntegerErrorMsg = 'must be an integer';

/**
 * `ValidateResourceQuantityValue`: the quantity is ≥ 0 (`must be greater than or equal to 0`) and,
 * for object counts, whole (`must be an integer`). A malformed string is reported with the quantity
 * format message (upstream rejects it while decoding).
 */
export function validateResourceQuantityValue(name: string, value: unknown, path: FieldPath): FieldError[] {
  const q = parseQuantityValue(value);
  if (!q) return [invalid(path, value, errFormatWrong)];
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(path, q.toString(), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(name) && q.milliValue() % 1000 !== 0) errs.push(invalid(path, q.toString(), isNotIntegerErrorMsg));
  return errs;
}

/** Resource names and values of one ResourceList (`spec.hard`, `status.hard`, `status.used`). */
function validateQuotaResourceList(list: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(rec(list))) {
    const p = path.key(k);
    errs.push(...validateResourceQuotaResourceName(k, p));
    errs.push(...validateResourceQuantityValue(k, v, p));
  }
  return errs;
}

const invalidScopePairs: [string, string][] = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

/** `validateResourceQuotaScopes`: known scopes, valid for every hard resource, no conflicting pair. Errors at `spec.scopes`. */
function validateResourceQuotaScopes(spec: Record<string, any>, fld: FieldPath): FieldError[] {
  const scopes = arr(spec.scopes).map(String);
  if (scopes.length === 0) return [];
  const hard = Object.keys(rec(spec.hard)).sort();
  const path = fld.child('scopes');
  const value = scopesValue(scopes);
  const errs: FieldError[] = [];
  const set = new Set<string>();
  for (const scope of scopes) {
    if (!isStandardResourceQuotaScope(scope)) errs.push(invalid(path, value, 'unsupported scope'));
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isResourceQuotaScopeValidForResource(scope, k)) {
        errs.push(invalid(path, value, 'unsupported scope applied to resource'));
      }
    }
    set.add(scope);
  }
  for (const [a, b] of invalidScopePairs) if (set.has(a) && set.has(b)) errs.push(invalid(path, value, 'conflicting scopes'));
  return errs;
}

/** `validateScopedResourceSelectorRequirement` over `spec.scopeSelector.matchExpressions`. */
function validateScopeSelector(spec: Record<string, any>, fld: FieldPath): FieldError[] {
  if (spec.scopeSelector === undefined || spec.scopeSelector === null) return [];
  const sel = rec(spec.scopeSelector);
  const hard = Object.keys(rec(spec.hard)).sort();
  const path = fld.child('scopeSelector', 'matchExpressions');
  const errs: FieldError[] = [];
  const set = new Set<string>();
  for (const r of arr(sel.matchExpressions)) {
    const req = rec(r);
    const scope = String(req.scopeName ?? '');
    const op = String(req.operator ?? '');
    const values = arr(req.values);
    if (!isStandardResourceQuotaScope(scope)) errs.push(invalid(path.child('scopeName'), scope, 'unsupported scope'));
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isResourceQuotaScopeValidForResource(scope, k)) {
        errs.push(invalid(path, spec.scopeSelector, 'unsupported scope applied to resource'));
      }
    }
    if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(scope) && op !== 'Exists') {
      errs.push(
        invalid(
          path.child('operator'),
          op,
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    switch (op) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(path.child('values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) errs.push(invalid(path.child('values'), new GoValue(values, goStringSlice(values.map(String))), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
        break;
      default:
        errs.push(invalid(path.child('operator'), op, 'not a valid selector operator'));
    }
    set.add(scope);
  }
  for (const [a, b] of invalidScopePairs) if (set.has(a) && set.has(b)) errs.push(invalid(path, spec.scopeSelector, 'conflicting scopes'));
  return errs;
}

/** `ValidateResourceQuotaSpec`: `spec.hard[<name>]` names and values, scopes, scopeSelector. */
export function validateResourceQuotaSpec(spec: unknown, fld: FieldPath): FieldError[] {
  const s = rec(spec);
  return [...validateQuotaResourceList(s.hard, fld.child('hard')), ...validateResourceQuotaScopes(s, fld), ...validateScopeSelector(s, fld)];
}

/** `ValidateResourceQuotaStatus`: `status.hard` and `status.used` names and values. */
export function validateResourceQuotaStatus(status: unknown, fld: FieldPath): FieldError[] {
  const s = rec(status);
  return [...validateQuotaResourceList(s.hard, fld.child('hard')), ...validateQuotaResourceList(s.used, fld.child('used'))];
}

/** `ValidateResourceQuota`: name a DNS subdomain, spec, status. */
export function validateResourceQuota(rq: KubeObject): FieldError[] {
  return [
    ...validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain, 'metadata'),
    ...validateResourceQuotaSpec(rq.spec, FieldPath.root('spec')),
    ...validateResourceQuotaStatus(rq.status, FieldPath.root('status')),
  ];
}

/** `ValidateResourceQuotaUpdate`: ObjectMeta update rules, spec, and `spec.scopes` immutable (`field is immutable`). */
export function validateResourceQuotaUpdate(rq: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rq.metadata, old.metadata, 'metadata');
  errs.push(...validateResourceQuotaSpec(rq.spec, FieldPath.root('spec')));
  const newScopes = new Set(arr(rec(rq.spec).scopes).map(String));
  const oldScopes = new Set(arr(rec(old.spec).scopes).map(String));
  if (newScopes.size !== oldScopes.size || [...newScopes].some((s) => !oldScopes.has(s))) {
    errs.push(invalid(FieldPath.root('spec').child('scopes'), scopesValue(arr(rec(rq.spec).scopes).length ? arr(rec(rq.spec).scopes).map(String) : undefined), 'field is immutable'));
  }
  return errs;
}

/** `ValidateResourceQuotaStatusUpdate`: ObjectMeta update rules, resourceVersion required, status names and values. */
export function validateResourceQuotaStatusUpdate(rq: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(rq.metadata, old.metadata, 'metadata');
  if (!rq.metadata?.resourceVersion) errs.push(required(FieldPath.root('metadata').child('resourceVersion'), ''));
  errs.push(...validateResourceQuotaStatus(rq.status, FieldPath.root('status')));
  return errs;
}
