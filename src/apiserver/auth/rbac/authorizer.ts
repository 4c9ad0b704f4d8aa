/**
 * The RBAC authorizer, after upstream plugin/pkg/auth/authorizer/rbac/rbac.go (RBACAuthorizer),
 * plus the authorizer chain kube-apiserver builds in front of it
 * (pkg/kubeapiserver/authorizer: the privileged-groups authorizer that always allows
 * `system:masters`, then the union of the configured authorizers, first opinion wins).
 *
 * Allowed reasons read `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "u"`;
 * a denial carries `RBAC: <errors>` only when some binding's role could not be read.
 */
import type { AuthorizationAttributes, Authorizer } from '../authorizer.ts';
import { DefaultRuleResolver, type RBACLister } from './resolver.ts';
import { ruleAllows } from './rule.ts';

/** `user.SystemPrivilegedGroup`. */
export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';

/** A decision with an optional reason (upstream: Decision + reason string). */
export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** `RBACAuthorizer`: allows when any rule granted to the user in the request's namespace allows the request. */
export class RBACAuthorizer implements Authorizer {
  readonly resolver: DefaultRuleResolver;
  private readonly consistentResolver?: DefaultRuleResolver;
  constructor(lister: RBACLister) {
    this.resolver = new DefaultRuleResolver(lister);
    if (lister.consistent) this.consistentResolver = new DefaultRuleResolver(lister.consistent);
  }

  /** Decides with the cached objects; a denial is re-checked once against storage when the lister can read consistently. */
  async authorize(a: AuthorizationAttributes): Promise<Decision> {
    const d = await this.authorizeWith(this.resolver, a);
    if (d.allowed || !this.consistentResolver) return d;
    return this.authorizeWith(this.consistentResolver, a);
  }

  private async authorizeWith(resolver: DefaultRuleResolver, a: AuthorizationAttributes): Promise<Decision> {
    let reason = '';
    let allowed = false;
    const errors: Error[] = [];
    await resolver.visitRulesFor(a.user, a.isResourceRequest === false ? '' : a.namespace, (source, rule, err) => {
      if (rule && ruleAllows(a, rule)) {
        allowed = true;
        reason = `RBAC: allowed by ${source}`;
        return false;
      }
      if (err) errors.push(err);
      return true;
    });
    if (allowed) return { allowed, reason };
    if (errors.length === 0) return { allowed: false };
    const msgs = errors.map((e) => e.message);
    return { allowed: false, reason: `RBAC: ${msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`}` };
  }
}

/** `NewPrivilegedGroups`: allows every request of a user in one of `groups`; no opinion otherwise. */
export class PrivilegedGroupsAuthorizer implements Authorizer {
  constructor(readonly groups: string[] = [SYSTEM_PRIVILEGED_GROUP]) {}
  authorize(a: AuthorizationAttributes): Decision {
    return { allowed: a.user.groups.some((g) => this.groups.includes(g)) };
  }
}

/** `union.New`: asks each authorizer in order; the first allow wins; denial reasons are joined with ", ". */
export class UnionAuthorizer implements Authorizer {
  constructor(readonly authorizers: Authorizer[]) {}
  async authorize(a: AuthorizationAttributes): Promise<Decision> {
    const reasons: string[] = [];
    for (const z of this.authorizers) {
      const d = await z.authorize(a);
      if (d.allowed) return d;
      if (d.reason) reasons.push(d.reason);
    }
    return reasons.length ? { allowed: false, reason: reasons.join(', ') } : { allowed: false };
  }
}

/**
 * The apiserver's authorizer for `--authorization-mode=RBAC`: system:masters first, then RBAC.
 * `rbac` is exposed for the review endpoints (rules of a user).
 */
export function newClusterAuthorizer(lister: RBACLister): UnionAuthorizer & { rbac: RBACAuthorizer } {
  const rbac = new RBACAuthorizer(lister);
  const u = new UnionAuthorizer([new PrivilegedGroupsAuthorizer(), rbac]) as UnionAuthorizer & { rbac: RBACAuthorizer };
  u.rbac = rbac;
  return u;
}
