/**
 * kube-proxy's iptables rule generator, as a pure function (after kubernetes
 * pkg/proxy/iptables/proxier.go syncProxyRules/writeServiceToEndpointRules, pkg/proxy/servicechangetracker.go,
 * pkg/proxy/endpointschangetracker.go and pkg/proxy/topology.go CategorizeEndpoints).
 *
 * Input: Services and EndpointSlices (the informers' objects) plus the node's configuration.
 * Output: the `iptables-restore` text for the nat and filter tables with every chain Skiff owns
 * (`<PREFIX>-SERVICES`, `-NODEPORTS`, `-POSTROUTING`, `-MARK-MASQ`, per service port `-SVC-`/`-EXT-`/`-SVL-`,
 * per endpoint `-SEP-`), which the proxier writes with ONE `iptables-restore --noflush` per sync.
 * Jump rules from the built-in chains are listed separately ({@link jumpRules}); they are inserted
 * once at start and removed at stop.
 *
 * Chain naming: `<PREFIX>-SVC-<hash>` where hash = base32(sha256(servicePortName + protocol))[:16]
 * and `<PREFIX>-SEP-<hash>` with hash = base32(sha256(servicePortName + protocol + "ip:port"))[:16]
 * (protocol lower-case, so `ns1/svc1:p80` tcp → SVC-XPGD46QRK7WJZT7O exactly as upstream), as upstream's
 * servicePortChainName / servicePortEndpointChainName; the hash is shortened when a long prefix would
 * push a name over iptables' 28-character limit.
 */
import { createHash } from 'node:crypto';

/** iptables chain names are at most 28 characters (XT_EXTENSION_MAXNAMELEN 29 minus the NUL). */
export const MAX_CHAIN_NAME = 28;

/** A Service as the proxy reads it (the fields of core/v1 Service it uses). */
export interface ProxyService {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    ports?: { name?: string; port: number; protocol?: string; nodePort?: number; targetPort?: number | string }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

/** A discovery.k8s.io/v1 EndpointSlice as the proxy reads it. */
export interface ProxyEndpointSlice {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
    nodeName?: string;
  }[];
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

/** Node-level configuration of the generator. */
export interface RuleConfig {
  /** Upper-case chain prefix, e.g. `SKIFF` (chains `SKIFF-SERVICES`, …). */
  chainPrefix: string;
  /** Lower-case word for rule comments, e.g. `skiff` ("skiff service portals"). */
  commentPrefix: string;
  /** This node's name: endpoints with this `nodeName` are local (externalTrafficPolicy Local). */
  nodeName: string;
  /** Pod CIDR of the cluster/node: traffic from outside it to a ClusterIP is masqueraded (upstream's LocalTrafficDetector). */
  clusterCIDR?: string;
  /** Masquerade everything sent to a ClusterIP (upstream --masquerade-all). */
  masqueradeAll?: boolean;
  /** Bit of the fwmark that asks for SNAT (upstream --iptables-masquerade-bit, default 14 → 0x4000). */
  masqueradeBit?: number;
  /**
   * Destination CIDRs on which NodePorts answer (upstream --nodeport-addresses). Empty/undefined:
   * every local address (`-m addrtype --dst-type LOCAL`), as upstream's default.
   */
  nodePortAddresses?: string[];
}

/** One endpoint of a service port after slice merging (upstream endpointInfo). */
export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  isLocal: boolean;
}

/** One service port (upstream servicePortInfo). `name` is `ns/svc:port` (`ns/svc` when the port is unnamed). */
export interface ServicePortInfo {
  name: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: string;
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** ClientIP affinity timeout in seconds, 0 = no affinity. */
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
}

/** The generator's result. */
export interface GeneratedRules {
  /** `iptables-restore` input for both tables (`*nat … COMMIT`, `*filter … COMMIT`). */
  restore: string;
  /** Chains written, per table (for stale-chain removal on the next sync). */
  natChains: string[];
  filterChains: string[];
  /** Number of `-A` rules in the full ruleset (both tables). */
  ruleCount: number;
  /** Number of `-A` rules actually in `restore` (fewer than ruleCount on a partial sync). */
  rulesWritten: number;
  /** Rules of every per-service nat chain (SVC/SVL/EXT/SEP), joined by newlines: pass back as `previous`. */
  chainContent: Map<string, string>;
  /** Number of service ports programmed. */
  servicePorts: number;
  /** True when at least one NodePort rule was written (the proxier then enables route_localnet). */
  hasNodePorts: boolean;
}

