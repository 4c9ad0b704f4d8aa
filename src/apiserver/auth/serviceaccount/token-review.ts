/**
 * TokenReview (`POST /apis/authentication.k8s.io/v1/tokenreviews`), after
 * pkg/registry/authentication/tokenreview/storage.go: authenticates `spec.token` for
 * `spec.audiences` (default: the API audiences) and answers `status` {authenticated, user
 * {username, uid, groups, extra}, audiences, error}. ServiceAccount JWTs are checked for the
 * audiences; other bearer tokens (audience-agnostic, e.g. the static admin token) authenticate
 * only when the requested audiences include an API audience, as upstream's
 * WrapAudienceAgnosticToken.
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../../client/interface.ts';
import { newBadRequest } from '../../../machinery/errors.ts';
import type { Authenticator, UserInfo } from '../token.ts';
import type { ServiceAccountTokenAuthenticator } from './authenticator.ts';

/** What a TokenReview needs. */
export interface TokenReviewContext {
  /** The ServiceAccount JWT authenticator. */
  serviceAccounts: ServiceAccountTokenAuthenticator;
  /** Audience-agnostic bearer token authenticators (e.g. the static token file), tried after. */
  tokenAuthenticators?: Authenticator[];
}

function userInfoOf(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.name };
  if (u.uid) out.uid = u.uid;
  out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/**
 * Evaluates a TokenReview `body` (decoded JSON). Returns the TokenReview with `status`.
 * @throws 400 'token is required for TokenReview in authentication' when spec.token is empty
 */
export async function evaluateTokenReview(body: Record<string, any>, ctx: TokenReviewContext): Promise<KubeObject> {
  const spec = (body.spec ?? {}) as { token?: string; audiences?: string[] };
  if (!spec.token) throw newBadRequest('token is required for TokenReview in authentication');
  const apiAuds = ctx.serviceAccounts.tokens.apiAudiences;
  const auds = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : apiAuds;
  const status: Record<string, unknown> = {};
  const r = await ctx.serviceAccounts.authenticateToken(spec.token, auds);
  if (r.ok) {
    status.authenticated = true;
    status.user = userInfoOf(r.user);
    status.audiences = r.audiences;
  } else if (r.error !== undefined) {
    status.user = {};
    status.error = r.error;
  } else {
    const matched = auds.filter((a) => apiAuds.includes(a));
    const req = { headers: { authorization: `Bearer ${spec.token}` }, socket: {} } as unknown as IncomingMessage;
    let user: UserInfo | undefined;
    for (const a of ctx.tokenAuthenticators ?? []) {
      user = await a.authenticate(req);
      if (user) break;
    }
    if (user && matched.length) {
      status.authenticated = true;
      status.user = userInfoOf(user);
      status.audiences = matched;
    } else {
      status.user = {};
      if (user) status.error = `token audiences ${JSON.stringify(auds)} is invalid for the target audiences ${JSON.stringify(apiAuds)}`;
    }
  }
  const spec2: Record<string, unknown> = { token: spec.token };
  if (Array.isArray(spec.audiences) && spec.audiences.length) spec2.audiences = spec.audiences;
  return { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec: spec2, status } as KubeObject;
}
