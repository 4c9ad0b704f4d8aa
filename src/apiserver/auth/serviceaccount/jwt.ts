/**
 * Compact JWS (JWT) signing and verification with node:crypto, ES256 (ECDSA P-256 + SHA-256, raw
 * r‖s signatures as RFC 7518 §3.4) or RS256, as upstream's pkg/serviceaccount/jwt.go signs with
 * go-jose. The key id (`kid`) is upstream's keyIDFromPublicKey: base64url(SHA-256(DER SPKI)).
 *
 * A JOSE library (`jose`) would do the same; node:crypto keeps Skiff free of another dependency.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** JWT claims (RFC 7519 registered names plus private claims). */
export type JWTClaims = Record<string, unknown>;

/** Why a token failed {@link verifyJWT}. */
export class JWTError extends Error {}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

function algorithmOf(key: KeyObject): 'ES256' | 'RS256' {
  if (key.asymmetricKeyType === 'ec') {
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new JWTError('only P-256 EC keys are supported');
    return 'ES256';
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new JWTError(`unsupported key type ${key.asymmetricKeyType}`);
}

/** Upstream keyIDFromPublicKey: base64url (no padding) of SHA-256 over the DER SubjectPublicKeyInfo. */
export function keyIDFromPublicKey(pub: KeyObject): string {
  return b64url(createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest());
}

/**
 * Signs `claims` as a compact JWS with `privateKey` (PEM or KeyObject; EC P-256 → ES256,
 * RSA → RS256). Header: {alg, kid}. Returns `header.payload.signature` (base64url parts).
 * Throws JWTError for unsupported keys.
 */
export function signJWT(claims: JWTClaims, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const alg = algorithmOf(key);
  const header = { alg, kid: keyIDFromPublicKey(createPublicKey(key)) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${b64url(sig)}`;
}

/**
 * Parses a compact JWS without verifying it. Returns undefined when `token` is not shaped like a
 * JWT (three base64url parts, JSON header and payload objects).
 */
export function parseJWT(token: string): { header: Record<string, unknown>; claims: JWTClaims; signingInput: string; signature: Buffer } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || Array.isArray(header) || !claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    return { header: header as Record<string, unknown>, claims: claims as JWTClaims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

/**
 * Verifies a compact JWS against any of `publicKeys` (the header's alg must match the key type;
 * `none` and HMAC algorithms are refused). Returns the claims; does not check exp/nbf/aud.
 * @throws JWTError when malformed or no key verifies the signature
 */
export function verifyJWT(token: string, publicKeys: KeyObject[]): JWTClaims {
  const p = parseJWT(token);
  if (!p) throw new JWTError('malformed token');
  for (const key of publicKeys) {
    const alg = algorithmOf(key);
    if (p.header.alg !== alg) continue;
    const ok = verify('sha256', Buffer.from(p.signingInput), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, p.signature);
    if (ok) return p.claims;
  }
  throw new JWTError('invalid signature');
}
