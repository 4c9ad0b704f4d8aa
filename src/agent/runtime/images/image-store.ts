/**
 * The node's image store: the {@link ImageService} of the runc runtime (after containerd's CRI
 * image service, `internal/cri/server/images`).
 *
 * On disk under `root`:
 * - `blobs/sha256/<hex>`: content-addressed manifests, indexes, configs and layers (verified);
 * - `index.json`: every image record (id = config digest, manifest/index digests, repoTags,
 *   repoDigests, uncompressed size, layers), written atomically (temp file + rename) and re-read
 *   when another process changed it;
 * - `rootfs/<config digest hex>/`: the image's layers applied once, used read-only by the
 *   runtime as the overlay lower directory.
 *
 * Pulls of the same reference share one in-flight promise, and unpacking of the same image id
 * happens once. A second pull of an image already present re-resolves the tag (one manifest
 * request, so `imagePullPolicy: Always` sees a moved tag) but fetches and unpacks nothing.
 * `removeImage` drops the image with all its references (as containerd's CRI) and
 * garbage-collects blobs no other image uses, and its rootfs unless the `isInUse` option reports
 * it as the lower dir of a live container (then a later `garbageCollect` removes it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import type { AuthConfig, Image, ImageService } from '../types.ts';
import { ContentStore, sha256File, sha256Of } from './content-store.ts';
import { ImageNotPresentError, InvalidArchiveError, InvalidImageNameError, UnsupportedError, DigestMismatchError } from './errors.ts';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_MANIFEST,
  isIndexMediaType,
  isManifestMediaType,
  layerCompression,
  type Descriptor,
  type ImageConfigFile,
  type ImageIndex,
  type ImageManifest,
  type OciImageConfig,
  type Platform,
} from './oci-types.ts';
import { RegistryClient, type RegistryClientOptions } from './registry-client.ts';
import { parseDockerRef, parseImageId, referenceName, referenceString, type ImageReference } from './reference.ts';
import { layerDiffId, unpackLayers, type Extractor } from './unpack.ts';

export type { OciImageConfig } from './oci-types.ts';

/** What the runtime needs to create a container from an image. */
export interface ResolvedImage {
  /** Image id, the config digest `sha256:…` (containerStatuses[].imageID is derived from it). */
  id: string;
  /** Absolute path of the unpacked root filesystem (read-only overlay lower dir). */
  rootfs: string;
  /** The image's execution parameters (`Entrypoint: [""]` normalised to absent). */
  config: OciImageConfig;
}

/** One layer of a stored image. */
export interface StoredLayer {
  digest: string;
  mediaType: string;
  /** Compressed size in bytes. */
  size: number;
  diffId: string;
}

/** A record of `index.json`. */
export interface ImageRecord {
  id: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** Digest of the index/manifest list the image was selected from, when any. */
  indexDigest?: string;
  repoTags: string[];
  repoDigests: string[];
  /** Uncompressed size in bytes (sum of the layers' tar sizes). */
  size: number;
  layers: StoredLayer[];
  /** Unix ms of the first pull/import. */
  created: number;
}

interface IndexFile {
  version: 1;
  images: Record<string, ImageRecord>;
}

/** Options of an {@link ImageStore}. */
export interface ImageStoreOptions {
  /** Platform selected from indexes (default: the host's). */
  platform?: Platform;
  /** Layer extractor (default GNU tar when present). */
  extractor?: Extractor;
  /** Passed to every {@link RegistryClient} (tests: fetch, plainHttp). */
  registry?: Omit<RegistryClientOptions, 'auth' | 'platform'>;
  /** Parallel layer downloads per pull (default 3). */
  maxConcurrentDownloads?: number;
  /**
   * Whether an image's rootfs is the lower dir of a live container (asked by the runtime's owner).
   * A removed image whose rootfs is in use keeps the directory until a later
   * {@link ImageStore.garbageCollect} finds it unused.
   */
  isInUse?: (id: string) => boolean | Promise<boolean>;
}

