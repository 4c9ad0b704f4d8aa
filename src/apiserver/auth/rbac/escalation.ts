/**
 * RBAC escalation prevention, after upstream pkg/registry/rbac/{role,clusterrole,rolebinding,
 * clusterrolebinding}/policybased/storage.go, pkg/registry/rbac/escalation_check.go
 * (EscalationAllowed, RoleEscalationAuthorized, BindingAuthorized) and
 * pkg/registry/rbac/validation/rule.go + policy_comparator.go (ConfirmNoEscalation, Covers,
 * BreakdownRule, CompactString): a user may create or update a Role/ClusterRole only with rules
 * they already hold (in that namespace), unless they have `escalate` on the role resource; and a
 * RoleBinding/ClusterRoleBinding only to a role whose rules they hold, unless they have `bind` on
 * it. Members of system:masters and in-process callers skip the checks. A ClusterRole with an
 * aggregationRule needs full authority (cluster-admin).
 *
 * Runs as a validating admission plugin (the user comes from {@link currentRequestUser}).
 */
import type { KubeObject } from '../../../client/interface.ts';
import { newForbidden } from '../../../machinery/errors.ts';
import { RBAC_GROUP, type PolicyRule, type RoleRef } from '../../../api/rbac/v1/policy.ts';
import { semanticDeepEqual } from '../../../api/common/meta.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../../admission/interface.ts';
import type { Authorizer } from '../authorizer.ts';
import type { UserInfo } from '../token.ts';
import { currentRequestUser } from '../request-user.ts';
import { SYSTEM_PRIVILEGED_GROUP } from './authorizer.ts';
import type { DefaultRuleResolver } from './resolver.ts';

const has = (set: string[] | undefined, v: string) => (set ?? []).includes(v);
const hasAll = (set: string[] | undefined, vs: string[] | undefined) => (vs ?? []).every((v) => has(set, v));

/** `BreakdownRule`: one rule per (group, resource, verb[, name]) or (url, verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups ?? []) {
    for (const r of rule.resources ?? []) {
      for (const v of rule.verbs ?? []) {
        if ((rule.resourceNames ?? []).length === 0) out.push({ apiGroups: [g], resources: [r], verbs: [v] });
        else for (const n of rule.resourceNames!) out.push({ apiGroups: [g], resources: [r], resourceNames: [n], verbs: [v] });
      }
    }
  }
  for (const u of rule.nonResourceURLs ?? []) for (const v of rule.verbs ?? []) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

function resourceCoversAll(set: string[] | undefined, covers: string[] | undefined): boolean {
  if (has(set, '*') || hasAll(set, covers)) return true;
  for (const p of covers ?? []) {
    if (has(set, p)) continue;
    const i = p.indexOf('/');
    if (i < 0) return false;
    if (!has(set, `*/${p.slice(i + 1)}`)) return false;
  }
  return true;
}

function nonResourceURLCovers(owner: string, sub: string): boolean {
  return owner === sub || (owner.endsWith('*') && sub.startsWith(owner.replace(/\*+$/, '')));
}

/** `ruleCovers`: does `owner` grant everything `sub` grants? */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources, sub.resources);
  const urls = (sub.nonResourceURLs ?? []).every((p) => (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, p)));
  const ownerNames = owner.resourceNames ?? [];
  const names = (sub.resourceNames ?? []).length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, sub.resourceNames);
  return verbs && groups && resources && names && urls;
}

/** `Covers`: whether `owner` rules cover all `servant` rules, and the uncovered broken-down rules. */
export function covers(owner: PolicyRule[], servant: PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const s of servant) for (const sub of breakdownRule(s)) if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
  return { covered: missing.length === 0, missing };
}

/** `CompactRules`: single group/resource rules without names or URLs merge their verbs. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = (r.apiGroups ?? []).length === 1 && (r.resources ?? []).length === 1 && !(r.resourceNames ?? []).length && !(r.nonResourceURLs ?? []).length;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = `${r.apiGroups![0]}\u0000${r.resources![0]}`;
    const cur = simple.get(key);
    if (cur) {
      for (const v of r.verbs ?? []) if (!cur.verbs.includes(v)) cur.verbs.push(v);
    } else {
      const c: PolicyRule = { apiGroups: [...r.apiGroups!], resources: [...r.resources!], verbs: [...(r.verbs ?? [])] };
      simple.set(key, c);
      out.push(c);
    }
  }
  return out;
}

const goQ = (v: string[]) => `[${v.map((s) => JSON.stringify(s)).join(' ')}]`;

/** `CompactString`: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQ(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQ(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQ(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQ(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQ(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/**
 * `ConfirmNoEscalation`: throws nothing and returns undefined when `user` holds every rule in
 * `namespace`; otherwise returns upstream's message
 * (`user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{…}`).
 */
export async function confirmNoEscalation(resolver: DefaultRuleResolver, user: UserInfo, namespace: string, rules: PolicyRule[]): Promise<string | undefined> {
  const { rules: owner, errors } = await resolver.rulesFor(user, namespace);
  const { covered, missing } = covers(owner, rules);
  if (covered) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQ(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (errors.length) msg += `; resolution errors: [${errors.map((e) => e.message).join(' ')}]`;
  return msg;
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** The escalation checks as a validating admission plugin over RBAC writes. */
export class RBACEscalationCheck implements AdmissionPlugin {
  readonly name = 'RBACEscalationCheck';
  constructor(
    readonly authorizer: Authorizer,
    readonly resolver: DefaultRuleResolver,
  ) {}

  private async allowedVerb(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Promise<boolean> {
    const d = await this.authorizer.authorize({ user, verb, apiGroup: RBAC_GROUP, apiVersion: '*', resource, subresource: '', namespace, name });
    return d.allowed;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.resource.group !== RBAC_GROUP || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.object || a.subresource) return;
    const user = currentRequestUser();
    // EscalationAllowed: in-process callers and system:masters.
    if (!user || user.groups.includes(SYSTEM_PRIVILEGED_GROUP)) return;
    const obj = a.object as KubeObject & Record<string, any>;
    const old = a.oldObject as (KubeObject & Record<string, any>) | undefined;
    const gr = { group: RBAC_GROUP, resource: a.resource.resource };
    const name = obj.metadata?.name ?? a.name;
    const ns = a.resource.namespaced ? a.namespace : '';
    if (a.resource.resource === 'roles' || a.resource.resource === 'clusterroles') {
      if (old && semanticDeepEqual(old.rules ?? [], obj.rules ?? []) && semanticDeepEqual(old.aggregationRule ?? null, obj.aggregationRule ?? null)) return;
      if (await this.allowedVerb(user, 'escalate', a.resource.resource, ns, name)) return;
      const rules = obj.aggregationRule ? FULL_AUTHORITY : ((obj.rules ?? []) as PolicyRule[]);
      const msg = await confirmNoEscalation(this.resolver, user, ns, rules);
      if (msg) throw newForbidden(gr, name, msg);
      return;
    }
    if (a.resource.resource === 'rolebindings' || a.resource.resource === 'clusterrolebindings') {
      if (old && semanticDeepEqual(old.roleRef, obj.roleRef) && semanticDeepEqual(old.subjects ?? [], obj.subjects ?? [])) return;
      const ref = (obj.roleRef ?? {}) as RoleRef;
      const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (await this.allowedVerb(user, 'bind', refResource, ns, ref.name)) return;
      const rules = await this.resolver.getRoleReferenceRules(ref, ns);
      const msg = await confirmNoEscalation(this.resolver, user, ns, rules);
      if (msg) throw newForbidden(gr, name, msg);
    }
  }
}