/** The fixed chain names for a prefix. */
export function chainNames(prefix: string) {
  return {
    services: `${prefix}-SERVICES`,
    externalServices: `${prefix}-EXTERNAL-SERVICES`,
    nodePorts: `${prefix}-NODEPORTS`,
    postrouting: `${prefix}-POSTROUTING`,
    markMasq: `${prefix}-MARK-MASQ`,
    forward: `${prefix}-FORWARD`,
    firewall: `${prefix}-FIREWALL`,
  };
}

/** A jump from a built-in chain to one of ours: `-A <chain> <rule>` in `table`. */
export interface JumpRule {
  table: 'nat' | 'filter';
  chain: string;
  /** Rule text after `-A <chain> `, in iptables-save's canonical form. */
  rule: string;
}

/**
 * The jump rules from built-in chains into Skiff's chains (upstream iptablesJumpChains): nat
 * PREROUTING/OUTPUT → SERVICES ("<c> service portals"), nat POSTROUTING → POSTROUTING, filter
 * INPUT/FORWARD → EXTERNAL-SERVICES (NEW), FORWARD/OUTPUT → SERVICES (NEW), FORWARD → FORWARD,
 * INPUT → FIREWALL. Rule text is what `iptables-save` prints, so presence can be checked by string.
 */
