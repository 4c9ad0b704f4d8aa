/**
 * Stale UDP conntrack entries, after kube-proxy's pkg/proxy/conntrack/cleanup.go
 * (CleanStaleEntries, Kubernetes 1.31+ reconciliation).
 *
 * UDP has no connection teardown: once a flow to a Service was DNATed to an endpoint, the kernel
 * keeps sending that flow's packets to the same endpoint for as long as packets keep coming, even
 * after the endpoint is gone. After each rules sync the proxy therefore lists the UDP entries and
 * deletes, with the `conntrack` tool:
 * - entries whose original destination is a Service frontend `IP:port` (ClusterIP, externalIPs,
 *   LoadBalancer ingress IPs) of a UDP service port that has serving endpoints, and whose reply
 *   source is not one of those endpoints (`conntrack -D -p udp --orig-dst <svcIP> --orig-port-dst
 *   <port> --reply-src <old endpoint>`): flows to a dead endpoint, and flows recorded while the
 *   Service had no endpoint (not DNATed, reply source = the Service IP itself);
 * - the same for NodePorts (`--orig-port-dst <nodePort> --reply-src <ip>`), but only when the stale
 *   reply source is inside this node's pod CIDR (Skiff's departure: several Skiff servers on one
 *   host share the NodePort number space, so a NodePort alone does not prove an entry is ours).
 * Services without serving endpoints are left alone, as upstream. Only entries of Skiff's own
 * Service addresses are ever deleted; nothing is flushed wholesale.
 */
import { run } from '../exec.ts';
import type { ProxyEndpointSlice, ProxyService } from './rules.ts';

/** One UDP conntrack entry: original destination IP/port and the reply direction's source IP. */
export interface ConntrackEntry {
  origDst: string;
  origDport: number;
  replySrc: string;
}

/** Runs the `conntrack` tool; replaceable in tests. */
export interface ConntrackExec {
  /** `conntrack -L -p udp` stdout. @throws Error when the tool is missing or fails */
  listUDP(): Promise<string>;
  /** `conntrack -D -p udp <filter…>`; resolves with the number of entries deleted (0 when none matched). */
  delete(filter: string[]): Promise<number>;
}

/** The host implementation (the Debian `conntrack` package, installed by scripts/setup-host.sh). */
export const hostConntrack: ConntrackExec = {
  async listUDP(): Promise<string> {
    const r = await run('conntrack', ['-L', '-p', 'udp'], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`conntrack -L: ${r.stderr.trim()}`);
    return r.stdout;
  },
  async delete(filter: string[]): Promise<number> {
    const r = await run('conntrack', ['-D', '-p', 'udp', ...filter], { timeoutMs: 30_000 });
    // Exit status 1 with "0 flow entries have been deleted" is not an error.
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
    if (m) return Number(m[1]);
    if (r.code !== 0) throw new Error(`conntrack -D ${filter.join(' ')}: ${r.stderr.trim()}`);
    return 0;
  },
};

/**
 * Parses `conntrack -L -p udp` lines (`udp 17 29 src=A dst=B sport=1 dport=2 [UNREPLIED] src=C dst=D
 * sport=3 dport=4 mark=0 use=1`): the first dst/dport are the original direction, the second src
 * is the reply source. Non-UDP and malformed lines are skipped.
 */
export function parseConntrackList(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    if (!/^(ipv4\s+2\s+)?udp\s/.test(line)) continue;
    const srcs = [...line.matchAll(/\bsrc=(\S+)/g)].map((m) => m[1]!);
    const dst = /\bdst=(\S+)/.exec(line)?.[1];
    const dport = /\bdport=(\d+)/.exec(line)?.[1];
    if (srcs.length < 2 || !dst || !dport) continue;
    out.push({ origDst: dst, origDport: Number(dport), replySrc: srcs[1]! });
  }
  return out;
}

/** The desired state: serving endpoint IPs per UDP frontend `ip:port` and per UDP NodePort. */
export interface UDPServiceState {
  frontends: Map<string, Set<string>>;
  nodePorts: Map<number, Set<string>>;
}

