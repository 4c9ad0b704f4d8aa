/**
 * A content-addressed blob store: `<dir>/sha256/<hex>`, as an OCI image layout's `blobs/` and
 * containerd's content store. Blobs are written to a temporary file while hashing, checked
 * against the expected digest and size, then renamed into place, so a blob path that exists is
 * always complete and verified.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from './errors.ts';
import { isSha256Digest } from './reference.ts';

/** Reads the data from a web ReadableStream, a Node Readable or any async iterable of bytes. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Blob store rooted at `dir` (e.g. `<image root>/blobs`). */
export class ContentStore {
  /** Absolute path of the store (contains `sha256/` and `ingest/`). */
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Path of a blob by digest (`sha256:<hex>`); throws DigestMismatchError for other algorithms. */
  path(digest: string): string {
    if (!isSha256Digest(digest)) throw new DigestMismatchError(`unsupported or invalid digest "${digest}"`);
    return join(this.dir, 'sha256', digest.slice(7));
  }

  /** True when the blob is present (it was verified when written). */
  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** Size in bytes of a present blob; throws ENOENT when absent. */
  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  /** Reads a whole blob (manifests, configs). */
  async read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /**
   * Writes `source` as blob `digest`, verifying sha256 and (when given) `size` in bytes. Streams to
   * `ingest/` then renames. Throws {@link DigestMismatchError} naming both digests (containerd's
   * wording "unexpected commit digest …, expected …") or sizes; the partial file is removed.
   */
  async ingest(digest: string, size: number | undefined, source: ByteSource): Promise<void> {
    const final = this.path(digest);
    const ingestDir = join(this.dir, 'ingest');
    await mkdir(ingestDir, { recursive: true });
    await mkdir(join(this.dir, 'sha256'), { recursive: true });
    const tmp = join(ingestDir, `${digest.slice(7, 19)}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let n = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        n += chunk.length;
        if (size !== undefined && n > size) {
          cb(new DigestMismatchError(`failed commit on ref "${digest}": unexpected size ${n}+, expected ${size}`));
          return;
        }
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const input = source instanceof ReadableStream ? Readable.fromWeb(source as import('node:stream/web').ReadableStream) : Readable.from(source);
    try {
      await pipeline(input, counter, createWriteStream(tmp));
      if (size !== undefined && n !== size) {
        throw new DigestMismatchError(`failed commit on ref "${digest}": unexpected size ${n}, expected ${size}`);
      }
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) {
        throw new DigestMismatchError(`failed commit on ref "${digest}": unexpected commit digest ${got}, expected ${digest}: failed precondition`);
      }
      await rename(tmp, final);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  /** Writes an in-memory blob after verifying it (see {@link ingest}). */
  async ingestBuffer(digest: string, data: Buffer): Promise<void> {
    if (await this.has(digest)) return;
    await this.ingest(digest, data.length, [data]);
  }

  /**
   * Moves (or copies, across filesystems) a file into the store after hashing it. When `digest`
   * is undefined the file's own sha256 is used. Returns the digest.
   */
  async ingestFile(file: string, digest?: string, size?: number): Promise<string> {
    const d = digest ?? (await sha256File(file));
    if (await this.has(d)) return d;
    await this.ingest(d, size, createReadStream(file));
    return d;
  }

  /** Deletes a blob; absent blobs are ignored. */
  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** All blob digests present. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, 'sha256'))).filter((f) => /^[a-f0-9]{64}$/.test(f)).map((f) => `sha256:${f}`);
    } catch {
      return [];
    }
  }
}

/** sha256 of a file's bytes as `sha256:<hex>`. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** sha256 of bytes as `sha256:<hex>`. */
export function sha256Of(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
