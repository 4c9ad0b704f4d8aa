/**
 * ClusterIP allocator over an IPv4 service CIDR, after upstream
 * pkg/registry/core/service/ipallocator (bitmap Range: the network and broadcast addresses are
 * never handed out; requests outside the range get ErrNotInRange; taken ones ErrAllocated; a
 * full range ErrFull), persisted at `/registry/ranges/serviceips` as upstream does.
 */
import type { Backend } from '../../../storage/backend.ts';
import { AllocatedError, PersistedBitmap, calculateRangeOffset } from './range-allocation.ts';

/** Storage key of the ClusterIP bitmap (upstream's RangeAllocation key). */
export const SERVICE_IPS_KEY = '/registry/ranges/serviceips';

/** `ipallocator.ErrAllocated`. */
export const ErrAllocatedIP = 'provided IP is already allocated';

/** Errors of {@link IPAllocator}: `message` is upstream's wording. */
export class IPAllocatorError extends Error {
  constructor(
    message: string,
    readonly reason: 'NotInRange' | 'Allocated' | 'Full' | 'Invalid',
  ) {
    super(message);
  }
}

/** A parsed IPv4 CIDR: `base` is the network address as an unsigned 32-bit number. */
export interface IPv4CIDR {
  base: number;
  bits: number;
  /** Normalised text (`10.96.0.0/16`). */
  text: string;
}

/** Parses dotted-quad IPv4 text to an unsigned number; undefined when malformed. */
export function parseIPv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
}

/** Formats an unsigned 32-bit number as dotted-quad text. */
export function formatIPv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n` (IPv4 only); host bits are masked off. Throws Error on malformed text or a prefix > 30. */
export function parseCIDR(cidr: string): IPv4CIDR {
  const i = cidr.indexOf('/');
  const ip = i < 0 ? undefined : parseIPv4(cidr.slice(0, i));
  const bits = i < 0 ? NaN : Number(cidr.slice(i + 1));
  if (ip === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)} (want IPv4 a.b.c.d/n with 8 <= n <= 30)`);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const base = (ip & mask) >>> 0;
  return { base, bits, text: `${formatIPv4(base)}/${bits}` };
}

/** The first usable address of a CIDR (upstream `GetIndexedIP(cidr, 1)`): the `kubernetes` Service's ClusterIP. */
export function firstIP(cidr: string): string {
  return formatIPv4(parseCIDR(cidr).base + 1);
}

/**
 * Allocates ClusterIPs from one IPv4 CIDR. Offsets in the bitmap are `ip - network - 1`, so
 * `size = 2^(32-bits) - 2` (no network, no broadcast address).
 */
export class IPAllocator {
  readonly cidr: IPv4CIDR;
  readonly size: number;
  private readonly bitmap: PersistedBitmap;

  /**
   * @param backend the store holding the bitmap
   * @param cidr the service CIDR text (`10.96.0.0/16`); throws Error when malformed
   * @param key storage key (default {@link SERVICE_IPS_KEY})
   */
  constructor(backend: Backend, cidr: string, key = SERVICE_IPS_KEY) {
    this.cidr = parseCIDR(cidr);
    this.size = 2 ** (32 - this.cidr.bits) - 2;
    this.bitmap = new PersistedBitmap(backend, key, this.cidr.text, this.size, calculateRangeOffset(this.size, 16, 256, 16));
  }

  /** The bitmap offset of `ip`, or throws NotInRange (`the provided IP (…) is not in the valid range. The range of valid IPs is …`). */
  private offsetOf(ip: string): number {
    const n = parseIPv4(ip);
    if (n === undefined) throw new IPAllocatorError(`failed to parse IP ${ip}`, 'Invalid');
    const off = n - this.cidr.base - 1;
    if (off < 0 || off >= this.size) {
      throw new IPAllocatorError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`, 'NotInRange');
    }
    return off;
  }

  /** Whether `ip` lies in the allocatable part of the range. */
  contains(ip: string): boolean {
    try {
      this.offsetOf(ip);
      return true;
    } catch {
      return false;
    }
  }

  /** Reserves `ip`. Throws IPAllocatorError NotInRange / Allocated (`provided IP is already allocated`). dryRun: check only. */
  async allocate(ip: string, dryRun = false): Promise<void> {
    const off = this.offsetOf(ip);
    try {
      await this.bitmap.allocate(off, dryRun);
    } catch (err) {
      if (err instanceof AllocatedError) throw new IPAllocatorError(ErrAllocatedIP, 'Allocated');
      throw err;
    }
  }

  /** Allocates any free IP (dynamic band first). Throws IPAllocatorError Full (`range is full`). dryRun: picks without reserving. */
  async allocateNext(dryRun = false): Promise<string> {
    try {
      const off = await this.bitmap.allocateNext(dryRun);
      return formatIPv4(this.cidr.base + 1 + off);
    } catch (err) {
      if (err instanceof Error && err.message === 'range is full') throw new IPAllocatorError('range is full', 'Full');
      throw err;
    }
  }

  /** Frees `ip`; IPs outside the range are ignored (upstream Release returns nil for them). */
  async release(ip: string): Promise<void> {
    if (!this.contains(ip)) return;
    await this.bitmap.release(this.offsetOf(ip));
  }

  /** Whether `ip` is allocated (false outside the range). */
  async has(ip: string): Promise<boolean> {
    if (!this.contains(ip)) return false;
    return this.bitmap.has(this.offsetOf(ip));
  }

  /** Every allocated IP. */
  async allocated(): Promise<string[]> {
    return (await this.bitmap.allocatedOffsets()).map((o) => formatIPv4(this.cidr.base + 1 + o));
  }

  /** Number of allocated IPs. */
  used(): Promise<number> {
    return this.bitmap.used();
  }

  /** Makes exactly `ips` (those in range) allocated; the repair step at start-up. */
  async replaceAll(ips: Iterable<string>): Promise<void> {
    const offs: number[] = [];
    for (const ip of ips) if (this.contains(ip)) offs.push(this.offsetOf(ip));
    await this.bitmap.replaceAll(offs);
  }
}
