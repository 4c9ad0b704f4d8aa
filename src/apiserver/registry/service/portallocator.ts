/**
 * NodePort allocator, after upstream pkg/registry/core/service/portallocator (bitmap over the
 * `--service-node-port-range`, default 30000-32767; ErrNotInRange / ErrAllocated / ErrFull),
 * persisted at `/registry/ranges/servicenodeports` as upstream does.
 */
import type { Backend } from '../../../storage/backend.ts';
import { AllocatedError, PersistedBitmap, calculateRangeOffset } from './range-allocation.ts';

/** Storage key of the NodePort bitmap (upstream's RangeAllocation key). */
export const SERVICE_NODE_PORTS_KEY = '/registry/ranges/servicenodeports';

/** Upstream's default `--service-node-port-range`. */
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

/** `portallocator.ErrAllocated`. */
export const ErrAllocatedPort = 'provided port is already allocated';

/** Errors of {@link PortAllocator}; `message` is upstream's wording. */
export class PortAllocatorError extends Error {
  constructor(
    message: string,
    readonly reason: 'NotInRange' | 'Allocated' | 'Full',
  ) {
    super(message);
  }
}

/** Parses `base-max` (or a single port) into `{base, size}`; throws Error when malformed. */
export function parsePortRange(text: string): { base: number; size: number; text: string } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`invalid port range ${JSON.stringify(text)}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) throw new Error(`invalid port range ${JSON.stringify(text)}`);
  return { base: lo, size: hi - lo + 1, text: `${lo}-${hi}` };
}

/** Allocates NodePorts from one port range. */
export class PortAllocator {
  readonly base: number;
  readonly size: number;
  readonly rangeText: string;
  private readonly bitmap: PersistedBitmap;

  /**
   * @param backend the store holding the bitmap
   * @param range `30000-32767` (default {@link DEFAULT_NODE_PORT_RANGE}); throws Error when malformed
   * @param key storage key (default {@link SERVICE_NODE_PORTS_KEY})
   */
  constructor(backend: Backend, range = DEFAULT_NODE_PORT_RANGE, key = SERVICE_NODE_PORTS_KEY) {
    const r = parsePortRange(range);
    this.base = r.base;
    this.size = r.size;
    this.rangeText = r.text;
    this.bitmap = new PersistedBitmap(backend, key, r.text, r.size, calculateRangeOffset(r.size, 16, 128, 32));
  }

  /** Whether `port` is inside the range. */
  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  /** Reserves `port`. Throws PortAllocatorError NotInRange / Allocated. dryRun: check only. */
  async allocate(port: number, dryRun = false): Promise<void> {
    if (!this.contains(port)) {
      throw new PortAllocatorError(`provided port is not in the valid range. The range of valid ports is ${this.rangeText}`, 'NotInRange');
    }
    try {
      await this.bitmap.allocate(port - this.base, dryRun);
    } catch (err) {
      if (err instanceof AllocatedError) throw new PortAllocatorError(ErrAllocatedPort, 'Allocated');
      throw err;
    }
  }

  /** Allocates any free port. Throws PortAllocatorError Full (`range is full`). dryRun: picks without reserving. */
  async allocateNext(dryRun = false): Promise<number> {
    try {
      return this.base + (await this.bitmap.allocateNext(dryRun));
    } catch (err) {
      if (err instanceof Error && err.message === 'range is full') throw new PortAllocatorError('range is full', 'Full');
      throw err;
    }
  }

  /** Frees `port` (ignored outside the range). */
  async release(port: number): Promise<void> {
    if (!this.contains(port)) return;
    await this.bitmap.release(port - this.base);
  }

  /** Whether `port` is allocated. */
  async has(port: number): Promise<boolean> {
    return this.contains(port) && this.bitmap.has(port - this.base);
  }

  /** Every allocated port. */
  async allocated(): Promise<number[]> {
    return (await this.bitmap.allocatedOffsets()).map((o) => this.base + o);
  }

  /** Number of allocated ports. */
  used(): Promise<number> {
    return this.bitmap.used();
  }

  /** Makes exactly `ports` (those in range) allocated; the repair step at start-up. */
  async replaceAll(ports: Iterable<number>): Promise<void> {
    const offs: number[] = [];
    for (const p of ports) if (this.contains(p)) offs.push(p - this.base);
    await this.bitmap.replaceAll(offs);
  }
}
