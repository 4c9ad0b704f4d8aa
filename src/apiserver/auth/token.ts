/**
 * Authentication, after k8s.io/apiserver/pkg/authentication/request/bearertoken and the
 * static token file authenticator (`--token-auth-file`, CSV `token,user,uid,"group1,group2"`).
 * A request without valid credentials gets 401 Unauthorized, except the public health/version
 * paths (upstream grants them to system:unauthenticated through RBAC's system:public-info-viewer).
 */
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** An authenticated user (`user.Info`). */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  /** `user.Info.GetExtra()` (keys lower case), e.g. from impersonation headers. */
  extra?: Record<string, string[]>;
}

/** Authenticates a request; undefined = no/invalid credentials (async for authenticators that look objects up, e.g. ServiceAccount tokens). */
export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined>;
}

/** Paths served without credentials (exact or with a sub-path, e.g. /livez/ping). */
export const PUBLIC_PATHS = ['/version', '/healthz', '/livez', '/readyz'];

/** True when `pathname` is public. */
export function isPublicPath(pathname: string): boolean {
  return PUBLIC_PATHS.some((p) => pathname === p || pathname === `${p}/` || pathname.startsWith(`${p}/`));
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Bearer tokens mapped to users. */
export class TokenAuthenticator implements Authenticator {
  private readonly tokens: Array<{ token: string; user: UserInfo }> = [];

  /** Adds a token for `user`. */
  add(token: string, user: UserInfo): this {
    this.tokens.push({ token, user });
    return this;
  }

  /**
   * Loads a static token file: one `token,user,uid[,"g1,g2"]` per line (as upstream's
   * --token-auth-file). Blank lines and `#` comments are ignored.
   */
  static fromFile(path: string): TokenAuthenticator {
    const a = new TokenAuthenticator();
    for (const raw of readFileSync(path, 'utf8').split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const m = line.match(/^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/);
      if (!m) continue;
      a.add(m[1], { name: m[2], uid: m[3] || undefined, groups: m[4] ? m[4].split(',').map((g) => g.trim()).filter(Boolean) : [] });
    }
    return a;
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return undefined;
    for (const t of this.tokens) if (safeEqual(t.token, m[1])) return { ...t.user, groups: [...t.user.groups, 'system:authenticated'] };
    return undefined;
  }
}
