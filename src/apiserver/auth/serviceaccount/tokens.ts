/**
 * Bound ServiceAccount tokens, after pkg/serviceaccount (claims.go, jwt.go) and the TokenRequest
 * REST handler pkg/registry/core/serviceaccount/storage/token.go:
 *
 * - {@link ServiceAccountTokens}: the signing key, issuer (`--service-account-issuer`, default
 *   `https://kubernetes.default.svc.cluster.local`) and API audiences (`--api-audiences`, default
 *   = the issuer), and the claims builder: iss, sub `system:serviceaccount:<ns>:<name>`, aud, exp,
 *   iat, nbf, jti, and the private `kubernetes.io` claim {namespace, serviceaccount{name,uid},
 *   pod{name,uid}, secret{name,uid}, node{name,uid}, warnafter}.
 * - {@link createTokenRequest}: `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`.
 *   expirationSeconds default 3600, min 600, max 2^32; audiences default to the API audiences;
 *   boundObjectRef to a Pod, Secret or Node (uid must match, a pod must run as this
 *   ServiceAccount). A pod-bound token for the API audiences asking for exactly 3607 s (what the
 *   kubelet asks for `kube-api-access-*` volumes) is extended to one year with `warnafter` at
 *   3607 s (`--service-account-extend-token-expiration`, default true); its
 *   `status.expirationTimestamp` still says now + 3607 s, as upstream.
 * - {@link ensureServiceAccountKey}: the key pair (`<pkiDir>/service-account.key`, EC P-256,
 *   generated with node:crypto on first start and kept), as kubeadm's sa.key / k3s' service.key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../../client/interface.ts';
import { StatusError, newBadRequest, newInvalid, isNotFound, type FieldError } from '../../../machinery/errors.ts';
import { keyIDFromPublicKey, signJWT } from './jwt.ts';

/** Upstream's default issuer and API audience (`https://kubernetes.default.svc.` + cluster domain). */
export const DefaultServiceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';
/** The expirationSeconds the kubelet asks for admission-made token volumes (token.WarnOnlyBoundTokenExpirationSeconds). */
export const WarnOnlyBoundTokenExpirationSeconds = 3607;
/** One year: the lifetime of extended kubelet tokens (token.ExpirationExtensionSeconds). */
export const ExpirationExtensionSeconds = 24 * 365 * 60 * 60;
/** Minimum expirationSeconds of a TokenRequest (10 minutes). */
export const MinTokenAgeSeconds = 600;
/** Maximum expirationSeconds of a TokenRequest (2^32). */
export const MaxTokenAgeSeconds = 2 ** 32;
/** Default expirationSeconds of a TokenRequest (1 hour, SetDefaults_TokenRequestSpec). */
export const DefaultTokenExpirationSeconds = 3600;

/** `system:serviceaccount:<ns>:<name>` (apiserver/pkg/authentication/serviceaccount MakeUsername). */
export function makeUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** `{name, uid}` of an object named in the `kubernetes.io` claim. */
export interface ClaimRef {
  name: string;
  uid: string;
}

/** The private `kubernetes.io` claim. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ClaimRef;
  pod?: ClaimRef;
  secret?: ClaimRef;
  node?: ClaimRef;
  /** NumericDate (seconds) after which a client should have refreshed the token. */
  warnafter?: number;
}

/** The claims of a ServiceAccount token. */
export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  /** NumericDate (seconds since the epoch). */
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': KubernetesClaim;
}

