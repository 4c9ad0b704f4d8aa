/**
 * A pull-only client for the OCI distribution API (distribution-spec v1.1 "pull" and Docker's
 * token authentication spec), over Node's global `fetch`.
 *
 * - Manifests: `GET /v2/<name>/manifests/<tag|digest>` with an Accept header listing the OCI index
 *   and manifest and Docker's manifest list and v2 schema 2. An index/list is resolved to the
 *   manifest of the wanted platform (default: the host's, from `process.arch`). The body's sha256
 *   must equal the `Docker-Content-Digest` header, the digest in the reference (by-digest pulls)
 *   and the index descriptor's digest and size (child manifests).
 * - Blobs: `GET /v2/<name>/blobs/<digest>` (following the 307 redirects registries send to their
 *   storage), streamed into a {@link ContentStore} that verifies sha256 and size.
 * - Auth: on `401` with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` a token is fetched
 *   from the realm (with basic credentials when given; OAuth2 refresh-token POST for identity
 *   tokens) and the request retried with `Authorization: Bearer`; `Basic` challenges are answered
 *   with basic credentials. Tokens are cached per registry host and scope.
 * - Transport: plain HTTP for registries on localhost/127.0.0.0/8/::1 (as Docker's default
 *   insecure registries), HTTPS otherwise.
 *
 * Failures are typed ({@link ImageNotFoundError}, {@link UnauthorizedError},
 * {@link RegistryUnavailableError}, {@link DigestMismatchError}, {@link RegistryError},
 * {@link UnsupportedError}), which the kubelet reports as `ErrImagePull`.
 */
import { createHash } from 'node:crypto';
import type { AuthConfig } from '../types.ts';
import type { ContentStore } from './content-store.ts';
import {
  DigestMismatchError,
  ImageError,
  ImageNotFoundError,
  RegistryError,
  RegistryUnavailableError,
  UnauthorizedError,
  UnsupportedError,
} from './errors.ts';
import {
  MEDIA_TYPE_DOCKER_LIST,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_SCHEMA1,
  MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  hostPlatform,
  isIndexMediaType,
  isManifestMediaType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './oci-types.ts';
import { isLoopbackRegistry, referenceString, registryHost, type ImageReference } from './reference.ts';

/** Accept header for manifest requests (preference order as containerd's resolver). */
export const MANIFEST_ACCEPT = [MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST].join(', ');

/** Largest manifest or index accepted, in bytes (4 MiB, as containerd's limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Options of a {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Credentials (from imagePullSecrets) used for basic auth and token requests. */
  auth?: AuthConfig;
  /** Platform to select from indexes; default {@link hostPlatform}(). */
  platform?: Platform;
  /** Decides plain HTTP per registry host[:port]; default {@link isLoopbackRegistry}. */
  plainHttp?: (hostPort: string) => boolean;
  /** fetch implementation (tests); default the global fetch. */
  fetch?: typeof fetch;
  /** Timeout of manifest and token requests in ms (default 30000). */
  requestTimeoutMs?: number;
  /** A blob download fails when no byte arrives for this long, in ms (default 60000); its total time is not limited. */
  blobIdleTimeoutMs?: number;
  /** User-Agent header. */
  userAgent?: string;
}

/** A manifest resolved for one platform. */
export interface ResolvedManifest {
  /** Digest of the single-platform manifest (`sha256:…`). */
  digest: string;
  mediaType: string;
  /** Exact manifest bytes (their sha256 is `digest`). */
  bytes: Buffer;
  manifest: ImageManifest;
  /** Set when the reference pointed at an index/list: its digest, media type and bytes. */
  index?: { digest: string; mediaType: string; bytes: Buffer };
}

/** A parsed `WWW-Authenticate` challenge. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header value into its first challenge: scheme plus
 * `key="quoted"` / `key=token` parameters (RFC 7235). Returns undefined for an empty header.
 */
export function parseWWWAuthenticate(header: string | null | undefined): AuthChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!)) !== null) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

/** `username:password` from an AuthConfig (`auth` is base64 of that), or undefined. */
function basicCredentials(auth: AuthConfig | undefined): string | undefined {
  if (!auth) return undefined;
  if (auth.username !== undefined && auth.password !== undefined && (auth.username || auth.password)) {
    return `${auth.username}:${auth.password}`;
  }
  if (auth.auth) {
    const s = Buffer.from(auth.auth, 'base64').toString('utf8');
    if (s.includes(':')) return s;
  }
  return undefined;
}

/** Registry error body `{"errors":[{"code","message"}]}` rendered as `code: message`, or ''. */
async function errorDetail(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return [e.code?.toLowerCase(), e.message].filter(Boolean).join(': ');
    return '';
  } catch {
    return '';
  }
}

