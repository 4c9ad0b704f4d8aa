/**
 * The ServiceAccount token authenticator, after pkg/serviceaccount/jwt.go (JWTTokenAuthenticator)
 * and claims.go (validator.Validate): a bearer JWT whose `iss` is this server's issuer, signed by
 * one of the service-account public keys, not expired (exp), already valid (nbf, 60 s leeway as
 * go-jose's DefaultLeeway), with an audience among the requested ones (the API audiences for
 * requests), whose ServiceAccount (and bound pod / secret / node) still exist with the uids in
 * the token (an object deleted more than 60 s ago, i.e. with an older deletionTimestamp,
 * invalidates it, as upstream) authenticates
 * `system:serviceaccount:<ns>:<name>` (uid = the ServiceAccount's uid), groups
 * `system:serviceaccounts`, `system:serviceaccounts:<ns>`, `system:authenticated`, and extra
 * `authentication.kubernetes.io/{pod-name,pod-uid,node-name,node-uid,credential-id}`.
 */
import type { IncomingMessage } from 'node:http';
import type { Authenticator, UserInfo } from '../token.ts';
import { JWTError, parseJWT, verifyJWT } from './jwt.ts';
import { makeUsername, type KubernetesClaim, type ObjectGetter, type ServiceAccountTokens } from './tokens.ts';

/** Result of {@link ServiceAccountTokenAuthenticator.authenticateToken}. */
export type TokenAuthResult =
  /** Authenticated: the user and the audiences (token aud ∩ requested). */
  | { ok: true; user: UserInfo; audiences: string[] }
  /** Not a token of this issuer (other authenticators may try it). */
  | { ok: false; error?: undefined }
  /** A token of this issuer that is invalid; `error` is upstream-style wording. */
  | { ok: false; error: string };

/** Leeway for nbf/iat against clock skew (go-jose jwt.DefaultLeeway, 1 minute). */
const LEEWAY_SECONDS = 60;

/** Authenticates ServiceAccount JWTs (see the file comment). */
export class ServiceAccountTokenAuthenticator implements Authenticator {
  constructor(
    readonly tokens: ServiceAccountTokens,
    /** Reads the ServiceAccount / bound objects (undefined = deleted). */
    private readonly get: ObjectGetter,
  ) {}

  /**
   * Checks `token` for `audiences` (default: the API audiences). Never throws for bad tokens;
   * lookup failures other than NotFound propagate.
   */
  async authenticateToken(token: string, audiences: string[] = this.tokens.apiAudiences): Promise<TokenAuthResult> {
    const parsed = parseJWT(token);
    if (!parsed || parsed.claims.iss !== this.tokens.issuer) return { ok: false };
    let claims: Record<string, unknown>;
    try {
      claims = verifyJWT(token, this.tokens.publicKeys);
    } catch (e) {
      if (e instanceof JWTError) return { ok: false, error: e.message };
      throw e;
    }
    const now = Math.floor(this.tokens.now() / 1000);
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const exp = num(claims.exp);
    if (exp === undefined || now >= exp) return { ok: false, error: 'service account token has expired' };
    const nbf = num(claims.nbf);
    if (nbf !== undefined && now + LEEWAY_SECONDS < nbf) return { ok: false, error: 'service account token is not valid yet' };
    const iat = num(claims.iat);
    if (iat !== undefined && now + LEEWAY_SECONDS < iat) return { ok: false, error: 'service account token is issued in the future' };
    const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : typeof claims.aud === 'string' ? [claims.aud] : [];
    const matched = aud.filter((a) => audiences.includes(a));
    if (!matched.length) return { ok: false, error: `token audiences ${JSON.stringify(aud)} is invalid for the target audiences ${JSON.stringify(audiences)}` };
    const k = claims['kubernetes.io'] as KubernetesClaim | undefined;
    if (!k || typeof k !== 'object' || !k.namespace || !k.serviceaccount?.name) return { ok: false, error: 'service account token claims could not be validated' };
    if (claims.sub !== makeUsername(k.namespace, k.serviceaccount.name)) return { ok: false, error: 'service account token claims could not be validated' };

    // Wording and order as upstream's validator (claims.go): the lister's NotFound for the
    // ServiceAccount; a missing or long-deleted bound object invalidates the token.
    const invalidated = { ok: false as const, error: 'service account token has been invalidated' };
    const sa = await this.get('serviceaccounts', k.namespace, k.serviceaccount.name);
    if (!sa) return { ok: false, error: `serviceaccount "${k.serviceaccount.name}" not found` };
    if (deletedBefore(sa, now - LEEWAY_SECONDS)) return { ok: false, error: `service account ${k.namespace}/${k.serviceaccount.name} has been deleted` };
    if (sa.metadata?.uid !== k.serviceaccount.uid) return { ok: false, error: `service account UID (${sa.metadata?.uid}) does not match claim (${k.serviceaccount.uid})` };
    if (k.secret) {
      const s = await this.get('secrets', k.namespace, k.secret.name);
      if (!s) return invalidated;
      if (s.metadata?.uid !== k.secret.uid) return { ok: false, error: `secret UID (${s.metadata?.uid}) does not match service account secret ref claim (${k.secret.uid})` };
      if (deletedBefore(s, now - LEEWAY_SECONDS)) return invalidated;
    }
    if (k.pod) {
      const p = await this.get('pods', k.namespace, k.pod.name);
      if (!p) return invalidated;
      if (p.metadata?.uid !== k.pod.uid) return { ok: false, error: `pod UID (${p.metadata?.uid}) does not match service account pod ref claim (${k.pod.uid})` };
      if (deletedBefore(p, now - LEEWAY_SECONDS)) return invalidated;
    }
    // A node named beside a pod is informational (the pod is checked); a node-bound token needs the node.
    if (k.node && !k.pod) {
      const n = await this.get('nodes', undefined, k.node.name);
      if (!n) return invalidated;
      if (n.metadata?.uid !== k.node.uid) return { ok: false, error: `node UID (${n.metadata?.uid}) does not match service account node ref claim (${k.node.uid})` };
      if (deletedBefore(n, now - LEEWAY_SECONDS)) return invalidated;
    }
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (k.node) {
      extra['authentication.kubernetes.io/node-name'] = [k.node.name];
      if (k.node.uid) extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
    }
    if (typeof claims.jti === 'string' && claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    const user: UserInfo = {
      name: makeUsername(k.namespace, k.serviceaccount.name),
      uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
    };
    if (Object.keys(extra).length) user.extra = extra;
    return { ok: true, user, audiences: matched };
  }

  /** Authenticates a request's `Authorization: Bearer <jwt>`; undefined when absent or invalid. */
  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const r = await this.authenticateToken(m[1]);
    return r.ok ? r.user : undefined;
  }
}

function deletedBefore(o: { metadata?: { deletionTimestamp?: string | null } }, beforeSeconds: number): boolean {
  const ts = o.metadata?.deletionTimestamp;
  return !!ts && Date.parse(ts) / 1000 < beforeSeconds;
}