export function jumpRules(cfg: Pick<RuleConfig, 'chainPrefix' | 'commentPrefix'>): JumpRule[] {
  const n = chainNames(cfg.chainPrefix);
  const c = cfg.commentPrefix;
  const neu = '-m conntrack --ctstate NEW ';
  return [
    { table: 'nat', chain: 'PREROUTING', rule: `-m comment --comment "${c} service portals" -j ${n.services}` },
    { table: 'nat', chain: 'OUTPUT', rule: `-m comment --comment "${c} service portals" -j ${n.services}` },
    { table: 'nat', chain: 'POSTROUTING', rule: `-m comment --comment "${c} postrouting rules" -j ${n.postrouting}` },
    { table: 'filter', chain: 'INPUT', rule: `${neu}-m comment --comment "${c} externally-visible service portals" -j ${n.externalServices}` },
    { table: 'filter', chain: 'INPUT', rule: `-m comment --comment "${c} localnet firewall" -j ${n.firewall}` },
    { table: 'filter', chain: 'FORWARD', rule: `-m comment --comment "${c} forwarding rules" -j ${n.forward}` },
    { table: 'filter', chain: 'FORWARD', rule: `${neu}-m comment --comment "${c} service portals" -j ${n.services}` },
    { table: 'filter', chain: 'FORWARD', rule: `${neu}-m comment --comment "${c} externally-visible service portals" -j ${n.externalServices}` },
    { table: 'filter', chain: 'OUTPUT', rule: `${neu}-m comment --comment "${c} service portals" -j ${n.services}` },
  ];
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (standard alphabet, no padding needed for our prefix use). */
export function base32(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** First `len` (≤16) base32 chars of sha256(s): upstream's portProtoHash / servicePortEndpointChainName hash. */
export function chainHash(s: string, len = 16): string {
  let h = hashCache.get(s);
  if (h === undefined) {
    h = base32(createHash('sha256').update(s).digest()).slice(0, 16);
    if (hashCache.size >= 200_000) hashCache.clear();
    hashCache.set(s, h);
  }
  return h.slice(0, Math.min(16, len));
}

/** Memo of chainHash (upstream caches chain names per servicePortInfo/endpointInfo); bounded. */
const hashCache = new Map<string, string>();

function hashLen(prefix: string, kind: string): number {
  return MAX_CHAIN_NAME - `${prefix}-${kind}-`.length;
}

/** `<prefix>-SVC-<hash>` for a service port (`kind` SVC, EXT, SVL share the hash, as upstream). */
export function servicePortChainName(prefix: string, kind: 'SVC' | 'EXT' | 'SVL', servicePortName: string, protocol: string): string {
  return `${prefix}-${kind}-${chainHash(servicePortName + protocol.toLowerCase(), hashLen(prefix, kind))}`;
}

/** `<prefix>-SEP-<hash>` for one endpoint (`ip:port`) of a service port. */
export function servicePortEndpointChainName(prefix: string, servicePortName: string, protocol: string, endpoint: string): string {
  return `${prefix}-SEP-${chainHash(servicePortName + protocol.toLowerCase() + endpoint, hashLen(prefix, 'SEP'))}`;
}

const isIPv4 = (s: string | undefined): s is string => !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

/**
 * Service ports the proxy programs (upstream newBaseServiceInfo + ServiceChangeTracker filters):
 * skips headless (`clusterIP: None`), ExternalName and services without an IPv4 ClusterIP.
 */
export function servicePorts(svc: ProxyService): ServicePortInfo[] {
  const spec = svc.spec ?? {};
  const ns = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name ?? '';
  if (spec.type === 'ExternalName') return [];
  const clusterIP = spec.clusterIP;
  if (!isIPv4(clusterIP)) return [];
  const sticky = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0;
  const externalPolicyLocal =
    (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.externalIPs?.length ?? 0) > 0) && spec.externalTrafficPolicy === 'Local';
  return (spec.ports ?? []).map((p) => ({
    name: p.name ? `${ns}/${name}:${p.name}` : `${ns}/${name}`,
    namespace: ns,
    service: name,
    portName: p.name ?? '',
    protocol: (p.protocol ?? 'TCP').toUpperCase(),
    clusterIP,
    port: p.port,
    nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
    externalIPs: (spec.externalIPs ?? []).filter(isIPv4),
    loadBalancerIPs: spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(isIPv4) : [],
    stickyMaxAgeSeconds: sticky,
    externalPolicyLocal,
    internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
  }));
}

/**
 * Endpoints of one service port from all slices of the service (upstream endpointsChangeTracker +
 * EndpointSliceCache.endpointInfoByServicePort): slice ports are matched by port name and protocol;
 * conditions default as upstream reads them (ready nil → true, serving nil → ready, terminating nil → false);
 * duplicates (same ip:port in two slices) are merged, the first seen wins.
 */
export function endpointsFor(sp: ServicePortInfo, slices: ProxyEndpointSlice[], nodeName: string): EndpointInfo[] {
  const seen = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    if (slice.addressType && slice.addressType !== 'IPv4') continue;
    for (const port of slice.ports ?? []) {
      if ((port.name ?? '') !== sp.portName) continue;
      if ((port.protocol ?? 'TCP').toUpperCase() !== sp.protocol) continue;
      if (port.port == null) continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!isIPv4(ip)) continue;
        const key = `${ip}:${port.port}`;
        if (seen.has(key)) continue;
        const ready = ep.conditions?.ready ?? true;
        seen.set(key, {
          ip,
          port: port.port,
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
          isLocal: !!ep.nodeName && ep.nodeName === nodeName,
        });
      }
    }
  }
  return [...seen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : ipNum(a.ip) - ipNum(b.ip)));
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/**
 * Upstream CategorizeEndpoints (without topology hints): cluster endpoints are the ready ones, or,
 * when none is ready, the serving-and-terminating ones; local endpoints the same among `isLocal`.
 */
export function categorizeEndpoints(sp: ServicePortInfo, eps: EndpointInfo[]): { cluster: EndpointInfo[]; local: EndpointInfo[] } {
  const usable = (list: EndpointInfo[]) => {
    const ready = list.filter((e) => e.ready);
    return ready.length > 0 ? ready : list.filter((e) => e.serving && e.terminating);
  };
  const cluster = usable(eps);
  const local = sp.externalPolicyLocal || sp.internalPolicyLocal ? usable(eps.filter((e) => e.isLocal)) : [];
  return { cluster, local };
}

