/**
 * Image pulling per `imagePullPolicy`, after pkg/kubelet/images/image_manager.go (EnsureImageExists)
 * with its events and back-off:
 * - policy unset → `Always` for `:latest` or untagged references, else `IfNotPresent`;
 * - `Never` and absent → ErrImageNeverPull (`Container image "x" is not present with pull policy of Never`);
 * - present and not `Always` → event Pulled `Container image "x" already present on machine`;
 * - otherwise: while backing off → ImagePullBackOff (event BackOff `Back-off pulling image "x"`);
 *   else event Pulling `Pulling image "x"`, then Pulled `Successfully pulled image "x" in 1.2s
 *   (1.2s including waiting). Image size: N bytes.` or Failed `Failed to pull image "x": <err>` →
 *   ErrImagePull and the back-off advances (10 s doubling to 300 s, per image and pod).
 * Credentials come from the pod's `imagePullSecrets` (kubernetes.io/dockerconfigjson or dockercfg):
 * every entry matching the image's registry is tried in order, then an anonymous pull
 * (pkg/credentialprovider keyring semantics, simplified to host matching).
 */
import type { Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { parseNormalizedNamed } from '../runtime/images/reference.ts';
import type { AuthConfig, ImageService } from '../runtime/types.ts';
import { Backoff, formatGoDuration } from './backoff.ts';
import { Reasons, type KubeletEventRecorder } from './events.ts';

/** A failed EnsureImageExists: `reason` is the container's waiting reason. */
export class ImagePullError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName',
    message: string,
  ) {
    super(message);
  }
}

/** Default pull policy for an image reference (SetDefaults_Container). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const noDigest = !image.includes('@');
  const lastSlash = image.lastIndexOf('/');
  const tagPart = image.slice(lastSlash + 1);
  const colon = tagPart.indexOf(':');
  const tag = colon >= 0 ? tagPart.slice(colon + 1) : '';
  if (noDigest && (tag === '' || tag === 'latest')) return 'Always';
  return 'IfNotPresent';
}

/** Ensures images exist before containers are created. */
export class ImageManager {
  readonly backoff: Backoff;

  constructor(
    private readonly images: ImageService,
    private readonly recorder: KubeletEventRecorder,
    backoff?: { initialMs: number; maxMs: number },
    private readonly now: () => number = Date.now,
    /** For imagePullSecrets; without it pulls are anonymous. */
    private readonly client?: Client,
  ) {
    this.backoff = new Backoff(backoff?.initialMs ?? 10_000, backoff?.maxMs ?? 300_000, now);
  }

