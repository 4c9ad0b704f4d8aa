/**
 * What the runc runtime needs from the image store: an unpacked, read-only rootfs directory (the
 * overlay lowerdir) and the image config. Implemented by `images/image-store.ts` (ImageStore.resolve);
 * tests use a resolver over a rootfs built from busybox-static.
 */

/** The parts of the OCI image config (`config` object of application/vnd.oci.image.config.v1+json) the runtime uses. */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  /** `KEY=value` strings. */
  Env?: string[] | null;
  WorkingDir?: string;
  /** `uid`, `uid:gid`, `name` or `name:group`. */
  User?: string;
  /** e.g. `SIGQUIT`; default SIGTERM. */
  StopSignal?: string;
}

/** A resolved image: its id (config digest `sha256:…`), unpacked rootfs directory (never written to) and config. */
export interface ResolvedImage {
  id: string;
  rootfs: string;
  config: ImageConfig;
}

/** Resolves an image reference (as in ContainerConfig.image) to a local unpacked image. */
export interface ImageResolver {
  /** Throws when the image is not present locally (the kubelet pulls first). */
  resolve(image: string): Promise<ResolvedImage>;
}