function hasExternal(sp: ServicePortInfo): boolean {
  return sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

const q = (s: string) => `"${s}"`;

/**
 * Builds the full ruleset (upstream syncProxyRules' nat/filter buffers) for `services` and their
 * `slices` (grouped by the `kubernetes.io/service-name` label). `staleChains` are chains written
 * by the previous sync that no longer exist; they are flushed and deleted (`-X`) in the same restore.
 * `extra` lines (e.g. `-I PREROUTING 1 …` for missing jump rules) are added at the end of each table.
 * `previous` (the last sync's {@link GeneratedRules.chainContent}) turns on partial sync: per-service
 * chains whose rules did not change are left out of the restore (kept as they are in the kernel).
 * Output is deterministic (services sorted by name).
 */
export function generateRules(
  cfg: RuleConfig,
  services: ProxyService[],
  slices: ProxyEndpointSlice[],
  staleChains: { nat: string[]; filter: string[] } = { nat: [], filter: [] },
  extra: { nat: string[]; filter: string[] } = { nat: [], filter: [] },
  previous?: ReadonlyMap<string, string>,
): GeneratedRules {
  const P = cfg.chainPrefix;
  const n = chainNames(P);
  const mark = `0x${(1 << (cfg.masqueradeBit ?? 14)).toString(16)}`;
  const natChains: string[] = [n.services, n.nodePorts, n.postrouting, n.markMasq];
  const filterChains: string[] = [n.services, n.externalServices, n.forward, n.firewall];
  const nat: string[] = [];
  const filter: string[] = [];
  let hasNodePorts = false;

  // Fixed rules (upstream: KUBE-POSTROUTING, KUBE-MARK-MASQ, KUBE-FORWARD, KUBE-FIREWALL).
  nat.push(`-A ${n.postrouting} -m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.push(`-A ${n.postrouting} -j MARK --xor-mark ${mark}`);
  nat.push(`-A ${n.postrouting} -m comment --comment ${q(`${cfg.commentPrefix} service traffic requiring SNAT`)} -j MASQUERADE --random-fully`);
  nat.push(`-A ${n.markMasq} -j MARK --or-mark ${mark}`);
  filter.push(`-A ${n.forward} -m comment --comment ${q(`${cfg.commentPrefix} forwarding rules`)} -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.push(`-A ${n.forward} -m comment --comment ${q(`${cfg.commentPrefix} forwarding conntrack rule`)} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  filter.push(
    `-A ${n.firewall} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m comment --comment ${q('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  );

  const byService = new Map<string, ProxyEndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${s.metadata?.namespace ?? 'default'}/${svc}`;
    let l = byService.get(key);
    if (!l) byService.set(key, (l = []));
    l.push(s);
  }
  const sps = services.flatMap(servicePorts).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.protocol < b.protocol ? -1 : 1));
  const nodePortDsts = cfg.nodePortAddresses?.length ? cfg.nodePortAddresses.map((c) => `-d ${c}`) : ['-m addrtype --dst-type LOCAL'];
  const natEpRules: string[] = [];

  for (const sp of sps) {
    const proto = sp.protocol.toLowerCase();
    const eps = endpointsFor(sp, byService.get(`${sp.namespace}/${sp.service}`) ?? [], cfg.nodeName);
    const { cluster, local } = categorizeEndpoints(sp, eps);
    const svcChain = servicePortChainName(P, 'SVC', sp.name, sp.protocol);
    const svlChain = servicePortChainName(P, 'SVL', sp.name, sp.protocol);
    const extChain = servicePortChainName(P, 'EXT', sp.name, sp.protocol);
    const internalChain = sp.internalPolicyLocal ? svlChain : svcChain;
    const hasInternal = (sp.internalPolicyLocal ? local : cluster).length > 0;
    const hasExternalEps = (sp.externalPolicyLocal ? local : cluster).length > 0;
    // upstream usesClusterPolicyChain / usesLocalPolicyChain
    const usesSvc = cluster.length > 0 && (!sp.internalPolicyLocal || (hasExternal(sp) && !sp.externalPolicyLocal));
    const usesSvl = local.length > 0 && (sp.internalPolicyLocal || (hasExternal(sp) && sp.externalPolicyLocal));
    const usesExt = hasExternal(sp) && hasExternalEps;
    const dport = (p: number) => `-m ${proto} --dport ${p}`;
    const c = sp.name;

    // ClusterIP
    if (hasInternal) {
      nat.push(`-A ${n.services} -d ${sp.clusterIP}/32 -p ${proto} -m comment --comment ${q(`${c} cluster IP`)} ${dport(sp.port)} -j ${internalChain}`);
    } else {
      filter.push(`-A ${n.services} -d ${sp.clusterIP}/32 -p ${proto} -m comment --comment ${q(`${c} has no endpoints`)} ${dport(sp.port)} -j REJECT`);
    }
    // External IPs and LoadBalancer ingress IPs
    for (const [ips, what] of [[sp.externalIPs, 'external IP'], [sp.loadBalancerIPs, 'loadbalancer IP']] as const) {
      for (const ip of ips) {
        if (hasExternalEps) nat.push(`-A ${n.services} -d ${ip}/32 -p ${proto} -m comment --comment ${q(`${c} ${what}`)} ${dport(sp.port)} -j ${extChain}`);
        else filter.push(`-A ${n.externalServices} -d ${ip}/32 -p ${proto} -m comment --comment ${q(`${c} has no ${cluster.length ? 'local ' : ''}endpoints`)} ${dport(sp.port)} -j ${cluster.length ? 'DROP' : 'REJECT'}`);
      }
    }
    // NodePort
    if (sp.nodePort > 0) {
      hasNodePorts = true;
      if (hasExternalEps) nat.push(`-A ${n.nodePorts} -p ${proto} -m comment --comment ${q(c)} ${dport(sp.nodePort)} -j ${extChain}`);
      else
        for (const d of nodePortDsts)
          filter.push(`-A ${n.externalServices} ${d} -p ${proto} -m comment --comment ${q(`${c} has no ${cluster.length ? 'local ' : ''}endpoints`)} ${dport(sp.nodePort)} -j ${cluster.length ? 'DROP' : 'REJECT'}`);
    }

    // SVC chain: masquerade off-cluster sources, then the endpoints.
    if (usesSvc) {
      natChains.push(svcChain);
      if (cfg.masqueradeAll) nat.push(`-A ${svcChain} -d ${sp.clusterIP}/32 -p ${proto} -m comment --comment ${q(`${c} cluster IP`)} ${dport(sp.port)} -j ${n.markMasq}`);
      else if (cfg.clusterCIDR)
        nat.push(`-A ${svcChain} ! -s ${cfg.clusterCIDR} -d ${sp.clusterIP}/32 -p ${proto} -m comment --comment ${q(`${c} cluster IP`)} ${dport(sp.port)} -j ${n.markMasq}`);
      writeServiceToEndpointRules(nat, P, sp, svcChain, cluster);
    }
    if (usesSvl) {
      natChains.push(svlChain);
      writeServiceToEndpointRules(nat, P, sp, svlChain, local);
    }
    if (usesExt) {
      natChains.push(extChain);
      if (sp.externalPolicyLocal) {
        if (usesSvc && cfg.clusterCIDR) nat.push(`-A ${extChain} -s ${cfg.clusterCIDR} -m comment --comment ${q(`pod traffic for ${c} external destinations`)} -j ${svcChain}`);
        if (usesSvc) {
          nat.push(`-A ${extChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${c} external destinations`)} -m addrtype --src-type LOCAL -j ${n.markMasq}`);
          nat.push(`-A ${extChain} -m comment --comment ${q(`route LOCAL traffic for ${c} external destinations`)} -m addrtype --src-type LOCAL -j ${svcChain}`);
        }
        nat.push(`-A ${extChain} -j ${svlChain}`);
      } else {
        nat.push(`-A ${extChain} -m comment --comment ${q(`masquerade traffic for ${c} external destinations`)} -j ${n.markMasq}`);
        nat.push(`-A ${extChain} -j ${svcChain}`);
      }
    }
    // SEP chains: hairpin masquerade, then DNAT (with `recent --set` for ClientIP affinity).
    // upstream allLocallyReachableEndpoints: the union of the endpoints of the chains in use.
    const sepAll = new Map<string, EndpointInfo>();
    for (const e of [...(usesSvc ? cluster : []), ...(usesSvl ? local : [])]) sepAll.set(`${e.ip}:${e.port}`, e);
    for (const [ep, e] of sepAll) {
      const sep = servicePortEndpointChainName(P, sp.name, sp.protocol, ep);
      natChains.push(sep);
      natEpRules.push(`-A ${sep} -s ${e.ip}/32 -m comment --comment ${q(c)} -j ${n.markMasq}`);
      const affinity = sp.stickyMaxAgeSeconds > 0 ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
      natEpRules.push(`-A ${sep} -p ${proto} -m comment --comment ${q(c)}${affinity} -m ${proto} -j DNAT --to-destination ${ep}`);
    }
  }
  // Upstream: "kubernetes service nodeports; NOTE: this must be the last rule in this chain".
  for (const d of nodePortDsts)
    nat.push(`-A ${n.services} ${d} -m comment --comment ${q(`${cfg.commentPrefix} service nodeports; NOTE: this must be the last rule in this chain`)} -j ${n.nodePorts}`);
  nat.push(...natEpRules);

  const natSet = new Set(natChains);
  const filterSet = new Set(filterChains);
  const staleNat = staleChains.nat.filter((ch) => !natSet.has(ch));
  const staleFilter = staleChains.filter.filter((ch) => !filterSet.has(ch));

  // Partial sync (upstream's "only write changed service chains"): a per-service chain whose rules
  // equal what the previous sync wrote is neither declared (which would flush it) nor rewritten.
  const fixedNat = new Set([n.services, n.nodePorts, n.postrouting, n.markMasq]);
  const content = new Map<string, string[]>();
  for (const l of nat) {
    const ch = l.slice(3, l.indexOf(' ', 3));
    if (fixedNat.has(ch)) continue;
    let c = content.get(ch);
    if (!c) content.set(ch, (c = []));
    c.push(l);
  }
  const chainContent = new Map<string, string>();
  for (const ch of natSet) if (!fixedNat.has(ch)) chainContent.set(ch, (content.get(ch) ?? []).join('\n'));
  const skip = new Set<string>();
  if (previous) for (const [ch, text] of chainContent) if (previous.get(ch) === text) skip.add(ch);

  const lines: string[] = ['*nat'];
  for (const ch of [...natSet, ...staleNat]) if (!skip.has(ch)) lines.push(`:${ch} - [0:0]`);
  let rulesWritten = filter.length;
  for (const l of nat) {
    if (skip.size && skip.has(l.slice(3, l.indexOf(' ', 3)))) continue;
    lines.push(l);
    rulesWritten++;
  }
  for (const ch of staleNat) lines.push(`-X ${ch}`);
  lines.push(...extra.nat, 'COMMIT', '*filter');
  for (const ch of [...filterSet, ...staleFilter]) lines.push(`:${ch} - [0:0]`);
  lines.push(...filter);
  for (const ch of staleFilter) lines.push(`-X ${ch}`);
  lines.push(...extra.filter, 'COMMIT', '');
  return {
    restore: lines.join('\n'),
    natChains: [...natSet],
    filterChains: [...filterSet],
    ruleCount: nat.length + filter.length,
    rulesWritten,
    chainContent,
    servicePorts: sps.length,
    hasNodePorts,
  };
}

/**
 * Upstream writeServiceToEndpointRules: with ClientIP affinity, first one `recent --rcheck` rule per
 * endpoint (so a known client returns to its endpoint), then the random-probability fan-out: endpoint
 * i of n is taken with probability 1/(n-i) (`%0.10f`), the last unconditionally.
 */
function writeServiceToEndpointRules(out: string[], P: string, sp: ServicePortInfo, chain: string, eps: EndpointInfo[]): void {
  const seps = eps.map((e) => ({ ep: `${e.ip}:${e.port}`, chain: servicePortEndpointChainName(P, sp.name, sp.protocol, `${e.ip}:${e.port}`) }));
  if (sp.stickyMaxAgeSeconds > 0) {
    for (const s of seps)
      out.push(
        `-A ${chain} -m comment --comment ${q(`${sp.name} -> ${s.ep}`)} -m recent --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap --name ${s.chain} --mask 255.255.255.255 --rsource -j ${s.chain}`,
      );
  }
  seps.forEach((s, i) => {
    const prob = i < seps.length - 1 ? ` -m statistic --mode random --probability ${(1 / (seps.length - i)).toFixed(10)}` : '';
    out.push(`-A ${chain} -m comment --comment ${q(`${sp.name} -> ${s.ep}`)}${prob} -j ${s.chain}`);
  });
}
