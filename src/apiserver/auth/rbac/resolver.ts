/**
 * The rule resolver, after upstream pkg/registry/rbac/validation/rule.go
 * (DefaultRuleResolver.VisitRulesFor, GetRoleReferenceRules, appliesTo): ClusterRoleBindings grant
 * their ClusterRole's rules everywhere; RoleBindings grant their Role's or ClusterRole's rules in
 * the binding's namespace. Subjects: User (name), Group (membership), ServiceAccount (user name
 * `system:serviceaccount:<ns>:<name>`, the namespace defaulting to the binding's).
 */
import type { KubeObject } from '../../../client/interface.ts';
import { isNotFound, newNotFound } from '../../../machinery/errors.ts';
import type { PolicyRule, RoleRef, Subject } from '../../../api/rbac/v1/policy.ts';
import { RBAC_GROUP } from '../../../api/rbac/v1/policy.ts';
import type { Pipeline } from '../../pipeline.ts';
import type { UserInfo } from '../token.ts';

/** Reads RBAC objects (from the watch cache in the apiserver; from arrays in tests). Get returns undefined when missing. */
export interface RBACLister {
  listClusterRoleBindings(): Promise<KubeObject[]>;
  listRoleBindings(namespace: string): Promise<KubeObject[]>;
  getClusterRole(name: string): Promise<KubeObject | undefined>;
  getRole(namespace: string, name: string): Promise<KubeObject | undefined>;
  /**
   * The same objects read consistently from storage. When set, a request the (watch-cache)
   * lister denies is re-evaluated against it, so a binding written just before is honoured
   * (read-your-writes; upstream's informer-fed authorizer may briefly deny instead).
   */
  consistent?: RBACLister;
}

/** Where a rule came from; `toString()` gives upstream's describer text (`ClusterRoleBinding "b" of ClusterRole "r" to User "u"`). */
export interface RuleSource {
  binding: KubeObject;
  subject: Subject;
  toString(): string;
}

/** A visitor; return false to stop. `err` is set when a binding's role could not be read. */
export type RuleVisitor = (source: RuleSource | undefined, rule: PolicyRule | undefined, err: Error | undefined) => boolean;

