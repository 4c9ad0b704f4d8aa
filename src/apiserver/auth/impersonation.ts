/**
 * Impersonation, after k8s.io/apiserver/pkg/endpoints/filters/impersonation.go
 * (WithImpersonation): the `Impersonate-User`, `Impersonate-Group` (repeatable), `Impersonate-Uid`
 * and `Impersonate-Extra-<key>` headers replace the requester's identity, once the requester is
 * authorized for the `impersonate` verb on `users` / `groups` (core group), `serviceaccounts` (in
 * the account's namespace, for `system:serviceaccount:<ns>:<name>` users), `uids` and
 * `userextras/<key>` (authentication.k8s.io). The impersonated user gets `system:authenticated`
 * (or `system:unauthenticated` for system:anonymous), service accounts also
 * `system:serviceaccounts` and `system:serviceaccounts:<ns>`.
 */
import type { IncomingMessage } from 'node:http';
import { newBadRequest } from '../../machinery/errors.ts';
import { forbiddenError, type AuthorizationAttributes, type Authorizer } from './authorizer.ts';
import type { UserInfo } from './token.ts';
import { splitServiceAccountUsername } from './rbac/resolver.ts';

/** Header names (lower case, as node:http exposes them). */
export const IMPERSONATE_USER_HEADER = 'impersonate-user';
/** `Impersonate-Group`. */
export const IMPERSONATE_GROUP_HEADER = 'impersonate-group';
/** `Impersonate-Uid`. */
export const IMPERSONATE_UID_HEADER = 'impersonate-uid';
/** `Impersonate-Extra-` prefix; the rest of the name is the (percent-encoded) extra key. */
export const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';

function values(h: string | string[] | undefined): string[] {
  if (h === undefined) return [];
  return Array.isArray(h) ? h : [h];
}

/** True when the request carries any impersonation header. */
export function hasImpersonationHeaders(req: IncomingMessage): boolean {
  return Object.keys(req.headers).some((k) => k === IMPERSONATE_USER_HEADER || k === IMPERSONATE_GROUP_HEADER || k === IMPERSONATE_UID_HEADER || k.startsWith(IMPERSONATE_EXTRA_PREFIX));
}

/**
 * Returns the identity to act as: `user` itself when there are no impersonation headers,
 * otherwise the impersonated user after authorizing every requested attribute with `authorizer`
 * (no authorizer = allow all). Throws 400 when groups/uid/extra are given without a user, and
 * upstream's 403 (e.g. `users "alice" is forbidden: User "bob" cannot impersonate resource
 * "users" in API group "" at the cluster scope`) when a check is denied.
 */
export async function impersonate(req: IncomingMessage, user: UserInfo, authorizer: Authorizer | undefined): Promise<UserInfo> {
  if (!hasImpersonationHeaders(req)) return user;
  const userName = values(req.headers[IMPERSONATE_USER_HEADER])[0] ?? '';
  // node:http joins repeated unknown headers with ", "; a group name containing ", " cannot be told apart.
  const groups = values(req.headers[IMPERSONATE_GROUP_HEADER]).flatMap((v) => v.split(', ')).filter((g) => g !== '');
  const uid = values(req.headers[IMPERSONATE_UID_HEADER])[0] ?? '';
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!k.startsWith(IMPERSONATE_EXTRA_PREFIX)) continue;
    let key = k.slice(IMPERSONATE_EXTRA_PREFIX.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      /* keep raw */
    }
    extra[key.toLowerCase()] = values(v).flatMap((x) => x.split(', '));
  }
  if (!userName) {
    const asked = [...groups.map((g) => `Group=${g}`), ...(uid ? [`UID=${uid}`] : []), ...Object.keys(extra).map((k) => `Extra=${k}`)];
    throw newBadRequest(`requested [${asked.join(' ')}] without impersonating a user`);
  }

  const checks: AuthorizationAttributes[] = [];
  const base = { user, apiVersion: 'v1', subresource: '', namespace: '', verb: 'impersonate' };
  const sa = splitServiceAccountUsername(userName);
  const newGroups: string[] = [];
  if (sa) {
    checks.push({ ...base, apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
    if (groups.length === 0) newGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  } else {
    checks.push({ ...base, apiGroup: '', resource: 'users', name: userName });
  }
  for (const g of groups) {
    checks.push({ ...base, apiGroup: '', resource: 'groups', name: g });
    newGroups.push(g);
  }
  if (uid) checks.push({ ...base, apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  for (const [k, vs] of Object.entries(extra)) {
    for (const v of vs) checks.push({ ...base, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, name: v });
  }
  if (authorizer) {
    for (const a of checks) {
      const d = await authorizer.authorize(a);
      if (!d.allowed) throw forbiddenError(a, d.reason);
    }
  }
  if (userName === 'system:anonymous') {
    if (!newGroups.includes('system:unauthenticated')) newGroups.push('system:unauthenticated');
  } else if (!newGroups.includes('system:authenticated') && !newGroups.includes('system:unauthenticated')) {
    newGroups.push('system:authenticated');
  }
  const out: UserInfo & { extra?: Record<string, string[]> } = { name: userName, groups: newGroups };
  if (uid) out.uid = uid;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
