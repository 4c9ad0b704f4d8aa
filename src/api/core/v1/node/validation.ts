/**
 * Node validation, after upstream pkg/apis/core/validation ValidateNode / ValidateNodeUpdate.
 * Note upstream reports taint errors under `metadata.taints[i]` (it builds the path from the
 * metadata path); Skiff keeps that path so messages match.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { FieldPath, duplicate, forbidden, invalid, type FieldError } from '../../../../machinery/errors.ts';
import {
  isValidCIDR,
  isValidLabelValue,
  nameIsDNSSubdomain,
  validateLabelName,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../../machinery/validation.ts';
import { arr, rec } from '../../../common/meta.ts';
import { validateTaintEffect } from '../../../common/pod-spec-validation.ts';

/** `validateNodeTaints`: key a qualified name, value a label value, effect required and known, unique by key+effect. */
export function validateNodeTaints(taints: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(taints).forEach((raw, i) => {
    const t = rec(raw);
    const p = path.index(i);
    const key = String(t.key ?? '');
    const value = String(t.value ?? '');
    errs.push(...validateLabelName(key, p.child('key')));
    const msgs = isValidLabelValue(value);
    if (msgs.length) errs.push(invalid(p.child('value'), value, msgs.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const id = `${String(t.effect ?? '')}\u0000${key}`;
    if (seen.has(id)) {
      errs.push({ ...duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    seen.add(id);
  });
  return errs;
}

/** `ValidateNode`: name a DNS-1123 subdomain, cluster-scoped; taints; podCIDRs valid (at most one per family). */
export function validateNode(node: KubeObject): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain, 'metadata');
  const spec = rec(node.spec);
  errs.push(...validateNodeTaints(spec.taints, FieldPath.root('metadata').child('taints')));
  const cidrs = arr(spec.podCIDRs).map(String);
  const cp = FieldPath.root('spec').child('podCIDRs');
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(c)) errs.push(invalid(cp.index(i), c, m));
  });
  if (cidrs.length > 1) {
    const v6 = cidrs.filter((c) => c.includes(':')).length;
    if (cidrs.length > 2 || v6 !== 1) errs.push(invalid(cp, cidrs, 'may specify no more than one CIDR for each IP family'));
  }
  return errs;
}

/**
 * `ValidateNodeUpdate`: ObjectMeta update rules, no duplicate status addresses, podCIDRs and
 * providerID immutable once set (`node updates may not change podCIDR except from "" to valid`).
 */
export function validateNodeUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata, 'metadata');
  const seen = new Set<string>();
  arr(rec(node.status).addresses).forEach((a, i) => {
    const key = `${String(rec(a).type)}\u0000${String(rec(a).address)}`;
    if (seen.has(key)) errs.push(duplicate(FieldPath.root('status').child('addresses').index(i), a));
    seen.add(key);
  });
  const oldCIDRs = arr(rec(old.spec).podCIDRs);
  const newCIDRs = arr(rec(node.spec).podCIDRs);
  const cp = FieldPath.root('spec').child('podCIDRs');
  const msg = 'node updates may not change podCIDR except from "" to valid';
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== newCIDRs.length) errs.push(forbidden(cp, msg));
    else oldCIDRs.forEach((c, i) => c !== newCIDRs[i] && errs.push(forbidden(cp, msg)));
  }
  const oldPID = String(rec(old.spec).providerID ?? '');
  if (oldPID && oldPID !== String(rec(node.spec).providerID ?? '')) {
    errs.push(forbidden(FieldPath.root('spec').child('providerID'), 'node updates may not change providerID except from "" to valid'));
  }
  if (String(rec(node.spec).externalID ?? '') !== String(rec(old.spec).externalID ?? '')) {
    errs.push(forbidden(FieldPath.root('spec').child('externalID'), 'may not be updated'));
  }
  return errs;
}
