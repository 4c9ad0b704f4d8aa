/**
 * Pieces shared by the four rbac.authorization.k8s.io/v1 kinds, after upstream
 * pkg/apis/rbac/validation/validation.go (ValidatePolicyRule, ValidateRoleBindingSubject,
 * ValidateRBACName), pkg/apis/rbac/v1/defaults.go (SetDefaults_Subject, SetDefaults_*Binding) and
 * pkg/apis/rbac/helpers.go (SubjectsStrings, used by the binding printers).
 */
import type { KubeObject } from '../../../client/interface.ts';
import { FieldPath, invalid, notSupported, required, type FieldError } from '../../../machinery/errors.ts';
import { nameIsDNSSubdomain, validatePathSegmentName } from '../../../machinery/validation.ts';
import { GoValue, goQuote, goStringSlice } from '../../common/go-value.ts';
import { arr, rec } from '../../common/meta.ts';

/** `rbac.GroupName`. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** `rbacv1.PolicyRule`. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** `rbacv1.Subject`. kind is User, Group or ServiceAccount. */
export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

/** `rbacv1.RoleRef`. */
export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** `ValidateRBACName` = path.IsValidPathSegmentName. */
export const validateRBACName = validatePathSegmentName;

/**
 * `ValidatePolicyRule`: verbs required; non-resource URLs only on cluster roles and never mixed
 * with apiGroups/resources/resourceNames; resource rules need apiGroups and resources.
 */
export function validatePolicyRule(rule: unknown, isNamespaced: boolean, path: FieldPath): FieldError[] {
  const r = rec(rule);
  const errs: FieldError[] = [];
  if (arr(r.verbs).length === 0) errs.push(required(path.child('verbs'), 'verbs must contain at least one value'));
  const urls = arr(r.nonResourceURLs) as string[];
  if (urls.length > 0) {
    if (isNamespaced) errs.push(invalid(path.child('nonResourceURLs'), new GoValue(urls, goStringSlice(urls)), 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(r.apiGroups).length > 0 || arr(r.resources).length > 0 || arr(r.resourceNames).length > 0) {
      errs.push(invalid(path.child('nonResourceURLs'), new GoValue(urls, goStringSlice(urls)), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (arr(r.apiGroups).length === 0) errs.push(required(path.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (arr(r.resources).length === 0) errs.push(required(path.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

/** Validates `rules[i]` of a Role (namespaced) or ClusterRole. */
export function validatePolicyRules(obj: KubeObject, isNamespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr((obj as Record<string, unknown>).rules).forEach((rule, i) => errs.push(...validatePolicyRule(rule, isNamespaced, FieldPath.root('rules').index(i))));
  return errs;
}

/**
 * `ValidateRoleBindingSubject`: name required; ServiceAccount names are DNS subdomains, apiGroup
 * "" and (in a ClusterRoleBinding) a namespace; User/Group need apiGroup rbac.authorization.k8s.io;
 * any other kind is unsupported.
 */
export function validateRoleBindingSubject(subject: unknown, isNamespaced: boolean, path: FieldPath): FieldError[] {
  const s = rec(subject);
  const errs: FieldError[] = [];
  const name = String(s.name ?? '');
  const apiGroup = String(s.apiGroup ?? '');
  if (!name) errs.push(required(path.child('name'), ''));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) for (const m of nameIsDNSSubdomain(name, false)) errs.push(invalid(path.child('name'), name, m));
      if (apiGroup) errs.push(notSupported(path.child('apiGroup'), apiGroup, ['']));
      if (!isNamespaced && !s.namespace) errs.push(required(path.child('namespace'), ''));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(path.child('apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(path.child('kind'), String(s.kind ?? ''), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

/**
 * Validates a RoleBinding (`kinds` = Role, ClusterRole) or ClusterRoleBinding (`kinds` = ClusterRole):
 * roleRef.apiGroup rbac.authorization.k8s.io, roleRef.kind in `kinds`, roleRef.name required and a
 * path segment name, then every subject.
 */
export function validateBindingRefAndSubjects(obj: KubeObject, kinds: string[], isNamespaced: boolean): FieldError[] {
  const o = obj as Record<string, unknown>;
  const ref = rec(o.roleRef);
  const errs: FieldError[] = [];
  const rp = FieldPath.root('roleRef');
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported(rp.child('apiGroup'), String(ref.apiGroup ?? ''), [RBAC_GROUP]));
  if (!kinds.includes(ref.kind)) errs.push(notSupported(rp.child('kind'), String(ref.kind ?? ''), kinds));
  const name = String(ref.name ?? '');
  if (!name) errs.push(required(rp.child('name'), ''));
  else for (const m of validateRBACName(name, false)) errs.push(invalid(rp.child('name'), name, m));
  arr(o.subjects).forEach((s, i) => errs.push(...validateRoleBindingSubject(s, isNamespaced, FieldPath.root('subjects').index(i))));
  return errs;
}

/** The `roleRef` update rule: `roleRef: Invalid value: rbac.RoleRef{…}: cannot change roleRef`. */
export function validateRoleRefUnchanged(obj: KubeObject, old: KubeObject): FieldError[] {
  const n = rec((obj as Record<string, unknown>).roleRef);
  const o = rec((old as Record<string, unknown>).roleRef);
  if (n.apiGroup === o.apiGroup && n.kind === o.kind && n.name === o.name) return [];
  const go = `rbac.RoleRef{APIGroup:${goQuote(String(n.apiGroup ?? ''))}, Kind:${goQuote(String(n.kind ?? ''))}, Name:${goQuote(String(n.name ?? ''))}}`;
  return [invalid('roleRef', new GoValue(n, go), 'cannot change roleRef')];
}

/**
 * `SetDefaults_RoleBinding` / `SetDefaults_ClusterRoleBinding` / `SetDefaults_Subject` (mutates):
 * roleRef.apiGroup defaults to rbac.authorization.k8s.io; a subject's apiGroup to
 * rbac.authorization.k8s.io for User and Group, "" for ServiceAccount.
 */
export function setDefaultsBinding(obj: KubeObject): void {
  const o = obj as Record<string, unknown>;
  const ref = o.roleRef as Record<string, unknown> | undefined;
  if (ref && typeof ref === 'object' && !ref.apiGroup) ref.apiGroup = RBAC_GROUP;
  for (const s of arr(o.subjects)) {
    if (!s || typeof s !== 'object' || s.apiGroup) continue;
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
    else if (s.kind === 'ServiceAccount') s.apiGroup = '';
  }
}

/**
 * `rbac.SubjectsStrings`: user names, group names and service accounts (`ns/name`, or `name`
 * without a namespace) of a binding, in subject order.
 */
export function subjectsStrings(subjects: unknown): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const out = { users: [] as string[], groups: [] as string[], serviceAccounts: [] as string[] };
  for (const s of arr(subjects)) {
    if (s?.kind === 'User') out.users.push(String(s.name ?? ''));
    else if (s?.kind === 'Group') out.groups.push(String(s.name ?? ''));
    else if (s?.kind === 'ServiceAccount') out.serviceAccounts.push(s.namespace ? `${s.namespace}/${s.name}` : String(s.name ?? ''));
  }
  return out;
}
