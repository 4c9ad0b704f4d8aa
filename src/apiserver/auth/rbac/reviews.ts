/**
 * The review endpoints, after upstream pkg/registry/authorization/{selfsubjectaccessreview,
 * subjectaccessreview,localsubjectaccessreview,selfsubjectrulesreview}/rest.go and
 * pkg/registry/authentication/selfsubjectreview/rest.go: POST-only, nothing is stored; the
 * response (201) is the request with `status` filled in.
 *
 * - SelfSubjectAccessReview: the requester's access to `spec.resourceAttributes` or
 *   `spec.nonResourceAttributes` → status {allowed, reason}.
 * - SubjectAccessReview / LocalSubjectAccessReview: the same for `spec.user/groups/uid/extra`
 *   (the local one must name the request's namespace).
 * - SelfSubjectRulesReview: the requester's rules in `spec.namespace` → status {resourceRules,
 *   nonResourceRules, incomplete}.
 * - SelfSubjectReview (authentication.k8s.io): status.userInfo of the requester.
 */
import type { KubeObject } from '../../../client/interface.ts';
import type { ResourceInfo } from '../../../api/resource-types.ts';
import { newBadRequest, newInvalid, type FieldError } from '../../../machinery/errors.ts';
import type { PolicyRule } from '../../../api/rbac/v1/policy.ts';
import type { AuthorizationAttributes, Authorizer } from '../authorizer.ts';
import type { UserInfo } from '../token.ts';
import type { DefaultRuleResolver } from './resolver.ts';
import { SYSTEM_PRIVILEGED_GROUP } from './authorizer.ts';

const REVIEW_KINDS = new Set([
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SubjectAccessReview',
  'authorization.k8s.io/LocalSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
  'authentication.k8s.io/SelfSubjectReview',
]);

/** True for the resources answered by {@link evaluateReview} instead of the store. */
export function isReviewResource(ri: ResourceInfo): boolean {
  return REVIEW_KINDS.has(`${ri.group}/${ri.kind}`);
}

/** What a review needs: who asks, the authorizer (undefined = allow all) and the RBAC rule resolver (for rules reviews). */
export interface ReviewContext {
  user: UserInfo;
  authorizer?: Authorizer;
  resolver?: DefaultRuleResolver;
  /** The request's namespace (LocalSubjectAccessReview). */
  namespace?: string;
}

function attributesFrom(spec: Record<string, any>, user: UserInfo): AuthorizationAttributes {
  if (spec.resourceAttributes) {
    const r = spec.resourceAttributes as Record<string, string | undefined>;
    return { user, verb: r.verb ?? '', apiGroup: r.group ?? '', apiVersion: r.version ?? '', resource: r.resource ?? '', subresource: r.subresource ?? '', namespace: r.namespace ?? '', name: r.name ?? '' };
  }
  const n = (spec.nonResourceAttributes ?? {}) as Record<string, string | undefined>;
  return { user, verb: n.verb ?? '', apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', isResourceRequest: false, path: n.path ?? '' };
}

async function accessStatus(a: AuthorizationAttributes, authorizer: Authorizer | undefined): Promise<Record<string, unknown>> {
  if (!authorizer) return { allowed: true };
  const d = await authorizer.authorize(a);
  const st: Record<string, unknown> = { allowed: d.allowed };
  if (d.reason) st.reason = d.reason;
  return st;
}

function toResourceRule(r: PolicyRule): Record<string, unknown> {
  const o: Record<string, unknown> = { verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] };
  if (r.resourceNames?.length) o.resourceNames = r.resourceNames;
  return o;
}

/**
 * Answers a review POST: validates (422 as upstream), evaluates and returns the object with
 * `status`. `ri` must satisfy {@link isReviewResource}; `body` is the decoded JSON object.
 */
export async function evaluateReview(ri: ResourceInfo, body: Record<string, any>, ctx: ReviewContext): Promise<KubeObject> {
  const errs: FieldError[] = ri.strategy.validate(body as KubeObject);
  if (errs.length) throw newInvalid({ group: ri.group, kind: ri.kind }, String(body.metadata?.name ?? ''), errs);
  const spec = (body.spec ?? {}) as Record<string, any>;
  const out: Record<string, any> = { kind: ri.kind, apiVersion: `${ri.group}/${ri.version}`, metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec };
  switch (ri.kind) {
    case 'SelfSubjectAccessReview':
      out.status = await accessStatus(attributesFrom(spec, ctx.user), ctx.authorizer);
      break;
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      if (ri.kind === 'LocalSubjectAccessReview') {
        const ns = ctx.namespace ?? '';
        if (spec.resourceAttributes && (spec.resourceAttributes.namespace ?? '') === '') spec.resourceAttributes.namespace = ns;
        if (!spec.resourceAttributes || spec.resourceAttributes.namespace !== ns) throw newBadRequest(`spec.resourceAttributes.namespace must match namespace: ${ns}`);
      }
      const subject: UserInfo = { name: String(spec.user ?? ''), groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [] };
      if (spec.uid) subject.uid = String(spec.uid);
      if (spec.extra && typeof spec.extra === 'object') subject.extra = spec.extra;
      out.status = await accessStatus(attributesFrom(spec, subject), ctx.authorizer);
      break;
    }
    case 'SelfSubjectRulesReview': {
      const ns = String(spec.namespace ?? '');
      if (!ns) throw newBadRequest('no namespace on request');
      const resourceRules: Record<string, unknown>[] = [];
      const nonResourceRules: Record<string, unknown>[] = [];
      if (!ctx.authorizer || ctx.user.groups.includes(SYSTEM_PRIVILEGED_GROUP)) {
        resourceRules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
        nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
      }
      let incomplete = false;
      let evaluationError = '';
      if (ctx.resolver) {
        const { rules, errors } = await ctx.resolver.rulesFor(ctx.user, ns);
        for (const r of rules) {
          if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
          else resourceRules.push(toResourceRule(r));
        }
        if (errors.length) {
          incomplete = true;
          evaluationError = errors.map((e) => e.message).join(', ');
        }
      }
      out.status = { resourceRules, nonResourceRules, incomplete };
      if (evaluationError) out.status.evaluationError = evaluationError;
      break;
    }
    case 'SelfSubjectReview': {
      const ui: Record<string, unknown> = { username: ctx.user.name, groups: ctx.user.groups };
      if (ctx.user.uid) ui.uid = ctx.user.uid;
      if (ctx.user.extra && Object.keys(ctx.user.extra).length) ui.extra = ctx.user.extra;
      out.status = { userInfo: ui };
      delete out.spec;
      break;
    }
  }
  return out as KubeObject;
}