/** Timings of the last completed pull, in ms (for benchmarks and logs). */
export interface PullTimings {
  resolveMs: number;
  fetchMs: number;
  unpackMs: number;
  totalMs: number;
  /** True when nothing had to be fetched or unpacked. */
  cached: boolean;
}

const hex = (digest: string) => digest.slice('sha256:'.length);

/** True when a process with this pid exists (signal 0; EPERM counts as alive). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes Docker's `Entrypoint: [""]` placeholder and other empty defaults. */
function normalizeConfig(c: OciImageConfig | undefined): OciImageConfig {
  const out: OciImageConfig = { ...(c ?? {}) };
  if (out.Entrypoint && (out.Entrypoint.length === 0 || (out.Entrypoint.length === 1 && out.Entrypoint[0] === ''))) delete out.Entrypoint;
  if (out.Cmd && out.Cmd.length === 0) delete out.Cmd;
  for (const k of Object.keys(out) as (keyof OciImageConfig)[]) if (out[k] === null) delete out[k];
  return out;
}

async function runLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}

/**
 * The image store. `root` is the directory it owns (e.g. `<data dir>/images`).
 */
export class ImageStore implements ImageService {
  /** Root directory of the store. */
  readonly root: string;
  /** The blob store under `<root>/blobs`. */
  readonly content: ContentStore;
  /** Timings of the last pull (undefined before the first). */
  lastPullTimings?: PullTimings;

  private readonly opts: ImageStoreOptions;
  private index: IndexFile = { version: 1, images: {} };
  private indexStamp = '';
  private chain: Promise<unknown> = Promise.resolve();
  private readonly pulls = new Map<string, Promise<string>>();
  private readonly unpacks = new Map<string, Promise<number>>();
  private readonly anonymousClient: RegistryClient;
  private initialized?: Promise<void>;
  /** Pulls and imports in progress; blob GC waits for none to be running (their blobs are not recorded yet). */
  private activeOps = 0;

  constructor(root: string, options: ImageStoreOptions = {}) {
    this.root = root;
    this.opts = options;
    this.content = new ContentStore(join(root, 'blobs'));
    this.anonymousClient = this.client(undefined);
  }

  private client(auth: AuthConfig | undefined): RegistryClient {
    return new RegistryClient({ ...this.opts.registry, auth, platform: this.opts.platform });
  }

  private get indexPath(): string {
    return join(this.root, 'index.json');
  }

  /** Path of an image's unpacked root filesystem (whether or not it exists). */
  rootfsPath(id: string): string {
    return join(this.root, 'rootfs', hex(id));
  }

  private init(): Promise<void> {
    this.initialized ??= (async () => {
      await mkdir(join(this.root, 'rootfs'), { recursive: true });
      await mkdir(join(this.root, 'tmp'), { recursive: true });
      // Leftovers of interrupted unpacks/imports: their names carry the pid of the process that
      // made them; only dead processes' leftovers go (another process may share the root).
      const leftover = (n: string) => {
        const m = /^(?:\.tmp|import)-(\d+)-/.exec(n);
        return m !== null && !pidAlive(Number(m[1]));
      };
      for (const n of await readdir(join(this.root, 'rootfs'))) {
        if (leftover(n)) await rm(join(this.root, 'rootfs', n), { recursive: true, force: true });
      }
      for (const n of await readdir(join(this.root, 'tmp'))) {
        if (leftover(n)) await rm(join(this.root, 'tmp', n), { recursive: true, force: true });
      }
      await this.reload();
    })();
    return this.initialized;
  }

  /** Re-reads index.json when it changed on disk since the last read/write. */
  private async reload(): Promise<void> {
    let st;
    try {
      st = await stat(this.indexPath);
    } catch {
      this.index = { version: 1, images: {} };
      this.indexStamp = '';
      return;
    }
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (stamp === this.indexStamp) return;
    const parsed = JSON.parse(await readFile(this.indexPath, 'utf8')) as IndexFile;
    this.index = { version: 1, images: parsed.images ?? {} };
    this.indexStamp = stamp;
  }