  /**
   * Returns the image id (`sha256:…`) once present.
   * @param fieldPath container field path for events
   * @throws ImagePullError
   */
  async ensureImageExists(pod: Pod, c: Container, fieldPath: string): Promise<string> {
    const image = c.image ?? '';
    if (!image) throw new ImagePullError('InvalidImageName', `Failed to apply default image tag "": couldn't parse image name "": invalid reference format`);
    const policy = c.imagePullPolicy ?? defaultPullPolicy(image);
    const present = await this.images.imageStatus(image).catch(() => undefined);
    if (present && policy !== 'Always') {
      this.recorder.eventf(pod, fieldPath, 'Normal', Reasons.PulledImage, `Container image "${image}" already present on machine`);
      return present.id;
    }
    if (!present && policy === 'Never') {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.recorder.eventf(pod, fieldPath, 'Warning', Reasons.ErrImageNeverPull, msg);
      throw new ImagePullError('ErrImageNeverPull', msg);
    }
    const key = `${pod.metadata!.uid}/${image}`;
    const failedAt = this.lastFailure.get(key);
    if (failedAt !== undefined && this.backoff.isInBackOffSince(key, failedAt)) {
      const msg = `Back-off pulling image "${image}"`;
      this.recorder.eventf(pod, fieldPath, 'Normal', Reasons.BackOffPullImage, msg);
      throw new ImagePullError('ImagePullBackOff', msg);
    }
    this.recorder.eventf(pod, fieldPath, 'Normal', Reasons.PullingImage, `Pulling image "${image}"`);
    const start = this.now();
    try {
      const id = await this.pullWithSecrets(pod, image);
      const took = formatGoDuration(this.now() - start);
      const size = (await this.images.imageStatus(image).catch(() => undefined))?.size ?? 0;
      this.recorder.eventf(pod, fieldPath, 'Normal', Reasons.PulledImage, `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
      this.lastFailure.delete(key);
      this.backoff.reset(key);
      return id;
    } catch (e) {
      const err = (e as Error).message;
      this.recorder.eventf(pod, fieldPath, 'Warning', Reasons.FailedToPullImage, `Failed to pull image "${image}": ${err}`);
      const at = this.now();
      this.backoff.next(key, at);
      this.lastFailure.set(key, at);
      throw new ImagePullError('ErrImagePull', err);
    }
  }

  /** Pulls with each matching credential from the pod's imagePullSecrets, then anonymously. */
  private async pullWithSecrets(pod: Pod, image: string): Promise<string> {
    const creds = this.client ? await pullSecretsFor(this.client, pod, image) : [];
    let lastErr: unknown;
    for (const auth of creds) {
      try {
        return await this.images.pullImage(image, auth);
      } catch (e) {
        lastErr = e;
      }
    }
    if (!creds.length) return this.images.pullImage(image);
    throw lastErr;
  }

  /** Ms until the pull back-off of `image` for pod `uid` ends (0 = none). */
  backoffRemaining(uid: string, image: string): number {
    const key = `${uid}/${image}`;
    const at = this.lastFailure.get(key);
    return at === undefined ? 0 : this.backoff.remaining(key, at);
  }

  /** Forgets a pod's pull back-offs. */
  forgetPod(uid: string): void {
    this.backoff.resetPrefix(`${uid}/`);
    for (const k of this.lastFailure.keys()) if (k.startsWith(`${uid}/`)) this.lastFailure.delete(k);
  }

  private readonly lastFailure = new Map<string, number>();
}

/** Registry host of an image reference as credential keys name it (`docker.io` → also `index.docker.io`). */
export function registryOf(image: string): string {
  try {
    return parseNormalizedNamed(image).domain;
  } catch {
    const first = image.split('/')[0];
    return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
  }
}

function keyHost(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  k = k.split('/')[0];
  return k === 'index.docker.io' || k === 'registry-1.docker.io' ? 'docker.io' : k;
}

/**
 * Credentials for `image` from the pod's imagePullSecrets, in secret order. Entries of
 * `.dockerconfigjson` (`{auths:{host:{username,password,auth}}}`) and legacy `.dockercfg`
 * (`{host:{...}}`) whose host equals the image's registry. Missing secrets are skipped.
 */
export async function pullSecretsFor(client: Client, pod: Pod, image: string): Promise<AuthConfig[]> {
  const host = registryOf(image);
  const out: AuthConfig[] = [];
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    if (!ref.name) continue;
    const secret = (await client.get(GVR.secrets, pod.metadata!.namespace!, ref.name).catch(() => undefined)) as Secret | undefined;
    if (!secret?.data) continue;
    let entries: Record<string, { username?: string; password?: string; auth?: string; identitytoken?: string; registrytoken?: string }> = {};
    try {
      if (secret.data['.dockerconfigjson']) entries = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString()).auths ?? {};
      else if (secret.data['.dockercfg']) entries = JSON.parse(Buffer.from(secret.data['.dockercfg'], 'base64').toString());
    } catch {
      continue;
    }
    for (const [key, e] of Object.entries(entries)) {
      if (keyHost(key) !== host) continue;
      let { username, password } = e;
      if (!username && e.auth) {
        const dec = Buffer.from(e.auth, 'base64').toString();
        const i = dec.indexOf(':');
        if (i > 0) {
          username = dec.slice(0, i);
          password = dec.slice(i + 1);
        }
      }
      out.push({ username, password, auth: e.auth, identityToken: e.identitytoken, registryToken: e.registrytoken });
    }
  }
  return out;
}
