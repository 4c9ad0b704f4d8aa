/**
 * A bitmap of allocated offsets persisted as one RangeAllocation object in the store, after
 * upstream pkg/registry/core/service/allocator (AllocationBitmap, with the static/dynamic band
 * split of NewAllocationMapWithOffset) and allocator/storage/storage.go (Etcd: every change is a
 * compare-and-swap of `/registry/ranges/<name>`, so allocations survive restarts and two
 * apiservers over one store never hand out the same offset).
 *
 * Stored value: `{"kind":"RangeAllocation","apiVersion":"v1","metadata":{"name":…,"creationTimestamp":…},
 * "range":"10.96.0.0/16","data":"<base64 bitmap, bit i of byte i>>3 = offset i>"}`.
 */
import type { Backend } from '../../../storage/backend.ts';
import { StorageError } from '../../../storage/backend.ts';

/** `allocator.ErrFull`. */
export const ErrFull = 'range is full';

/** Thrown by {@link PersistedBitmap.allocate} when the offset is taken (mapped to each allocator's ErrAllocated). */
export class AllocatedError extends Error {}
/** Thrown when no offset is free. Message `range is full`. */
export class FullError extends Error {
  constructor() {
    super(ErrFull);
  }
}

/**
 * `calculateRangeOffset`: the size of the lower "static" band that dynamic allocation avoids
 * until the upper band is full (so users can request low addresses / ports safely).
 * size < min → 0; else clamp(size / step, min, max).
 */
export function calculateRangeOffset(size: number, min: number, max: number, step: number): number {
  if (size < min) return 0;
  const o = Math.floor(size / step);
  return Math.max(min, Math.min(max, o));
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The stored RangeAllocation shape. */
export interface RangeAllocationObject {
  kind: 'RangeAllocation';
  apiVersion: 'v1';
  metadata: { name: string; creationTimestamp: string };
  /** The range as text (`10.96.0.0/16`, `30000-32767`). */
  range: string;
  /** base64 of the bitmap. */
  data: string;
}

/**
 * A bitmap of `size` offsets stored at `key`. Operations are serialised in-process and each is
 * a read-modify-CAS-write against the backend, retried on conflicts.
 */
export class PersistedBitmap {
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * @param backend the store
   * @param key storage key, e.g. `/registry/ranges/serviceips`
   * @param range the range as text, written into the object (a stored object for another range is reset)
   * @param size number of offsets
   * @param offset size of the static band (see {@link calculateRangeOffset})
   */
  constructor(
    private readonly backend: Backend,
    readonly key: string,
    readonly range: string,
    readonly size: number,
    readonly offset: number,
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private decode(value: string | undefined): { bits: Buffer; created: string } {
    const bits = Buffer.alloc(Math.ceil(this.size / 8));
    if (!value) return { bits, created: rfc3339(Date.now()) };
    try {
      const o = JSON.parse(value) as RangeAllocationObject;
      if (o.range === this.range && typeof o.data === 'string') Buffer.from(o.data, 'base64').copy(bits, 0, 0, bits.length);
      return { bits, created: o.metadata?.creationTimestamp ?? rfc3339(Date.now()) };
    } catch {
      return { bits, created: rfc3339(Date.now()) };
    }
  }

  private encode(bits: Buffer, created: string): string {
    const name = this.key.slice(this.key.lastIndexOf('/') + 1);
    const o: RangeAllocationObject = { kind: 'RangeAllocation', apiVersion: 'v1', metadata: { name, creationTimestamp: created }, range: this.range, data: bits.toString('base64') };
    return JSON.stringify(o);
  }

  /** Reads the current bitmap (a copy). */
  async snapshot(): Promise<Buffer> {
    const kv = await this.backend.get(this.key);
    return this.decode(kv?.value).bits;
  }

  /**
   * Read-modify-write: `fn` mutates the bitmap and returns a result; `write=false` from fn's
   * result skips the write. Retries on CAS conflicts.
   */
  private update<T>(fn: (bits: Buffer) => { result: T; write: boolean }): Promise<T> {
    return this.serial(async () => {
      for (let attempt = 0; ; attempt++) {
        const kv = await this.backend.get(this.key);
        const { bits, created } = this.decode(kv?.value);
        const { result, write } = fn(bits);
        if (!write) return result;
        try {
          if (kv) await this.backend.update(this.key, this.encode(bits, created), kv.modRevision);
          else await this.backend.create(this.key, this.encode(bits, created));
          return result;
        } catch (err) {
          if (err instanceof StorageError && (err.code === 'Conflict' || err.code === 'KeyExists' || err.code === 'NotFound') && attempt < 20) continue;
          throw err;
        }
      }
    });
  }

  /** Whether `i` is allocated. */
  async has(i: number): Promise<boolean> {
    const bits = await this.snapshot();
    return isSet(bits, i);
  }

  /**
   * Marks `i` allocated. Throws {@link AllocatedError} when it already is. With `dryRun` only checks.
   */
  async allocate(i: number, dryRun = false): Promise<void> {
    await this.update((bits) => {
      if (isSet(bits, i)) throw new AllocatedError();
      if (dryRun) return { result: undefined, write: false };
      setBit(bits, i, true);
      return { result: undefined, write: true };
    });
  }

  /**
   * Allocates a free offset: a random start in the dynamic band [offset, size) scanning forward
   * (wrapping inside the band), then the static band [0, offset). Throws {@link FullError}.
   * With `dryRun` returns a free offset without marking it.
   */
  async allocateNext(dryRun = false): Promise<number> {
    return this.update((bits) => {
      const i = findFree(bits, this.size, this.offset);
      if (i < 0) throw new FullError();
      if (dryRun) return { result: i, write: false };
      setBit(bits, i, true);
      return { result: i, write: true };
    });
  }

  /** Frees `i` (no-op when free). */
  async release(i: number): Promise<void> {
    await this.update((bits) => {
      if (!isSet(bits, i)) return { result: undefined, write: false };
      setBit(bits, i, false);
      return { result: undefined, write: true };
    });
  }

  /** Replaces the whole bitmap with exactly `offsets` allocated (the repair controller's job). */
  async replaceAll(offsets: Iterable<number>): Promise<void> {
    await this.update((bits) => {
      const before = Buffer.from(bits);
      bits.fill(0);
      for (const i of offsets) if (i >= 0 && i < this.size) setBit(bits, i, true);
      return { result: undefined, write: !before.equals(bits) };
    });
  }

  /** Every allocated offset, ascending. */
  async allocatedOffsets(): Promise<number[]> {
    const bits = await this.snapshot();
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (isSet(bits, i)) out.push(i);
    return out;
  }

  /** Number of allocated offsets. */
  async used(): Promise<number> {
    const bits = await this.snapshot();
    let n = 0;
    for (let i = 0; i < this.size; i++) if (isSet(bits, i)) n++;
    return n;
  }
}

function isSet(bits: Buffer, i: number): boolean {
  return (bits[i >> 3] & (1 << (i & 7))) !== 0;
}

function setBit(bits: Buffer, i: number, on: boolean): void {
  if (on) bits[i >> 3] |= 1 << (i & 7);
  else bits[i >> 3] &= ~(1 << (i & 7));
}

function findFree(bits: Buffer, size: number, offset: number): number {
  const scan = (lo: number, hi: number): number => {
    const n = hi - lo;
    if (n <= 0) return -1;
    const start = Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const i = lo + ((start + k) % n);
      if (!isSet(bits, i)) return i;
    }
    return -1;
  };
  const hi = scan(offset, size);
  if (hi >= 0) return hi;
  return scan(0, Math.min(offset, size));
}