  /**
   * Runs `fn` on a fresh copy of the index under the store's locks (in-process chain + the
   * `index.json.lock` file, so `skiff images import` and a running agent do not lose each other's
   * writes), then writes it atomically (temp file, fsync, rename).
   */
  private mutate<T>(fn: (idx: IndexFile) => T): Promise<T> {
    const run = () =>
      this.withFileLock(async () => {
        await this.init();
        await this.reload();
        const next = structuredClone(this.index);
        const result = fn(next);
        const tmp = `${this.indexPath}.${randomBytes(4).toString('hex')}.tmp`;
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(JSON.stringify(next, null, 1));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.indexPath);
        const st = await stat(this.indexPath);
        this.index = next;
        this.indexStamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
        return result;
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => {});
    return p;
  }

  /** Holds `<root>/index.json.lock` (O_EXCL, holder's pid inside; a dead holder's lock is broken) around `fn`. */
  private async withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.indexPath}.lock`;
    await mkdir(this.root, { recursive: true });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (pid > 0 && !pidAlive(pid)) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`image store ${this.root} is locked by pid ${pid || '?'} (${lock})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  private async records(): Promise<ImageRecord[]> {
    await this.init();
    await this.chain;
    await this.reload();
    return Object.values(this.index.images);
  }

  /**
   * Finds the record an image string names: an image id (`sha256:<hex>` or 64 hex), a tagged
   * reference (normalised as ParseDockerRef) or a digested one (matched against repoDigests and the
   * manifest/index digests). Throws InvalidImageNameError for malformed references.
   */
  private async find(image: string): Promise<ImageRecord | undefined> {
    const records = await this.records();
    const id = parseImageId(image);
    if (id) return records.find((r) => r.id === id);
    const ref = parseDockerRef(image);
    if (ref.digest) {
      const s = referenceString(ref);
      const name = referenceName(ref);
      return (
        records.find((r) => r.repoDigests.includes(s)) ??
        records.find((r) => (r.manifestDigest === ref.digest || r.indexDigest === ref.digest) && r.repoDigests.some((d) => d.startsWith(name + '@'))) ??
        records.find((r) => r.manifestDigest === ref.digest || r.indexDigest === ref.digest)
      );
    }
    const s = referenceString(ref);
    return records.find((r) => r.repoTags.includes(s));
  }

  private toImage(r: ImageRecord): Image {
    return { id: r.id, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], size: r.size };
  }

  /**
   * Pulls `image` from its registry (see {@link RegistryClient}), stores and unpacks it, and
   * records the reference. Returns the image id (config digest). Concurrent pulls of the same
   * normalised reference share one promise. Throws InvalidImageNameError, and the registry
   * client's / unpacker's typed errors (all `ImageError`, kubelet reason ErrImagePull).
   */
  async pullImage(image: string, auth?: AuthConfig): Promise<string> {
    const ref = parseDockerRef(image);
    const key = referenceString(ref);
    const existing = this.pulls.get(key);
    if (existing) return existing;
    this.activeOps++;
    const p = this.doPull(ref, auth).finally(() => {
      this.pulls.delete(key);
      this.activeOps--;
    });
    this.pulls.set(key, p);
    return p;
  }

  private async doPull(ref: ImageReference, auth: AuthConfig | undefined): Promise<string> {
    await this.init();
    const t0 = performance.now();
    const client = auth ? this.client(auth) : this.anonymousClient;
    const resolved = await client.resolve(ref);
    const t1 = performance.now();
    await this.content.ingestBuffer(resolved.digest, resolved.bytes);
    if (resolved.index) await this.content.ingestBuffer(resolved.index.digest, resolved.index.bytes);
    const manifest = resolved.manifest;
    const configBytes = await client.fetchBlobBytes(ref, manifest.config, this.content);
    const id = manifest.config.digest;
    const config = this.parseConfig(configBytes, manifest, referenceString(ref));
    let fetched = false;
    let t2 = performance.now();
    const rootfsReady = existsSync(this.rootfsPath(id)) && (await this.records()).some((r) => r.id === id);
    if (!rootfsReady) {
      const missing: Descriptor[] = [];
      for (const l of manifest.layers) if (!(await this.content.has(l.digest))) missing.push(l);
      fetched = missing.length > 0;
      await runLimited(missing, this.opts.maxConcurrentDownloads ?? 3, (l) => client.fetchBlob(ref, l, this.content));
      t2 = performance.now();
    }
    const { size, unpacked } = await this.ensureUnpacked(id, manifest, config);
    const t3 = performance.now();
    const name = referenceName(ref);
    const repoDigest = `${name}@${resolved.index?.digest ?? resolved.digest}`;
    await this.record({
      id,
      manifestDigest: resolved.digest,
      manifestMediaType: resolved.mediaType,
      indexDigest: resolved.index?.digest,
      manifest,
      config,
      size,
      tags: ref.tag ? [referenceString(ref)] : [],
      digests: [repoDigest],
    });
    this.lastPullTimings = {
      resolveMs: t1 - t0,
      fetchMs: t2 - t1,
      unpackMs: t3 - t2,
      totalMs: performance.now() - t0,
      cached: !fetched && !unpacked,
    };
    return id;
  }

  /** Parses and checks an image config against its manifest. */
  private parseConfig(bytes: Buffer, manifest: ImageManifest, what: string): ImageConfigFile {
    let config: ImageConfigFile;
    try {
      config = JSON.parse(bytes.toString('utf8')) as ImageConfigFile;
    } catch {
      throw new InvalidArchiveError(`${what}: image config is not valid JSON`);
    }
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new DigestMismatchError(`${what}: config has ${diffIds.length} diff_ids but the manifest has ${manifest.layers.length} layers`);
    }
    for (const l of manifest.layers) {
      if (!layerCompression(l.mediaType)) throw new UnsupportedError(`${what}: unsupported layer media type "${l.mediaType}"`);
    }
    return config;
  }

  /**
   * Makes sure `rootfs/<hex>` holds the applied layers; unpacks into a temp dir and renames it in,
   * once per id even with concurrent callers. Returns the uncompressed size and whether it unpacked.
   */
  private async ensureUnpacked(id: string, manifest: ImageManifest, config: ImageConfigFile): Promise<{ size: number; unpacked: boolean }> {
    const dir = this.rootfsPath(id);
    const rec = (await this.records()).find((r) => r.id === id);
    if (existsSync(dir)) {
      if (rec) return { size: rec.size, unpacked: false };
      let size = 0;
      for (let i = 0; i < manifest.layers.length; i++) {
        const l = manifest.layers[i]!;
        size += (await layerDiffId({ path: this.content.path(l.digest), compression: layerCompression(l.mediaType)! })).size;
      }
      return { size, unpacked: false };
    }
    let p = this.unpacks.get(id);
    if (!p) {
      p = (async () => {
        const tmp = join(this.root, 'rootfs', `.tmp-${process.pid}-${hex(id).slice(0, 16)}-${randomBytes(4).toString('hex')}`);
        try {
          const applied = await unpackLayers(
            tmp,
            manifest.layers.map((l, i) => ({
              path: this.content.path(l.digest),
              compression: layerCompression(l.mediaType)!,
              diffId: config.rootfs.diff_ids[i],
            })),
            this.opts.extractor,
          );
          try {
            await rename(tmp, dir);
          } catch (err) {
            // Another process (sharing the root) unpacked the same image first: keep theirs.
            const code = (err as NodeJS.ErrnoException).code;
            if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(dir)) throw err;
            await rm(tmp, { recursive: true, force: true });
          }
          return applied.reduce((n, a) => n + a.size, 0);
        } catch (err) {
          await rm(tmp, { recursive: true, force: true });
          throw err;
        }
      })().finally(() => this.unpacks.delete(id));
      this.unpacks.set(id, p);
    }
    return { size: await p, unpacked: true };
  }

  /** Adds/merges an image record; a tag moves off any other image that had it. */
  private async record(a: {
    id: string;
    manifestDigest: string;
    manifestMediaType: string;
    indexDigest?: string;
    manifest: ImageManifest;
    config: ImageConfigFile;
    size: number;
    tags: string[];
    digests: string[];
  }): Promise<ImageRecord> {
    return this.mutate((idx) => {
      for (const r of Object.values(idx.images)) {
        if (r.id === a.id) continue;
        r.repoTags = r.repoTags.filter((t) => !a.tags.includes(t));
      }
      const prev = idx.images[a.id];
      const rec: ImageRecord = {
        id: a.id,
        manifestDigest: a.manifestDigest,
        manifestMediaType: a.manifestMediaType,
        indexDigest: a.indexDigest ?? prev?.indexDigest,
        repoTags: [...new Set([...(prev?.repoTags ?? []), ...a.tags])],
        repoDigests: [...new Set([...(prev?.repoDigests ?? []), ...a.digests])],
        size: a.size,
        layers: a.manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: a.config.rootfs.diff_ids[i]! })),
        created: prev?.created ?? Date.now(),
      };
      if (!rec.indexDigest) delete rec.indexDigest;
      idx.images[a.id] = rec;
      return rec;
    });
  }

  /**
   * For the runtime: the image's id, unpacked rootfs path and config. Accepts a reference (as the
   * pod spec has it) or an image id. Re-unpacks from stored blobs if the rootfs was removed.
   * Throws {@link ImageNotPresentError} when the store has no such image, InvalidImageNameError
   * for malformed references.
   */
  async resolve(image: string): Promise<ResolvedImage> {
    const rec = await this.find(image);
    if (!rec) throw new ImageNotPresentError(image);
    const manifest = JSON.parse((await this.content.read(rec.manifestDigest)).toString('utf8')) as ImageManifest;
    const config = JSON.parse((await this.content.read(manifest.config.digest)).toString('utf8')) as ImageConfigFile;
    if (!existsSync(this.rootfsPath(rec.id))) await this.ensureUnpacked(rec.id, manifest, config);
    return { id: rec.id, rootfs: this.rootfsPath(rec.id), config: normalizeConfig(config.config) };
  }

  /** The image's status, or undefined when absent. Throws InvalidImageNameError for malformed references. */
  async imageStatus(image: string): Promise<Image | undefined> {
    const rec = await this.find(image);
    return rec ? this.toImage(rec) : undefined;
  }

  /** Every stored image (including untagged ones). */
  async listImages(): Promise<Image[]> {
    return (await this.records()).map((r) => this.toImage(r)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Removes the image `image` names (by reference or id) with all its tags and digests (as
   * containerd's CRI RemoveImage), then runs {@link garbageCollect}: its rootfs goes unless
   * `isInUse` reports it in use, and blobs no remaining image references go. Idempotent: an absent
   * image is not an error.
   */
  async removeImage(image: string): Promise<void> {
    const rec = await this.find(image);
    if (rec) {
      const id = rec.id;
      await this.mutate((idx) => {
        delete idx.images[id];
      });
    }
    await this.garbageCollect();
  }

  /**
   * Removes rootfs directories of images no longer recorded (unless `isInUse` says a container
   * still uses them) and blobs no recorded image references. Skipped while a pull or import runs
   * (its blobs are not recorded yet).
   */
  async garbageCollect(): Promise<void> {
    await this.init();
    if (this.activeOps > 0) return;
    const records = await this.records();
    const ids = new Set(records.map((r) => r.id));
    for (const n of await readdir(join(this.root, 'rootfs'))) {
      if (!/^[a-f0-9]{64}$/.test(n) || ids.has(`sha256:${n}`)) continue;
      if (this.opts.isInUse && (await this.opts.isInUse(`sha256:${n}`))) continue;
      if (this.activeOps > 0) return;
      await rm(join(this.root, 'rootfs', n), { recursive: true, force: true });
    }
    const keep = new Set<string>();
    for (const r of records) {
      keep.add(r.id).add(r.manifestDigest);
      if (r.indexDigest) keep.add(r.indexDigest);
      for (const l of r.layers) keep.add(l.digest);
    }
    for (const d of await this.content.list()) {
      if (this.activeOps > 0) return;
      if (!keep.has(d)) await this.content.delete(d);
    }
  }

  /**
   * Imports an OCI image layout tarball (`oci-layout` + `index.json` + `blobs/`, e.g. from
   * `skopeo copy … oci-archive:` or `scripts/build-image.sh`) or a docker-archive (`manifest.json`
   * + config + layer tars, `docker save`), gzip-compressed or not. Names come from the
   * `io.containerd.image.name` annotation, else `org.opencontainers.image.ref.name` when it is a
   * full reference (a bare tag gives an untagged image), and `RepoTags` for docker-archives.
   * Every blob is verified. Returns the imported images. Throws InvalidArchiveError,
   * DigestMismatchError, UnpackError.
   */
  async importImage(tarPath: string): Promise<Image[]> {
    await this.init();
    const dir = await mkdtemp(join(this.root, 'tmp', `import-${process.pid}-`));
    this.activeOps++;
    try {
      try {
        await tar.x({ file: tarPath, cwd: dir, preserveOwner: false, strict: true });
      } catch (err) {
        throw new InvalidArchiveError(`cannot read archive ${tarPath}: ${(err as Error).message}`);
      }
      let ids: string[];
      if (existsSync(join(dir, 'index.json'))) ids = await this.importOciLayout(dir, tarPath);
      else if (existsSync(join(dir, 'manifest.json'))) ids = await this.importDockerArchive(dir, tarPath);
      else throw new InvalidArchiveError(`${tarPath}: neither an OCI layout (index.json) nor a docker-archive (manifest.json)`);
      const records = await this.records();
      return [...new Set(ids)].map((id) => this.toImage(records.find((r) => r.id === id)!));
    } finally {
      this.activeOps--;
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async layoutBlob(dir: string, digest: string, size: number | undefined, what: string): Promise<void> {
    if (await this.content.has(digest)) return;
    const [alg, h] = digest.split(':');
    const file = join(dir, 'blobs', alg!, h!);
    if (!existsSync(file)) throw new InvalidArchiveError(`${what}: blob ${digest} missing from the archive`);
    await this.content.ingestFile(file, digest, size);
  }

  private async importOciLayout(dir: string, tarPath: string): Promise<string[]> {
    let index: ImageIndex;
    try {
      index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
    } catch {
      throw new InvalidArchiveError(`${tarPath}: index.json is not valid JSON`);
    }
    const ids: string[] = [];
    for (const top of index.manifests ?? []) {
      const ann = top.annotations ?? {};
      let names: string[] = [];
      const full = ann[ANNOTATION_CONTAINERD_IMAGE_NAME] ?? (ann[ANNOTATION_REF_NAME] && /[/:]/.test(ann[ANNOTATION_REF_NAME]) ? ann[ANNOTATION_REF_NAME] : undefined);
      if (full) {
        try {
          names = [referenceString(parseDockerRef(full))];
        } catch (err) {
          if (!(err instanceof InvalidImageNameError)) throw err;
        }
      }
      await this.layoutBlob(dir, top.digest, top.size, tarPath);
      let desc = top;
      let indexDigest: string | undefined;
      let mediaType = top.mediaType;
      let bytes = await this.content.read(desc.digest);
      for (let depth = 0; isIndexMediaType(mediaType) || (!mediaType && JSON.parse(bytes.toString()).manifests); depth++) {
        if (depth > 2) throw new InvalidArchiveError(`${tarPath}: too many nested indexes`);
        indexDigest ??= desc.digest;
        const sub = JSON.parse(bytes.toString('utf8')) as ImageIndex;
        desc = this.anonymousClient.selectPlatform(sub.manifests ?? [], names[0] ?? tarPath);
        await this.layoutBlob(dir, desc.digest, desc.size, tarPath);
        mediaType = desc.mediaType;
        bytes = await this.content.read(desc.digest);
      }
      const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
      mediaType = mediaType || manifest.mediaType || MEDIA_TYPE_OCI_MANIFEST;
      if (!isManifestMediaType(mediaType)) throw new UnsupportedError(`${tarPath}: unsupported manifest media type "${mediaType}"`);
      await this.layoutBlob(dir, manifest.config.digest, manifest.config.size, tarPath);
      for (const l of manifest.layers) await this.layoutBlob(dir, l.digest, l.size, tarPath);
      const config = this.parseConfig(await this.content.read(manifest.config.digest), manifest, tarPath);
      const id = manifest.config.digest;
      const { size } = await this.ensureUnpacked(id, manifest, config);
      const topDigest = indexDigest ?? desc.digest;
      await this.record({
        id,
        manifestDigest: desc.digest,
        manifestMediaType: mediaType,
        indexDigest,
        manifest,
        config,
        size,
        tags: names,
        digests: names.map((n) => `${referenceName(parseDockerRef(n))}@${topDigest}`),
      });
      ids.push(id);
    }
    return ids;
  }

  private async importDockerArchive(dir: string, tarPath: string): Promise<string[]> {
    type Entry = { Config: string; RepoTags?: string[] | null; Layers: string[] };
    let entries: Entry[];
    try {
      entries = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Entry[];
    } catch {
      throw new InvalidArchiveError(`${tarPath}: manifest.json is not valid JSON`);
    }
    const inside = (p: string) => {
      const abs = join(dir, p);
      if (!abs.startsWith(dir + '/')) throw new InvalidArchiveError(`${tarPath}: path "${p}" escapes the archive`);
      if (!existsSync(abs)) throw new InvalidArchiveError(`${tarPath}: "${p}" listed in manifest.json is missing`);
      return abs;
    };
    const ids: string[] = [];
    for (const e of entries) {
      const configPath = inside(e.Config);
      const configBytes = await readFile(configPath);
      const id = sha256Of(configBytes);
      await this.content.ingestBuffer(id, configBytes);
      const layers: Descriptor[] = [];
      for (const lp of e.Layers ?? []) {
        const abs = inside(lp);
        const fh = await open(abs, 'r');
        const magic = Buffer.alloc(2);
        await fh.read(magic, 0, 2, 0);
        await fh.close();
        const gz = magic[0] === 0x1f && magic[1] === 0x8b;
        const size = (await stat(abs)).size;
        const digest = await sha256File(abs);
        await this.content.ingestFile(abs, digest, size);
        layers.push({ mediaType: gz ? MEDIA_TYPE_DOCKER_LAYER_GZIP : MEDIA_TYPE_DOCKER_LAYER, digest, size });
      }
      // A docker-archive has no manifest: synthesise an OCI one so the record is uniform.
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPE_OCI_MANIFEST,
        config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: id, size: configBytes.length },
        layers: layers.map((l) => ({ ...l, mediaType: l.mediaType === MEDIA_TYPE_DOCKER_LAYER ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip' })),
      };
      const manifestBytes = Buffer.from(JSON.stringify(manifest));
      const manifestDigest = sha256Of(manifestBytes);
      await this.content.ingestBuffer(manifestDigest, manifestBytes);
      const config = this.parseConfig(configBytes, manifest, tarPath);
      const { size } = await this.ensureUnpacked(id, manifest, config);
      const tags: string[] = [];
      for (const t of e.RepoTags ?? []) tags.push(referenceString(parseDockerRef(t)));
      await this.record({ id, manifestDigest, manifestMediaType: MEDIA_TYPE_OCI_MANIFEST, manifest, config, size, tags, digests: [] });
      ids.push(id);
    }
    return ids;
  }
}
