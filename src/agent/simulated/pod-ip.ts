/**
 * Fake pod IP allocation for simulated nodes (kwok's pkg/kwok/controllers/utils.go ipPool: addresses
 * come from the node's `spec.podCIDR`, nothing is configured on the host). Addresses are handed out
 * from the top of the range downwards, so a pool that shares its CIDR with a real node (whose
 * host-local IPAM allocates upwards from the gateway) rarely meets it.
 */

function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`invalid IPv4 address ${ip}`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n` into its network address (as uint32) and prefix length. Throws on malformed input. */
export function parseCIDR(cidr: string): { base: number; bits: number } {
  const m = /^([\d.]+)\/(\d+)$/.exec(cidr);
  if (!m || Number(m[2]) > 32) throw new Error(`invalid CIDR ${cidr}`);
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]!) & mask) >>> 0, bits };
}

/**
 * Pod CIDRs for `count` simulated nodes inside `clusterCIDR`: node i gets /24 number i+1 (the first
 * /24 belongs to the server's own node, see server.ts nodePodCIDR) while the range has room;
 * otherwise (e.g. a /24 cluster CIDR) the node shares the whole cluster CIDR, whose pool is then
 * shared by every such node. Returns one CIDR string per node. Throws on a malformed CIDR.
 */
export function simulatedPodCIDRs(clusterCIDR: string, count: number): string[] {
  const { base, bits } = parseCIDR(clusterCIDR);
  const blocks = bits >= 24 ? 1 : 2 ** (24 - bits);
  return Array.from({ length: count }, (_, i) => (i + 1 < blocks ? `${intToIp((base + (i + 1) * 256) >>> 0)}/24` : clusterCIDR));
}

/** A pool of pod addresses in one CIDR. */
export class PodIPAllocator {
  private readonly used = new Set<number>();
  private readonly first: number;
  private readonly last: number;
  private next: number;

  /** `cidr`: IPv4 `a.b.c.d/n` with n ≤ 30. Throws on a malformed or too small CIDR. */
  constructor(readonly cidr: string) {
    const { base, bits } = parseCIDR(cidr);
    if (bits > 30) throw new Error(`pod CIDR ${cidr} is too small`);
    // Skip the network address, the gateway (.1) and the broadcast address.
    this.first = base + 2;
    this.last = base + 2 ** (32 - bits) - 2;
    this.next = this.last;
  }

  /** Allocates a free address (highest first, wrapping). Throws when the pool is exhausted. */
  allocate(): string {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.next;
      this.next = n <= this.first ? this.last : n - 1;
      if (!this.used.has(n)) {
        this.used.add(n);
        return intToIp(n);
      }
    }
    throw new Error(`no free pod IP in ${this.cidr}`);
  }

  /** Records an address as in use (pods found at start-up). Addresses outside the pool are ignored. */
  markUsed(ip: string): void {
    const n = ipToInt(ip);
    if (n >= this.first && n <= this.last) this.used.add(n);
  }

  /** Returns an address to the pool. */
  release(ip: string): void {
    this.used.delete(ipToInt(ip));
  }

  /** Number of addresses in use. */
  get size(): number {
    return this.used.size;
  }
}