/** Reads a response body up to `limit` bytes; throws RegistryError beyond it. */
async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > limit) throw new RegistryError(`${what}: body of ${len} bytes exceeds the limit of ${limit}`, res.status);
  const chunks: Buffer[] = [];
  let n = 0;
  if (res.body) {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      n += c.length;
      if (n > limit) throw new RegistryError(`${what}: body exceeds the limit of ${limit} bytes`, res.status);
      chunks.push(Buffer.from(c));
    }
  }
  return Buffer.concat(chunks);
}

function describeCause(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const c = e?.cause;
  if (c?.message) return c.message;
  if (c?.code) return c.code;
  return e?.message ?? String(err);
}

/**
 * Pull client for one set of credentials. Safe to share between concurrent pulls; caches bearer
 * tokens per `host|scope`.
 */
export class RegistryClient {
  private readonly opts: RegistryClientOptions;
  private readonly fetchFn: typeof fetch;
  private readonly platform: Platform;
  private readonly tokens = new Map<string, string>();
  /** Per host: 'basic' once a registry asked for basic auth. */
  private readonly basicHosts = new Set<string>();

  constructor(opts: RegistryClientOptions = {}) {
    this.opts = opts;
    this.fetchFn = opts.fetch ?? fetch;
    this.platform = opts.platform ?? hostPlatform();
  }