/** `serviceaccount.MakeUsername`: `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** `serviceaccount.SplitUsername`: namespace and name of a service-account user name, or undefined. */
export function splitServiceAccountUsername(user: string): { namespace: string; name: string } | undefined {
  const prefix = 'system:serviceaccount:';
  if (!user.startsWith(prefix)) return undefined;
  const parts = user.slice(prefix.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** `appliesToUser`: does `subject` name this user (in a binding of `namespace`, '' for cluster bindings)? */
export function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || namespace;
      if (!ns) return false;
      return user.name === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

function subjectsOf(binding: KubeObject): Subject[] {
  const s = (binding as Record<string, unknown>).subjects;
  return Array.isArray(s) ? (s as Subject[]) : [];
}

function roleRefOf(binding: KubeObject): RoleRef {
  return ((binding as Record<string, unknown>).roleRef ?? {}) as RoleRef;
}

function rulesOf(role: KubeObject): PolicyRule[] {
  const r = (role as Record<string, unknown>).rules;
  return Array.isArray(r) ? (r as PolicyRule[]) : [];
}

/** The rule resolver. */
export class DefaultRuleResolver {
  constructor(readonly lister: RBACLister) {}

  /**
   * `GetRoleReferenceRules`: the rules of a binding's role. Throws upstream's NotFound
   * (`clusterrole.rbac.authorization.k8s.io "x" not found`) when the role is missing, or an
   * error for another kind.
   */
  async getRoleReferenceRules(ref: RoleRef, bindingNamespace: string): Promise<PolicyRule[]> {
    if (ref.kind === 'Role') {
      const r = await this.lister.getRole(bindingNamespace, ref.name);
      if (!r) throw newNotFound({ group: RBAC_GROUP, resource: 'role' }, ref.name);
      return rulesOf(r);
    }
    if (ref.kind === 'ClusterRole') {
      const r = await this.lister.getClusterRole(ref.name);
      if (!r) throw newNotFound({ group: RBAC_GROUP, resource: 'clusterrole' }, ref.name);
      return rulesOf(r);
    }
    throw new Error(`unsupported role reference kind: "${ref.kind}"`);
  }

  /**
   * `VisitRulesFor`: calls `visitor` for every rule granted to `user` cluster-wide and, when
   * `namespace` is set, in that namespace. Stops when the visitor returns false.
   */
  async visitRulesFor(user: UserInfo, namespace: string, visitor: RuleVisitor): Promise<void> {
    let crbs: KubeObject[] = [];
    try {
      crbs = await this.lister.listClusterRoleBindings();
    } catch (err) {
      if (!visitor(undefined, undefined, err as Error)) return;
    }
    for (const b of crbs) {
      const subject = subjectsOf(b).find((s) => appliesToUser(user, s, ''));
      if (!subject) continue;
      let rules: PolicyRule[];
      try {
        rules = await this.getRoleReferenceRules(roleRefOf(b), '');
      } catch (err) {
        if (!visitor(undefined, undefined, err as Error)) return;
        continue;
      }
      const ref = roleRefOf(b);
      const source: RuleSource = { binding: b, subject, toString: () => `ClusterRoleBinding "${b.metadata?.name}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject, '')}` };
      for (const rule of rules) if (!visitor(source, rule, undefined)) return;
    }
    if (!namespace) return;
    let rbs: KubeObject[] = [];
    try {
      rbs = await this.lister.listRoleBindings(namespace);
    } catch (err) {
      if (!visitor(undefined, undefined, err as Error)) return;
    }
    for (const b of rbs) {
      const subject = subjectsOf(b).find((s) => appliesToUser(user, s, namespace));
      if (!subject) continue;
      let rules: PolicyRule[];
      try {
        rules = await this.getRoleReferenceRules(roleRefOf(b), namespace);
      } catch (err) {
        if (!visitor(undefined, undefined, err as Error)) return;
        continue;
      }
      const ref = roleRefOf(b);
      const source: RuleSource = {
        binding: b,
        subject,
        toString: () => `RoleBinding "${b.metadata?.name}/${namespace}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject, namespace)}`,
      };
      for (const rule of rules) if (!visitor(source, rule, undefined)) return;
    }
  }

  /** `RulesFor`: every rule granted to `user` in `namespace` (plus cluster-wide ones), and the errors met. */
  async rulesFor(user: UserInfo, namespace: string): Promise<{ rules: PolicyRule[]; errors: Error[] }> {
    const rules: PolicyRule[] = [];
    const errors: Error[] = [];
    await this.visitRulesFor(user, namespace, (_s, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}

/** An RBACLister over arrays (tests, bootstrap previews). */
export function staticRBACLister(objs: { roles?: KubeObject[]; clusterRoles?: KubeObject[]; roleBindings?: KubeObject[]; clusterRoleBindings?: KubeObject[] }): RBACLister {
  return {
    listClusterRoleBindings: async () => objs.clusterRoleBindings ?? [],
    listRoleBindings: async (ns) => (objs.roleBindings ?? []).filter((b) => b.metadata?.namespace === ns),
    getClusterRole: async (name) => (objs.clusterRoles ?? []).find((r) => r.metadata?.name === name),
    getRole: async (ns, name) => (objs.roles ?? []).find((r) => r.metadata?.namespace === ns && r.metadata?.name === name),
  };
}

/** An RBACLister reading the apiserver's watch caches (`resourceVersion=0` lists and gets). */
export function pipelineRBACLister(pipeline: Pipeline): RBACLister {
  const ri = (resource: string) => {
    const r = pipeline.find(RBAC_GROUP, 'v1', resource);
    if (!r) throw new Error(`${resource}.${RBAC_GROUP} is not served`);
    return r;
  };
  const get = async (resource: string, ns: string | undefined, name: string) => {
    try {
      return await pipeline.get(ri(resource), ns, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const getters = {
    getClusterRole: (name: string) => get('clusterroles', undefined, name),
    getRole: (ns: string, name: string) => get('roles', ns, name),
  };
  return {
    listClusterRoleBindings: async () => (await pipeline.list(ri('clusterrolebindings'), undefined, { resourceVersion: '0' })).items,
    listRoleBindings: async (ns) => (await pipeline.list(ri('rolebindings'), ns, { resourceVersion: '0' })).items,
    ...getters,
    consistent: {
      listClusterRoleBindings: async () => (await pipeline.list(ri('clusterrolebindings'), undefined, {})).items,
      listRoleBindings: async (ns) => (await pipeline.list(ri('rolebindings'), ns, {})).items,
      ...getters,
    },
  };
}
