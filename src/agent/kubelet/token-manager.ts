/**
 * The kubelet's ServiceAccount token manager, after pkg/kubelet/token/token_manager.go: token
 * requests (`POST serviceaccounts/{name}/token`) are cached per ServiceAccount, audiences,
 * expirationSeconds and bound object; a cached token is refreshed once it is older than 80 % of
 * its lifetime (i.e. within 20 % of `status.expirationTimestamp`) or older than 24 h, minus a
 * jitter of up to 10 s. Tokens of a pod are forgotten when its volumes are torn down.
 */
import type { Client, KubeObject } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';

/** A TokenRequest (authentication.k8s.io/v1) as sent and returned. */
export interface TokenRequest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec: {
    audiences: string[];
    /** Seconds. */
    expirationSeconds?: number;
    boundObjectRef?: { apiVersion?: string; kind?: string; name?: string; uid?: string } | null;
  };
  status?: { token: string; expirationTimestamp: string };
}

/** Refresh at the latest after this long (maxTTL, ms). */
const MAX_TTL_MS = 24 * 60 * 60 * 1000;
/** Up to this much earlier (maxJitter, ms). */
const MAX_JITTER_MS = 10_000;

/**
 * True when `tr` must be refreshed at `nowMs` (upstream requiresRefresh): iat = expiration −
 * spec.expirationSeconds; refresh after iat + 24 h − jitter, or after expiration − 20 % of
 * expirationSeconds − jitter. `jitterMs` defaults to a random 0–10 s. Without
 * spec.expirationSeconds or status, false.
 */
export function requiresRefresh(tr: TokenRequest, nowMs: number, jitterMs = Math.random() * MAX_JITTER_MS): boolean {
  const secs = tr.spec.expirationSeconds;
  if (!secs || !tr.status) return false;
  const exp = Date.parse(tr.status.expirationTimestamp);
  const iat = exp - secs * 1000;
  if (nowMs > iat + MAX_TTL_MS - jitterMs) return true;
  return nowMs > exp - (secs * 20 * 1000) / 100 - jitterMs;
}

/** Caches and refreshes ServiceAccount tokens for the kubelet. */
export class TokenManager {
  private readonly cache = new Map<string, TokenRequest>();

  constructor(
    private readonly client: Client,
    /** Clock in ms (tests). */
    private readonly now: () => number = Date.now,
  ) {}

  private static key(namespace: string, name: string, tr: TokenRequest): string {
    const ref = tr.spec.boundObjectRef;
    return JSON.stringify([name, namespace, [...(tr.spec.audiences ?? [])].sort(), tr.spec.expirationSeconds ?? null, ref ? [ref.kind, ref.name, ref.uid] : null]);
  }

  /**
   * A token for ServiceAccount `namespace/name` as `tr` describes (upstream GetServiceAccountToken):
   * the cached one unless it needs a refresh, else a new TokenRequest. When the request fails
   * but the cached token has not expired yet, the cached one is returned (as upstream).
   * @throws the API error when no usable token is cached
   */
  async getServiceAccountToken(namespace: string, name: string, tr: TokenRequest): Promise<TokenRequest> {
    const key = TokenManager.key(namespace, name, tr);
    const cached = this.cache.get(key);
    if (cached && !requiresRefresh(cached, this.now())) return cached;
    try {
      const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: tr.spec } as unknown as KubeObject;
      const out = (await this.client.createSubresource(GVR.serviceaccounts, namespace, name, 'token', body)) as unknown as TokenRequest;
      if (!out.status?.token) throw new Error('the token request returned no token');
      this.cache.set(key, out);
      return out;
    } catch (e) {
      if (cached?.status && Date.parse(cached.status.expirationTimestamp) > this.now()) return cached;
      throw e;
    }
  }

  /** Forgets the tokens bound to pod `podUID` (upstream DeleteServiceAccountToken). */
  deleteServiceAccountToken(podUID: string): void {
    for (const [k, tr] of this.cache) if (tr.spec.boundObjectRef?.uid === podUID) this.cache.delete(k);
  }
}