  /** `http(s)://host` for a reference's registry. */
  baseUrl(ref: ImageReference): string {
    const host = registryHost(ref.domain);
    const plain = (this.opts.plainHttp ?? isLoopbackRegistry)(host);
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  /**
   * Resolves `ref` (tag or digest) to the manifest for the client's platform, verifying digests.
   * Throws ImageNotFoundError (unknown manifest / no platform match), UnauthorizedError,
   * RegistryUnavailableError, DigestMismatchError, UnsupportedError (schema 1, unknown media type),
   * RegistryError.
   */
  async resolve(ref: ImageReference): Promise<ResolvedManifest> {
    const refStr = referenceString(ref);
    const wrap = (err: unknown): never => {
      if (err instanceof ImageError) err.message = `failed to resolve reference "${refStr}": ${err.message}`;
      throw err;
    };
    try {
      const first = await this.fetchManifest(ref, ref.digest ?? ref.tag ?? 'latest', ref.digest, undefined);
      if (isManifestMediaType(first.mediaType)) return { ...first, manifest: first.body as ImageManifest };
      // An index: pick the platform's manifest (at most one nested index level, as containerd).
      let index = first;
      for (let depth = 0; depth < 2; depth++) {
        const desc = this.selectPlatform((index.body as ImageIndex).manifests ?? [], refStr);
        const child = await this.fetchManifest(ref, desc.digest, desc.digest, desc.size);
        if (isManifestMediaType(child.mediaType)) {
          return {
            digest: child.digest,
            mediaType: child.mediaType,
            bytes: child.bytes,
            manifest: child.body as ImageManifest,
            index: { digest: first.digest, mediaType: first.mediaType, bytes: first.bytes },
          };
        }
        index = child;
      }
      throw new UnsupportedError(`too many nested indexes`);
    } catch (err) {
      return wrap(err);
    }
  }

  /**
   * Chooses the descriptor for the client's platform from an index (exact os/architecture;
   * a variant when both sides name one). Attestation manifests (`unknown/unknown`) never match.
   * Throws ImageNotFoundError "no match for platform in manifest: not found".
   */
  selectPlatform(manifests: Descriptor[], refStr = ''): Descriptor {
    const want = this.platform;
    const candidates = manifests.filter(
      (d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture,
    );
    const exact = candidates.find((d) => want.variant && d.platform!.variant === want.variant);
    const loose = candidates.find((d) => !d.platform!.variant || !want.variant);
    const pick = exact ?? loose ?? (want.architecture === 'arm64' ? candidates[0] : undefined);
    if (!pick) {
      const p = `${want.os}/${want.architecture}${want.variant ? '/' + want.variant : ''}`;
      throw new ImageNotFoundError(`no match for platform in manifest${refStr ? ' of ' + refStr : ''} (want ${p}): not found`);
    }
    return pick;
  }

  /** GETs one manifest or index and verifies its digest. */
  private async fetchManifest(
    ref: ImageReference,
    tagOrDigest: string,
    expectDigest: string | undefined,
    expectSize: number | undefined,
  ): Promise<{ digest: string; mediaType: string; bytes: Buffer; body: ImageManifest | ImageIndex }> {
    const url = `${this.baseUrl(ref)}/v2/${ref.path}/manifests/${tagOrDigest}`;
    const res = await this.request(ref, url, { Accept: MANIFEST_ACCEPT }, true);
    if (res.status === 404) {
      const detail = await errorDetail(res);
      const name = `${ref.domain}/${ref.path}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`;
      throw new ImageNotFoundError(`${name}: not found${detail ? ` (${detail})` : ''}`);
    }
    if (!res.ok) throw await this.unexpected(res, 'manifest');
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, 'manifest');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const header = res.headers.get('docker-content-digest');
    if (header && header.startsWith('sha256:') && header !== digest) {
      throw new DigestMismatchError(`manifest digest mismatch: Docker-Content-Digest ${header}, content ${digest}`);
    }
    if (expectDigest && expectDigest.startsWith('sha256:') && expectDigest !== digest) {
      throw new DigestMismatchError(`manifest digest mismatch: expected ${expectDigest}, content ${digest}`);
    }
    if (expectSize !== undefined && expectSize !== bytes.length) {
      throw new DigestMismatchError(`manifest size mismatch: expected ${expectSize} bytes, got ${bytes.length}`);
    }
    let body: ImageManifest & ImageIndex & { mediaType?: string };
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new RegistryError(`manifest is not valid JSON`);
    }
    const headerType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    let mediaType = body.mediaType || headerType;
    if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType)) {
      // OCI allows omitting mediaType: infer from the shape.
      if (Array.isArray(body.manifests)) mediaType = MEDIA_TYPE_OCI_INDEX;
      else if (body.config && Array.isArray(body.layers)) mediaType = MEDIA_TYPE_OCI_MANIFEST;
    }
    if (mediaType === MEDIA_TYPE_DOCKER_SCHEMA1 || mediaType === MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED || body.schemaVersion === 1) {
      throw new UnsupportedError(`Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported`);
    }
    if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType)) {
      throw new UnsupportedError(`unsupported manifest media type "${mediaType}"`);
    }
    return { digest, mediaType, bytes, body };
  }

  /**
   * Streams blob `desc` of repository `ref` into `content` (verified by digest and size). A blob
   * already present is not fetched. Throws ImageNotFoundError (404), DigestMismatchError,
   * UnauthorizedError, RegistryUnavailableError, RegistryError.
   */
  async fetchBlob(ref: ImageReference, desc: Descriptor, content: ContentStore): Promise<void> {
    if (await content.has(desc.digest)) return;
    const url = `${this.baseUrl(ref)}/v2/${ref.path}/blobs/${desc.digest}`;
    const idleMs = this.opts.blobIdleTimeoutMs ?? 60000;
    const ac = new AbortController();
    const stalled = new RegistryUnavailableError(`failed to fetch blob ${desc.digest}: no data received for ${idleMs / 1000}s`);
    const timer = setTimeout(() => ac.abort(stalled), idleMs);
    try {
      // identity: a layer is already compressed; fetch must not transparently decode it (digest check).
      const res = await this.request(ref, url, { 'Accept-Encoding': 'identity' }, false, ac.signal);
      if (res.status === 404) {
        const detail = await errorDetail(res);
        throw new ImageNotFoundError(`failed to fetch blob ${desc.digest} of ${ref.domain}/${ref.path}: not found${detail ? ` (${detail})` : ''}`);
      }
      if (!res.ok) throw await this.unexpected(res, `blob ${desc.digest}`);
      if (!res.body) throw new RegistryError(`blob ${desc.digest}: empty body`, res.status);
      const body = res.body as unknown as AsyncIterable<Uint8Array>;
      async function* watched(): AsyncGenerator<Uint8Array> {
        for await (const chunk of body) {
          timer.refresh();
          yield chunk;
        }
      }
      try {
        await content.ingest(desc.digest, desc.size, watched());
      } catch (err) {
        if (err instanceof DigestMismatchError) throw err;
        if (ac.signal.aborted) throw stalled;
        throw new RegistryUnavailableError(`failed to fetch blob ${desc.digest}: ${describeCause(err)}`, err);
      }
    } catch (err) {
      if (ac.signal.aborted && !(err instanceof DigestMismatchError)) throw stalled;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fetches a small blob (config) into memory, verified; also stores it in `content`. */
  async fetchBlobBytes(ref: ImageReference, desc: Descriptor, content: ContentStore): Promise<Buffer> {
    await this.fetchBlob(ref, desc, content);
    return content.read(desc.digest);
  }

  private async unexpected(res: Response, what: string): Promise<Error> {
    const detail = await errorDetail(res);
    if (res.status === 401 || res.status === 403) {
      return new UnauthorizedError(
        `pull access denied, repository does not exist or may require authorization${detail ? `: server message: ${detail}` : ''}`,
      );
    }
    return new RegistryError(`unexpected status from GET request for ${what}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ''}`, res.status);
  }

  /** One GET with auth handling: cached token → request → on 401 answer the challenge once and retry. */
  private async request(ref: ImageReference, url: string, headers: Record<string, string>, timed: boolean, signal?: AbortSignal): Promise<Response> {
    const host = registryHost(ref.domain);
    const scope = `repository:${ref.path}:pull`;
    const h: Record<string, string> = { ...headers };
    if (this.opts.userAgent) h['User-Agent'] = this.opts.userAgent;
    const auth = this.authorizationFor(host, scope);
    if (auth) h.Authorization = auth;
    let res = await this.doFetch(url, h, timed, signal);
    if (res.status !== 401) return res;
    const challenge = parseWWWAuthenticate(res.headers.get('www-authenticate'));
    const detail = await errorDetail(res);
    const denied = () =>
      new UnauthorizedError(`pull access denied, repository does not exist or may require authorization${detail ? `: server message: ${detail}` : ''}`);
    if (challenge?.scheme === 'bearer') {
      const token = await this.fetchToken(host, challenge, scope);
      this.tokens.set(`${host}|${scope}`, token);
      h.Authorization = `Bearer ${token}`;
    } else if (challenge?.scheme === 'basic') {
      const creds = basicCredentials(this.opts.auth);
      if (!creds || this.basicHosts.has(host)) throw denied();
      this.basicHosts.add(host);
      h.Authorization = `Basic ${Buffer.from(creds).toString('base64')}`;
    } else {
      throw denied();
    }
    res = await this.doFetch(url, h, timed, signal);
    if (res.status === 401) {
      await res.body?.cancel().catch(() => {});
      throw denied();
    }
    return res;
  }

  private authorizationFor(host: string, scope: string): string | undefined {
    const t = this.tokens.get(`${host}|${scope}`);
    if (t) return `Bearer ${t}`;
    if (this.basicHosts.has(host)) {
      const creds = basicCredentials(this.opts.auth);
      if (creds) return `Basic ${Buffer.from(creds).toString('base64')}`;
    }
    return undefined;
  }

  /**
   * Gets a bearer token for `scope` from the challenge's realm (Docker token auth spec): a
   * pre-issued `registryToken` is used as is; an `identityToken` is exchanged by an OAuth2
   * refresh-token POST; otherwise GET realm?service=&scope= with basic credentials if any.
   * Throws UnauthorizedError when the token server refuses, RegistryUnavailableError when unreachable.
   */
  private async fetchToken(host: string, challenge: AuthChallenge, defaultScope: string): Promise<string> {
    const auth = this.opts.auth;
    if (auth?.registryToken) return auth.registryToken;
    const realm = challenge.params.realm;
    if (!realm) throw new UnauthorizedError(`failed to authorize: bearer challenge from ${host} has no realm`);
    const service = challenge.params.service;
    const scope = challenge.params.scope || defaultScope;
    let res: Response;
    try {
      if (auth?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identityToken, client_id: 'skiff', scope });
        if (service) form.set('service', service);
        res = await this.fetchFn(realm, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30000),
        });
      } else {
        const u = new URL(realm);
        if (service) u.searchParams.set('service', service);
        for (const s of scope.split(' ')) u.searchParams.append('scope', s);
        const headers: Record<string, string> = {};
        const creds = basicCredentials(auth);
        if (creds) headers.Authorization = `Basic ${Buffer.from(creds).toString('base64')}`;
        res = await this.fetchFn(u, { headers, signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30000) });
      }
    } catch (err) {
      throw new RegistryUnavailableError(`failed to fetch token from ${realm}: ${describeCause(err)}`, err);
    }
    const kind = basicCredentials(auth) || auth?.identityToken ? 'oauth' : 'anonymous';
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new UnauthorizedError(`failed to authorize: failed to fetch ${kind} token: unexpected status: ${res.status} ${res.statusText}`);
    }
    let body: { token?: string; access_token?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new UnauthorizedError(`failed to authorize: token response from ${realm} is not JSON`);
    }
    const token = body.token || body.access_token;
    if (!token) throw new UnauthorizedError(`failed to authorize: token response from ${realm} has no token`);
    return token;
  }

  private async doFetch(url: string, headers: Record<string, string>, timed: boolean, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.fetchFn(url, {
        headers,
        redirect: 'follow',
        signal: signal ?? (timed ? AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30000) : undefined),
      });
    } catch (err) {
      throw new RegistryUnavailableError(`failed to do request: GET "${url}": ${describeCause(err)}`, err);
    }
  }
}