/**
 * Serving endpoint IPs of every UDP service port, keyed by its frontends (upstream builds the same
 * maps from its ServicePortMap/EndpointsMap). An endpoint serves unless `conditions.serving` (or,
 * when unset, `ready`) is false. Ports without serving endpoints are omitted.
 */
export function udpServiceState(services: ProxyService[], slices: ProxyEndpointSlice[]): UDPServiceState {
  const frontends = new Map<string, Set<string>>();
  const nodePorts = new Map<number, Set<string>>();
  const bySvc = new Map<string, ProxyEndpointSlice[]>();
  for (const s of slices) {
    const name = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!name || (s.addressType && s.addressType !== 'IPv4')) continue;
    const key = `${s.metadata?.namespace}/${name}`;
    bySvc.set(key, [...(bySvc.get(key) ?? []), s]);
  }
  for (const svc of services) {
    const sp = svc.spec;
    const clusterIP = sp?.clusterIP;
    for (const port of sp?.ports ?? []) {
      if ((port.protocol ?? 'TCP') !== 'UDP') continue;
      const ips = new Set<string>();
      for (const s of bySvc.get(`${svc.metadata?.namespace}/${svc.metadata?.name}`) ?? []) {
        if (!(s.ports ?? []).some((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === 'UDP')) continue;
        for (const ep of s.endpoints ?? []) {
          const c = ep.conditions ?? {};
          const serving = c.serving ?? c.ready ?? true;
          if (serving !== false) for (const a of ep.addresses) ips.add(a);
        }
      }
      if (!ips.size) continue;
      const vips = [clusterIP, ...(sp?.externalIPs ?? []), ...(svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)];
      for (const ip of vips) if (ip && ip !== 'None' && !ip.includes(':')) frontends.set(`${ip}:${port.port}`, ips);
      if (port.nodePort) nodePorts.set(port.nodePort, ips);
    }
  }
  return { frontends, nodePorts };
}

/**
 * The `conntrack -D` filters (arguments after `-D -p udp`) that remove the stale entries among
 * `entries` for `state`, deduplicated. `inPodCIDR` decides whether a NodePort entry's reply source
 * is one of this node's pods (see the module comment).
 */
export function staleEntryFilters(entries: ConntrackEntry[], state: UDPServiceState, inPodCIDR: (ip: string) => boolean): string[][] {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    const eps = state.frontends.get(`${e.origDst}:${e.origDport}`);
    if (eps && !eps.has(e.replySrc)) {
      const f = ['--orig-dst', e.origDst, '--orig-port-dst', String(e.origDport), '--reply-src', e.replySrc];
      out.set(f.join(' '), f);
    }
    const np = state.nodePorts.get(e.origDport);
    if (np && !np.has(e.replySrc) && inPodCIDR(e.replySrc)) {
      const f = ['--orig-port-dst', String(e.origDport), '--reply-src', e.replySrc];
      out.set(f.join(' '), f);
    }
  }
  return [...out.values()];
}

/** `ip` inside IPv4 `cidr` (`a.b.c.d/n`); false for malformed input. */
export function ipv4InCIDR(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const toInt = (s: string) => {
    const p = s.split('.').map(Number);
    return p.length === 4 && p.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0 : undefined;
  };
  const a = toInt(ip);
  const b = toInt(base ?? '');
  if (a === undefined || b === undefined || !(n >= 0 && n <= 32)) return false;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return (a & mask) === (b & mask);
}

/**
 * CleanStaleEntries: lists UDP conntrack entries and deletes the stale ones for the given Services
 * and EndpointSlices. Skips the listing when no UDP service port has serving endpoints.
 * @returns number of entries deleted
 * @throws Error when `conntrack` is missing or fails to list
 */
export async function cleanStaleEntries(
  exec: ConntrackExec,
  services: ProxyService[],
  slices: ProxyEndpointSlice[],
  podCIDR: string | undefined,
): Promise<number> {
  const state = udpServiceState(services, slices);
  if (!state.frontends.size && !state.nodePorts.size) return 0;
  const entries = parseConntrackList(await exec.listUDP());
  let n = 0;
  for (const f of staleEntryFilters(entries, state, (ip) => !!podCIDR && ipv4InCIDR(ip, podCIDR))) n += await exec.delete(f);
  return n;
}
