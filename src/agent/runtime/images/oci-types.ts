/**
 * OCI image-spec (v1.1) and Docker image manifest v2 schema 2 shapes, trimmed to the fields Skiff
 * reads, plus the media type constants (opencontainers/image-spec specs-go/v1/mediatype.go and
 * distribution's manifest/schema2, manifest/manifestlist).
 */

/** OCI image index. */
export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI image manifest. */
export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image config. */
export const MEDIA_TYPE_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** OCI layer, uncompressed tar. */
export const MEDIA_TYPE_OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
/** OCI layer, gzip-compressed tar. */
export const MEDIA_TYPE_OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** OCI layer, zstd-compressed tar (needs the `zstd` CLI on Node 20). */
export const MEDIA_TYPE_OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** OCI non-distributable layer, gzip (deprecated in image-spec 1.1, still accepted). */
export const MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
/** Docker manifest list (multi-platform). */
export const MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** Docker image manifest v2 schema 2. */
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker image config. */
export const MEDIA_TYPE_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Docker layer, gzip-compressed tar. */
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** Docker foreign (non-distributable) layer, gzip. */
export const MEDIA_TYPE_DOCKER_LAYER_FOREIGN_GZIP = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
/** Docker layer, uncompressed tar (docker-archive imports). */
export const MEDIA_TYPE_DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
/** Docker image manifest v2 schema 1 (unsupported). */
export const MEDIA_TYPE_DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
/** Signed Docker image manifest v2 schema 1 (unsupported). */
export const MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** Annotation holding the tag (or full reference) of a manifest in an OCI layout's index.json. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** containerd's / buildkit's annotation holding the full image name in exported OCI layouts. */
export const ANNOTATION_CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';

/** `Platform` of a descriptor in an index. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** `Descriptor`: digest `sha256:…`, size in bytes. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

/** Image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** Image manifest (OCI) or v2 schema 2 manifest (Docker). */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * The execution parameters of an image config (`config.config`), what the runtime needs to build a
 * container's process. `Entrypoint: [""]` is normalised to absent by the store.
 */
export interface OciImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  StopSignal?: string;
  Labels?: Record<string, string>;
  Volumes?: Record<string, object>;
}

/** An image configuration blob (OCI `Image`). */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: OciImageConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: unknown[];
}

/** True when the media type is an index / manifest list. */
export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MEDIA_TYPE_OCI_INDEX || mt === MEDIA_TYPE_DOCKER_LIST;
}

/** True when the media type is a single-platform image manifest. */
export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MEDIA_TYPE_OCI_MANIFEST || mt === MEDIA_TYPE_DOCKER_MANIFEST;
}

/** Layer compression from its media type: 'gzip' | 'zstd' | 'none'; undefined for non-layer types. */
export function layerCompression(mt: string): 'gzip' | 'zstd' | 'none' | undefined {
  switch (mt) {
    case MEDIA_TYPE_OCI_LAYER_GZIP:
    case MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP:
    case MEDIA_TYPE_DOCKER_LAYER_GZIP:
    case MEDIA_TYPE_DOCKER_LAYER_FOREIGN_GZIP:
      return 'gzip';
    case MEDIA_TYPE_OCI_LAYER_ZSTD:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      return 'zstd';
    case MEDIA_TYPE_OCI_LAYER:
    case MEDIA_TYPE_DOCKER_LAYER:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
      return 'none';
    default:
      return undefined;
  }
}

/**
 * Maps Node's `process.arch` to the OCI/Go architecture name (and ARM variant):
 * x64→amd64, arm64→arm64 (v8), arm→arm (v7), ia32→386, ppc64→ppc64le, others unchanged.
 */
export function hostPlatform(arch: string = process.arch): Platform {
  switch (arch) {
    case 'x64':
      return { os: 'linux', architecture: 'amd64' };
    case 'arm64':
      return { os: 'linux', architecture: 'arm64', variant: 'v8' };
    case 'arm':
      return { os: 'linux', architecture: 'arm', variant: 'v7' };
    case 'ia32':
      return { os: 'linux', architecture: '386' };
    case 'ppc64':
      return { os: 'linux', architecture: 'ppc64le' };
    default:
      return { os: 'linux', architecture: arch };
  }
}