/** A key pair for signing and verifying ServiceAccount tokens. */
export interface ServiceAccountKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * Reads `<pkiDir>/service-account.key` (PKCS#8 PEM), generating an EC P-256 key (mode 0600)
 * when missing. Returns the key pair. Throws on I/O errors or an unreadable key.
 */
export function ensureServiceAccountKey(pkiDir: string): ServiceAccountKeyPair {
  const p = join(pkiDir, 'service-account.key');
  if (!existsSync(p)) {
    mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(p, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    chmodSync(p, 0o600);
  }
  const privateKey = createPrivateKey(readFileSync(p, 'utf8'));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Options of {@link ServiceAccountTokens}. */
export interface ServiceAccountTokensOptions {
  /** The signing key; default: a fresh EC P-256 key (tests). */
  keyPair?: ServiceAccountKeyPair;
  /** Extra keys accepted when verifying (`--service-account-key-file`, e.g. a previous key). */
  extraPublicKeys?: KeyObject[];
  /** `--service-account-issuer` (default {@link DefaultServiceAccountIssuer}). */
  issuer?: string;
  /** `--api-audiences` (default: [issuer]). */
  apiAudiences?: string[];
  /** `--service-account-extend-token-expiration` (default true). */
  extendExpiration?: boolean;
  /** `--service-account-max-token-expiration` in seconds (default 0 = no cap). */
  maxExpirationSeconds?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Signing key, issuer and audiences of ServiceAccount tokens, and the token generator. */
export class ServiceAccountTokens {
  readonly privateKey: KeyObject;
  readonly publicKeys: KeyObject[];
  readonly issuer: string;
  readonly apiAudiences: string[];
  readonly extendExpiration: boolean;
  readonly maxExpirationSeconds: number;
  readonly now: () => number;

  constructor(opts: ServiceAccountTokensOptions = {}) {
    const kp = opts.keyPair ?? (() => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      return { privateKey, publicKey };
    })();
    this.privateKey = kp.privateKey;
    this.publicKeys = [kp.publicKey, ...(opts.extraPublicKeys ?? [])];
    this.issuer = opts.issuer ?? DefaultServiceAccountIssuer;
    this.apiAudiences = opts.apiAudiences?.length ? [...opts.apiAudiences] : [this.issuer];
    this.extendExpiration = opts.extendExpiration ?? true;
    this.maxExpirationSeconds = opts.maxExpirationSeconds ?? 0;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The claims for a token of `sa` (a ServiceAccount object) valid `expirationSeconds` from now
   * (upstream token.Claims). `bound` names the pod/secret/node it is bound to; `warnAfterSeconds`
   * (non-zero) adds `warnafter` = now + that.
   */
  claims(sa: KubeObject, audiences: string[], expirationSeconds: number, bound: { pod?: KubeObject; secret?: KubeObject; node?: KubeObject } = {}, warnAfterSeconds = 0): ServiceAccountClaims {
    const now = Math.floor(this.now() / 1000);
    // json:"uid,omitempty": a ref without uid (a node that could not be read) has none.
    const ref = (o: KubeObject): ClaimRef => (o.metadata?.uid ? { name: o.metadata?.name ?? '', uid: o.metadata.uid } : ({ name: o.metadata?.name ?? '' } as ClaimRef));
    const k: KubernetesClaim = { namespace: sa.metadata?.namespace ?? '', serviceaccount: ref(sa) };
    if (bound.pod) k.pod = ref(bound.pod);
    if (bound.secret) k.secret = ref(bound.secret);
    if (bound.node) k.node = ref(bound.node);
    if (warnAfterSeconds) k.warnafter = now + warnAfterSeconds;
    return {
      iss: this.issuer,
      sub: makeUsername(k.namespace, k.serviceaccount.name),
      aud: [...audiences],
      exp: now + expirationSeconds,
      iat: now,
      nbf: now,
      jti: randomUUID(),
      'kubernetes.io': k,
    };
  }

  /** Signs `claims` (ES256 with the P-256 key, RS256 with an RSA key). Returns the compact JWT. */
  generateToken(claims: ServiceAccountClaims): string {
    return signJWT(claims as unknown as Record<string, unknown>, this.privateKey);
  }

  /**
   * The OIDC discovery document served at `/.well-known/openid-configuration` (upstream
   * openidmetadata.go): issuer, `jwks_uri`, response_types_supported [id_token],
   * subject_types_supported [public], id_token_signing_alg_values_supported (from the keys).
   */
  openIDMetadata(jwksURI: string): Record<string, unknown> {
    const algs = [...new Set(this.publicKeys.map((k) => (k.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256')))].sort();
    return { issuer: this.issuer, jwks_uri: jwksURI, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: algs };
  }

  /** The public keys as a JWK Set (`/openid/v1/jwks`): {keys: [{use: sig, kty, kid, alg, crv/x/y or n/e}]}. */
  jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: this.publicKeys.map((k) => {
        const jwk = k.export({ format: 'jwk' }) as Record<string, unknown>;
        return { use: 'sig', ...jwk, kid: keyIDFromPublicKey(k), alg: k.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256' };
      }),
    };
  }

  /** True when `audiences` equals the API audiences as a set (upstream isKubeAudiences). */
  isKubeAudiences(audiences: string[]): boolean {
    const a = new Set(audiences);
    return a.size === this.apiAudiences.length && this.apiAudiences.every((x) => a.has(x));
  }
}

/** Reads an object by resource/namespace/name; undefined when it does not exist. */
export type ObjectGetter = (resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string | undefined, name: string) => Promise<KubeObject | undefined>;

/** Wraps a getter that throws NotFound StatusErrors into an {@link ObjectGetter}. */
export function optionalGetter(get: (resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string | undefined, name: string) => Promise<KubeObject>): ObjectGetter {
  return async (r, ns, n) => {
    try {
      return await get(r, ns, n);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
}

function notFound(resource: string, name: string): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${resource} "${name}" not found`, reason: 'NotFound', code: 404, details: { name, kind: resource } });
}

function conflictUID(kind: string, name: string, refUID: string, uid: string): StatusError {
  return new StatusError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Conflict', code: 409,
    message: `Operation cannot be fulfilled on ${kind} "${name}": the UID in the bound object reference (${refUID}) does not match the UID in record. The object might have been deleted and then recreated`,
    details: { name, kind },
  });
}

/**
 * Serves a TokenRequest (`POST …/serviceaccounts/{name}/token`) as upstream's TokenREST.Create:
 * validates and defaults `body` (authentication.k8s.io/v1 TokenRequest), resolves the
 * ServiceAccount and bound object through `get`, and returns the TokenRequest with
 * `status.{token, expirationTimestamp}`.
 * @throws 404 (ServiceAccount missing), 422 Invalid (expirationSeconds), 400 (bound object kind,
 *   missing bound object, pod of another ServiceAccount), 409 (bound object uid mismatch)
 */
export async function createTokenRequest(tokens: ServiceAccountTokens, get: ObjectGetter, namespace: string, name: string, body: KubeObject): Promise<KubeObject> {
  const spec = { ...((body as { spec?: Record<string, unknown> }).spec ?? {}) } as { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } };
  const bm = body.metadata ?? {};
  if (bm.name && bm.name !== name) throw newBadRequest(`the name of the object (${bm.name}) does not match the name on the URL (${name})`);
  if (spec.expirationSeconds === undefined || spec.expirationSeconds === null) spec.expirationSeconds = DefaultTokenExpirationSeconds;
  const errs: FieldError[] = [];
  if (typeof spec.expirationSeconds !== 'number' || !Number.isInteger(spec.expirationSeconds)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: spec.expirationSeconds, detail: 'must be an integer' });
  } else if (spec.expirationSeconds < MinTokenAgeSeconds) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: spec.expirationSeconds, detail: 'may not specify a duration less than 10 minutes' });
  } else if (spec.expirationSeconds > MaxTokenAgeSeconds) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: spec.expirationSeconds, detail: 'may not specify a duration larger than 2^32 seconds' });
  }
  if (errs.length) throw newInvalid({ group: 'authentication.k8s.io', kind: 'TokenRequest' }, '', errs);

  const sa = await get('serviceaccounts', namespace, name);
  if (!sa) throw notFound('serviceaccounts', name);
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : [...tokens.apiAudiences];

  let pod: KubeObject | undefined;
  let secret: KubeObject | undefined;
  let node: KubeObject | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    const kind = ref.kind ?? '';
    const apiVersion = ref.apiVersion ?? 'v1';
    const refName = ref.name ?? '';
    // Core group only (any version), as upstream; gvk.String() prints "/v1, Kind=X" for the core group.
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    if (group !== '' || !['Pod', 'Secret', 'Node'].includes(kind)) {
      throw newBadRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
    }
    const resource = kind === 'Pod' ? 'pods' : kind === 'Secret' ? 'secrets' : 'nodes';
    const obj = await get(resource, kind === 'Node' ? undefined : namespace, refName);
    if (!obj) throw notFound(resource, refName);
    const uid = obj.metadata?.uid ?? '';
    if (ref.uid && ref.uid !== uid) throw conflictUID(kind, refName, ref.uid, uid);
    if (kind === 'Pod') {
      pod = obj;
      const podSA = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? '';
      if (podSA !== name) throw newBadRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      // Pod-bound tokens also carry the pod's node (ServiceAccountTokenPodNodeInfo).
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      // A missing node still records its name (without uid), as upstream.
      if (nodeName) node = (await get('nodes', undefined, nodeName)) ?? ({ metadata: { name: nodeName } } as KubeObject);
    } else if (kind === 'Secret') secret = obj;
    else node = obj;
  }

  let exp = spec.expirationSeconds as number;
  let warnAfter = 0;
  if (tokens.maxExpirationSeconds > 0 && exp > tokens.maxExpirationSeconds) exp = tokens.maxExpirationSeconds;
  if (tokens.extendExpiration && pod && spec.expirationSeconds === WarnOnlyBoundTokenExpirationSeconds && tokens.isKubeAudiences(audiences)) {
    warnAfter = exp;
    exp = ExpirationExtensionSeconds;
  }
  const claims = tokens.claims(sa, audiences, exp, { pod, secret, node }, warnAfter);
  const token = tokens.generateToken(claims);
  const requested = Math.min(spec.expirationSeconds as number, tokens.maxExpirationSeconds > 0 ? tokens.maxExpirationSeconds : Infinity);
  const expirationTimestamp = new Date(claims.iat * 1000 + requested * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const outSpec: Record<string, unknown> = { audiences, expirationSeconds: requested, boundObjectRef: ref ? { ...ref, apiVersion: ref.apiVersion ?? 'v1' } : null };
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...bm, name, namespace, creationTimestamp: null } as unknown as KubeObject['metadata'],
    spec: outSpec,
    status: { token, expirationTimestamp },
  } as KubeObject;
}
