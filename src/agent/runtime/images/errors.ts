/**
 * Typed errors of the image service (reference parsing, registry pulls, verification, unpacking,
 * the local store). The kubelet maps them to container waiting reasons the way upstream's
 * `pkg/kubelet/images` does: {@link InvalidImageNameError} → `InvalidImageName`, every other pull
 * failure → `ErrImagePull` (then `ImagePullBackOff` while backing off), and
 * {@link ImageNotPresentError} from `resolve` → `ErrImageNeverPull` when the pull policy is Never.
 *
 * Messages follow containerd's CRI wording where one exists (`failed to resolve reference "…": …:
 * not found`, `pull access denied, repository does not exist or may require authorization`).
 */

/** Machine-readable class of an image error. */
export type ImageErrorCode =
  | 'InvalidImageName'
  | 'NotFound'
  | 'Unauthorized'
  | 'Network'
  | 'Registry'
  | 'Verification'
  | 'Unsupported'
  | 'Unpack'
  | 'ImageNotPresent'
  | 'InvalidArchive';

/** Base class: every error thrown by `src/agent/runtime/images/` is an `ImageError`. */
export class ImageError extends Error {
  /** What went wrong, for callers that branch on it. */
  readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  /**
   * The kubelet's container waiting reason for a failed pull of this kind: `InvalidImageName` or
   * `ErrImagePull` (upstream pkg/kubelet/images/types.go).
   */
  get kubeletReason(): 'InvalidImageName' | 'ErrImagePull' | 'ErrImageNeverPull' {
    if (this.code === 'InvalidImageName') return 'InvalidImageName';
    if (this.code === 'ImageNotPresent') return 'ErrImageNeverPull';
    return 'ErrImagePull';
  }
}

/** The reference string does not follow the Docker reference grammar (distribution/reference). */
export class InvalidImageNameError extends ImageError {
  constructor(message: string) {
    super('InvalidImageName', message);
  }
}

/** The registry answered 404 (MANIFEST_UNKNOWN / NAME_UNKNOWN / BLOB_UNKNOWN), or no manifest matches the platform. */
export class ImageNotFoundError extends ImageError {
  constructor(message: string) {
    super('NotFound', message);
  }
}

/** The registry refused the credentials (401/403, token endpoint failure). */
export class UnauthorizedError extends ImageError {
  constructor(message: string) {
    super('Unauthorized', message);
  }
}

/** The registry could not be reached (connection refused, DNS, TLS, reset). */
export class RegistryUnavailableError extends ImageError {
  constructor(message: string, cause?: unknown) {
    super('Network', message, { cause });
  }
}

/** Any other unexpected registry answer (5xx, malformed JSON, oversized manifest). */
export class RegistryError extends ImageError {
  /** HTTP status, 0 when not an HTTP answer. */
  readonly status: number;
  constructor(message: string, status = 0) {
    super('Registry', message);
    this.status = status;
  }
}

/** Content did not match its digest, size or diff_id. */
export class DigestMismatchError extends ImageError {
  constructor(message: string) {
    super('Verification', message);
  }
}

/** A media type, compression or platform the store cannot handle (schema 1 manifests, zstd without the CLI, …). */
export class UnsupportedError extends ImageError {
  constructor(message: string) {
    super('Unsupported', message);
  }
}

/** A layer could not be applied (path escaping the root, extraction through a symlink, tar failure). */
export class UnpackError extends ImageError {
  constructor(message: string, cause?: unknown) {
    super('Unpack', message, { cause });
  }
}

/** The image is not in the local store (`resolve`, `imageStatus` of the runtime). */
export class ImageNotPresentError extends ImageError {
  constructor(image: string) {
    super('ImageNotPresent', `image "${image}" not present in the local store`);
  }
}

/** An import tarball is neither an OCI layout nor a docker-archive, or is inconsistent. */
export class InvalidArchiveError extends ImageError {
  constructor(message: string) {
    super('InvalidArchive', message);
  }
}
