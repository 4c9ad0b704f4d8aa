/**
 * Docker image references: parsing and normalisation as Docker, containerd and the kubelet do
 * (github.com/distribution/reference: `ParseNormalizedNamed`, `ParseDockerRef`, `FamiliarString`,
 * and github.com/opencontainers/go-digest for digests).
 *
 *   busybox                         → docker.io/library/busybox:latest
 *   127.0.0.1:5000/web:1            → 127.0.0.1:5000/web:1
 *   web@sha256:<64 hex>             → docker.io/library/web@sha256:<64 hex>
 *   busybox:1@sha256:<64 hex>       → docker.io/library/busybox@sha256:<64 hex> (ParseDockerRef drops the tag)
 */
import { InvalidImageNameError } from './errors.ts';

/** Docker Hub's canonical domain in references. */
export const DEFAULT_DOMAIN = 'docker.io';
/** Docker Hub's legacy domain, normalised to {@link DEFAULT_DOMAIN}. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** The host actually serving Docker Hub's registry API. */
export const DOCKER_HUB_REGISTRY_HOST = 'registry-1.docker.io';
/** Namespace of Docker Hub's official images. */
export const OFFICIAL_REPO_PREFIX = 'library/';
/** Tag added when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** Maximum length of the repository path (without the domain), distribution's `RepositoryNameTotalLengthMax`. */
export const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference (regexp.go), rebuilt from its documented productions.
const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainNameComponent}(?:\\.${domainNameComponent})*|${ipv6Address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;
const referenceRe = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRe = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRe = new RegExp(`^${tagPat}$`);
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;

/** Hex lengths of the digest algorithms go-digest registers. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry domain as written in the reference, e.g. `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`, `web`. */
  path: string;
  /** Tag, when present (ParseDockerRef leaves it out of digested references). */
  tag?: string;
  /** Digest `algorithm:hex`, when present. */
  digest?: string;
}

/**
 * Validates a digest string as go-digest's `Digest.Validate`: `algorithm:hex`, a registered
 * algorithm (sha256/sha384/sha512) and the right number of lowercase hex characters.
 * Throws {@link InvalidImageNameError} ("invalid checksum digest format" / "unsupported digest
 * algorithm" / "invalid checksum digest length").
 */
export function validateDigest(d: string): void {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 >= d.length) throw new InvalidImageNameError('invalid checksum digest format');
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  const want = DIGEST_HEX_LENGTH[alg];
  if (want === undefined) {
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/.test(alg)) throw new InvalidImageNameError('invalid checksum digest format');
    throw new InvalidImageNameError('unsupported digest algorithm');
  }
  if (hex.length !== want) throw new InvalidImageNameError('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw new InvalidImageNameError('invalid checksum digest format');
}

/** True when `d` is a valid `sha256:<64 lowercase hex>` digest. */
export function isSha256Digest(d: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(d);
}

/**
 * Splits a familiar name into domain and remote name, as distribution's `splitDockerDomain`:
 * the first component is a domain when it is `localhost`, contains `.` or `:`, or has uppercase
 * letters; otherwise the domain is docker.io, and single-component Docker Hub names get `library/`.
 */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === 'localhost') [domain, remote] = [maybeDomain, rest];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remote] = [DEFAULT_DOMAIN, rest];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, rest];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, rest];
  else [domain, remote] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/**
 * Parses a reference the way `reference.ParseNormalizedNamed` does: familiar names get the
 * docker.io domain and `library/` prefix; tag and digest are kept as given (no default tag).
 * Throws {@link InvalidImageNameError} with distribution's messages: "invalid reference format",
 * "invalid reference format: repository name (…) must be lowercase", "repository name must not
 * be more than 255 characters", "invalid repository name (…), cannot specify 64-byte hexadecimal
 * strings", and the digest validation messages.
 */
export function parseNormalizedNamed(s: string): ImageReference {
  if (anchoredIdentifierRe.test(s)) {
    throw new InvalidImageNameError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep >= 0 ? remainder.slice(0, tagSep) : remainder.split('@')[0]!;
  if (remote.toLowerCase() !== remote) {
    throw new InvalidImageNameError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parse(`${domain}/${remainder}`);
}

/** distribution's `Parse` of an already-qualified string (domain/path[:tag][@digest]). */
function parse(s: string): ImageReference {
  if (s === '') throw new InvalidImageNameError('repository name must have at least one component');
  const m = referenceRe.exec(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRe.test(lower)) throw new InvalidImageNameError('repository name must be lowercase');
    throw new InvalidImageNameError('invalid reference format');
  }
  const nm = anchoredNameRe.exec(m[1]!);
  const domain = nm?.[1] ?? '';
  const path = nm?.[2] ?? m[1]!;
  if (path.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidImageNameError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const ref: ImageReference = { domain, path };
  if (m[2]) ref.tag = m[2];
  if (m[3]) {
    validateDigest(m[3]);
    ref.digest = m[3];
  }
  return ref;
}

/**
 * Parses and normalises as `reference.ParseDockerRef` (what containerd's CRI and the kubelet use):
 * ParseNormalizedNamed, then a reference with both tag and digest keeps only the digest, and a
 * bare name gets the `latest` tag. Throws {@link InvalidImageNameError}.
 */
export function parseDockerRef(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  if (ref.digest) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  if (!ref.tag) return { ...ref, tag: DEFAULT_TAG };
  return ref;
}

/** `domain/path`, the reference's name. */
export function referenceName(ref: ImageReference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The full string: `name[:tag][@digest]` (distribution's `String()`). */
export function referenceString(ref: ImageReference): string {
  let s = referenceName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/**
 * The short form shown by Docker UIs (distribution's `FamiliarString`): drops `docker.io/` and
 * the `library/` prefix of single-component official names.
 */
export function familiarString(ref: ImageReference): string {
  let name = referenceName(ref);
  if (ref.domain === DEFAULT_DOMAIN) {
    name = ref.path;
    if (name.startsWith(OFFICIAL_REPO_PREFIX) && !name.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
      name = name.slice(OFFICIAL_REPO_PREFIX.length);
    }
  }
  return referenceString({ ...ref, domain: '', path: name });
}

/**
 * Validates a tag on its own (distribution's `WithTag`). Throws {@link InvalidImageNameError}
 * "invalid tag format".
 */
export function validateTag(tag: string): void {
  if (!anchoredTagRe.test(tag)) throw new InvalidImageNameError('invalid tag format');
}

/**
 * If `s` names an image id rather than a reference — `sha256:<hex>` or bare 64 hex characters
 * (distribution's `ParseAnyReference` identifier rule) — returns it as `sha256:<hex>`; else undefined.
 */
export function parseImageId(s: string): string | undefined {
  if (anchoredIdentifierRe.test(s)) return `sha256:${s}`;
  if (isSha256Digest(s)) return s;
  return undefined;
}

/**
 * The host[:port] to contact for a reference's domain: Docker Hub (`docker.io`) is served by
 * `registry-1.docker.io`; other domains are contacted as written.
 */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_REGISTRY_HOST : domain;
}

/**
 * Whether Skiff talks plain HTTP to this registry host: localhost, 127.0.0.0/8 and ::1 (as Docker
 * treats them as insecure registries by default), with or without a port. Everything else: HTTPS.
 */
export function isLoopbackRegistry(hostPort: string): boolean {
  let h = hostPort;
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']'));
  else if (h.split(':').length === 2) h = h.slice(0, h.lastIndexOf(':'));
  if (h === 'localhost' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
