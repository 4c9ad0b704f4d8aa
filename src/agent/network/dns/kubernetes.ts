/**
 * Cluster DNS records from Kubernetes objects, after CoreDNS' `kubernetes` plugin
 * (plugin/kubernetes: parse.go parseRequest, kubernetes.go Records/findServices/findPods/
 * endpointHostname, reverse.go serviceRecordForIP, handler.go ServeDNS, ns.go) and the
 * Kubernetes DNS-Based Service Discovery specification (kubernetes/dns docs/specification.md),
 * configured as the default Corefile does: `kubernetes cluster.local in-addr.arpa ip6.arpa
 * { pods insecure; fallthrough in-addr.arpa ip6.arpa }`, with the plugin's default TTL of 5 s.
 *
 * Names answered (zone `cluster.local`):
 * - `<svc>.<ns>.svc.<zone>` A → the ClusterIP(s); headless (`clusterIP: None`) → every ready endpoint
 *   address; ExternalName → CNAME to `spec.externalName`.
 * - `<endpoint>.<svc>.<ns>.svc.<zone>` A → that endpoint, where `<endpoint>` is the endpoint's
 *   `hostname` (StatefulSet pods: `web-0.web.default.svc.cluster.local`) or its dashed IP (`10-88-0-5`).
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` and `<svc>.<ns>.svc.<zone>` SRV → priority 0, weight
 *   ⌊100/n⌋, the port, target `<svc>.<ns>.svc.<zone>` (or `<endpoint>.<svc>…` for headless), with
 *   the targets' A records as additionals.
 * - `<a-b-c-d>.<ns>.pod.<zone>` A → a.b.c.d (pods insecure: any well-formed IP in an existing namespace).
 * - `dns-version.<zone>` TXT "1.1.0"; the apex SOA and NS; `ns.dns.<zone>` A → the DNS service IPs.
 * - Reverse (`d.c.b.a.in-addr.arpa` PTR) → a Service with that ClusterIP (`<svc>.<ns>.svc.<zone>`),
 *   else every ready endpoint with that address (`<hostname or a-b-c-d>.<svc>.<ns>.svc.<zone>`); as
 *   CoreDNS, a pod IP that is no endpoint has no PTR here.
 *   Anything else under in-addr.arpa / ip6.arpa falls through (the caller forwards it).
 * Unknown names in the zone → NXDOMAIN (SERVFAIL before the informers synced); existing names
 * without data of the asked type (AAAA for IPv4-only names) → NOERROR, empty; both carry the zone's
 * SOA in the authority section. AXFR/IXFR → REFUSED.
 */
import type { Answer, Question, SrvAnswer } from 'dns-packet';
import type { Namespace as K8sNamespace, Pod as K8sPod, Service as K8sService } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice as K8sEndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isIP } from 'node:net';
import type { Indexer } from '../../../client/informer.ts';
import type { KubeObject } from '../../../client/interface.ts';

/** A Namespace as informers store it. */
export type Namespace = K8sNamespace & KubeObject;
/** A Service as informers store it. */
export type Service = K8sService & KubeObject;
/** An EndpointSlice (discovery.k8s.io/v1) as informers store it. */
export type EndpointSlice = K8sEndpointSlice & KubeObject;
/** A Pod as informers store it. */
export type Pod = K8sPod & KubeObject;

/** Default TTL of the records, seconds (CoreDNS kubernetes plugin default). */
export const defaultTTL = 5;
/** Default cluster domain. */
export const defaultClusterDomain = 'cluster.local';
/** The `kubernetes.io/service-name` label of EndpointSlices (discovery.LabelServiceName). */
export const labelServiceName = 'kubernetes.io/service-name';

/** A DNS response code as dns-packet names them. */
export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

/** An answer of the plugin: rcode + sections (names without trailing dot, as dns-packet uses). */
export interface DNSResult {
  rcode: Rcode;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/** The informer stores the plugin reads (shared, never mutated). */
export interface KubernetesStores {
  namespaces: Indexer<Namespace>;
  services: Indexer<Service>;
  endpointSlices: Indexer<EndpointSlice>;
  pods: Indexer<Pod>;
}

/** Options of {@link Kubernetes}. */
export interface KubernetesOptions {
  stores: KubernetesStores;
  /** Cluster domain (zone), default `cluster.local`. */
  zone?: string;
  /** Record TTL in seconds, default 5. */
  ttl?: number;
  /** Addresses of the DNS service itself (`ns.dns.<zone>` A and the NS glue), e.g. ['10.96.0.10']. */
  nsIPs?: string[];
  /** True once the informers listed (name errors before that are SERVFAIL, as CoreDNS does). */
  hasSynced?: () => boolean;
}

/** CoreDNS recordRequest: the parts of a query name below the zone. */
export interface RecordRequest {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  /** 'svc', 'pod' or '' (apex, `svc.<zone>`, `pod.<zone>`). */
  podOrSvc: string;
}

/** Thrown-free error marker of {@link parseRequest}: a name that can never exist (NXDOMAIN). */
export class InvalidRequestError extends Error {}

/**
 * parseRequest (CoreDNS parse.go): splits `name` (relative to `zone`, both without trailing dot,
 * any case) into `_port._proto.service.namespace.svc|pod`, `endpoint.service.namespace.svc|pod` or
 * `service.namespace.svc|pod`. Returns {podOrSvc: ''} for the apex, `svc` and `pod`.
 * @throws InvalidRequestError when the name is not svc/pod shaped or has too many labels.
 */
export function parseRequest(name: string, zone: string): RecordRequest {
  const r: RecordRequest = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  const lname = name.toLowerCase();
  const lzone = zone.toLowerCase();
  const base = lname === lzone ? '' : lname.slice(0, lname.length - lzone.length - 1);
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  r.podOrSvc = segs[last];
  if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') throw new InvalidRequestError(name);
  if (--last < 0) return r;
  r.namespace = segs[last];
  if (--last < 0) return r;
  r.service = segs[last];
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0];
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]);
    r.port = stripUnderscore(segs[0]);
  } else throw new InvalidRequestError(name);
  return r;
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/** One record source (CoreDNS msg.Service): a host (IP or name) with a port, named by `labels`. */
interface ServiceRecord {
  host: string;
  /** -1 when the EndpointSlice has no ports (CoreDNS' sentinel). */
  port: number;
  /** Owner name below the zone, e.g. ['web', 'default', 'svc'] or ['web-0', 'web', 'default', 'svc']. */
  labels: string[];
}

type LookupResult = { records: ServiceRecord[]; nameError: boolean };

/** An endpoint address as CoreDNS keeps it (object.EndpointAddress) plus the slice's ports. */
interface EndpointAddress {
  ip: string;
  hostname: string;
  ports: { port: number; name: string; protocol: string }[];
}

/** The IP of a reverse name (`4.3.2.1.in-addr.arpa` → 1.2.3.4; nibble form for ip6.arpa), or '' (dnsutil.ExtractAddressFromReverse). */
export function extractAddressFromReverse(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return '';
    return parts.reverse().join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return '';
    const hex = nibbles.reverse().join('');
    const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
    return compressIPv6(groups.join(':'));
  }
  return '';
}

function compressIPv6(full: string): string {
  // Collapse the longest run of zero groups (RFC 5952), e.g. fd00:0:0:0:0:0:0:2 → fd00::2.
  const groups = full.split(':');
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return full;
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** True when `name` (no trailing dot) is `zone` or below it, case-insensitively. */
export function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase();
  const z = zone.toLowerCase();
  return n === z || n.endsWith(`.${z}`);
}

function clusterIPs(svc: Service): string[] {
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

const IDX_CLUSTER_IP = 'dns:clusterIP';
const IDX_SLICE_SERVICE = 'dns:service';
const IDX_SLICE_IP = 'dns:endpointIP';

/**
 * The kubernetes plugin. `serveDNS` answers one question from the informer stores, or returns
 * undefined when the name is not for this plugin (outside the zone, or a reverse name it does not
 * know) and the caller should forward it.
 */
export class Kubernetes {
  readonly zone: string;
  readonly ttl: number;
  private readonly stores: KubernetesStores;
  private readonly nsIPs: string[];
  private readonly hasSynced: () => boolean;
  private modified = Math.floor(Date.now() / 1000);

  constructor(opts: KubernetesOptions) {
    this.zone = (opts.zone ?? defaultClusterDomain).replace(/\.$/, '').toLowerCase();
    this.ttl = opts.ttl ?? defaultTTL;
    this.stores = opts.stores;
    this.nsIPs = opts.nsIPs ?? [];
    this.hasSynced = opts.hasSynced ?? (() => true);
    this.stores.services.addIndexers({ [IDX_CLUSTER_IP]: (s) => clusterIPs(s) });
    this.stores.endpointSlices.addIndexers({
      [IDX_SLICE_SERVICE]: (s) => {
        const svc = s.metadata?.labels?.[labelServiceName];
        return svc ? [`${s.metadata?.namespace ?? ''}/${svc}`] : [];
      },
      [IDX_SLICE_IP]: (s) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? []),
    });
  }

  /** Records that the data changed now (the SOA serial is the unix time, seconds, of the last change). */
  markModified(): void {
    this.modified = Math.floor(Date.now() / 1000);
  }

  /** The SOA serial: unix seconds of the last change (CoreDNS Serial = APIConn.Modified). */
  serial(): number {
    return this.modified >>> 0;
  }

  /**
   * Answers `q` (ServeDNS). `q.name` has no trailing dot; answers keep the query's case.
   * Returns undefined when the caller should pass the query on (forward).
   */
  serveDNS(q: Question): DNSResult | undefined {
    const qname = q.name.replace(/\.$/, '');
    if (!inZone(qname, this.zone)) {
      if (/\.(in-addr|ip6)\.arpa$/i.test(qname)) return this.serveReverse(q, qname);
      return undefined;
    }
    const zone = qname.slice(qname.length - this.zone.length); // keep the query's case
    const out: DNSResult = { rcode: 'NOERROR', authoritative: true, answers: [], authorities: [], additionals: [] };
    let lookup: LookupResult = { records: [], nameError: false };
    switch (q.type) {
      case 'A':
      case 'AAAA': {
        if (this.isDefaultNS(qname)) {
          out.answers = this.nsAddrs(qname, q.type);
          break;
        }
        lookup = this.records(qname);
        out.answers = this.addressRecords(qname, q.type, lookup.records);
        break;
      }
      case 'TXT':
        if (qname.toLowerCase() === `dns-version.${this.zone}`) {
          out.answers = [{ name: qname, type: 'TXT', class: 'IN', ttl: this.ttl, data: '1.1.0' }];
          break;
        }
        lookup = this.records(qname);
        break;
      case 'SRV': {
        lookup = this.records(qname);
        const { answers, extra } = this.srvRecords(qname, lookup.records);
        out.answers = answers;
        out.additionals = extra;
        break;
      }
      case 'SOA':
        if (qname.toLowerCase() === this.zone) out.answers = [this.soa(zone)];
        break;
      case 'NS':
        if (qname.toLowerCase() === this.zone) {
          out.answers = [{ name: qname, type: 'NS', class: 'IN', ttl: this.ttl, data: `ns.dns.${zone}` }];
          out.additionals = this.nsAddrs(`ns.dns.${zone}`, 'A');
          break;
        }
        lookup = this.records(qname);
        break;
      case 'AXFR':
      case 'IXFR':
        return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] };
      default:
        // A fake A lookup tells NODATA from NXDOMAIN.
        lookup = this.isDefaultNS(qname) ? lookup : this.records(qname);
    }
    if (lookup.nameError && out.answers.length === 0) {
      out.rcode = this.hasSynced() ? 'NXDOMAIN' : 'SERVFAIL';
      if (out.rcode === 'SERVFAIL') return out;
    }
    if (out.answers.length === 0) out.authorities = [this.soa(zone)];
    return out;
  }

  /** The zone's SOA (plugin.SOA): ns.dns.<zone>, hostmaster.<zone>, 7200/1800/86400, minimum = TTL. */
  soa(zone: string = this.zone): Answer {
    return {
      name: zone,
      type: 'SOA',
      class: 'IN',
      ttl: this.ttl,
      data: {
        mname: `ns.dns.${zone}`,
        rname: `hostmaster.${zone}`,
        serial: this.serial(),
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  private isDefaultNS(qname: string): boolean {
    return qname.toLowerCase() === `ns.dns.${this.zone}`;
  }

  private nsAddrs(name: string, type: 'A' | 'AAAA'): Answer[] {
    const want = type === 'A' ? 4 : 6;
    return this.nsIPs.filter((ip) => isIP(ip) === want).map((ip) => ({ name, type, class: 'IN' as const, ttl: this.ttl, data: ip }));
  }

  /** Records (kubernetes.go): the service records for an in-zone name, or a name error. */
  private records(qname: string): LookupResult {
    let r: RecordRequest;
    try {
      r = parseRequest(qname, this.zone);
    } catch (e) {
      if (e instanceof InvalidRequestError) return { records: [], nameError: true };
      throw e;
    }
    if (r.podOrSvc === '') return { records: [], nameError: false };
    if (!this.namespaceExposed(r.namespace)) return { records: [], nameError: true };
    return r.podOrSvc === 'pod' ? this.findPods(r) : this.findServices(r);
  }

  private namespaceExposed(ns: string): boolean {
    return this.stores.namespaces.getByKey(ns) !== undefined;
  }

  /** findPods with `pods insecure`: `<a-b-c-d>.<ns>.pod` → a.b.c.d for any well-formed IP. */
  private findPods(r: RecordRequest): LookupResult {
    const podname = r.service;
    if (podname === '') return { records: [], nameError: false };
    if (r.endpoint || r.port) return { records: [], nameError: true };
    const ip = (podname.split('-').length - 1 === 3 && !podname.includes('--')) ? podname.replaceAll('-', '.') : podname.replaceAll('-', ':');
    if (isIP(ip) === 0) return { records: [], nameError: true };
    return { records: [{ host: ip, port: -1, labels: [podname, r.namespace, 'pod'] }], nameError: false };
  }

  /** The ready endpoint addresses of a Service, from its EndpointSlices (EndpointSliceToEndpoints). */
  private endpointAddresses(ns: string, svcName: string): EndpointAddress[] {
    const out: EndpointAddress[] = [];
    for (const slice of this.stores.endpointSlices.byIndex(IDX_SLICE_SERVICE, `${ns}/${svcName}`)) {
      const ports = slice.ports?.length
        ? slice.ports.map((p) => ({ port: p.port ?? -1, name: p.name ?? '', protocol: p.protocol ?? 'TCP' }))
        : [{ port: -1, name: '', protocol: '' }];
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        const hostname = ep.hostname ?? this.podHostnameFor(ep.targetRef, ns, svcName);
        for (const ip of ep.addresses ?? []) out.push({ ip, hostname: hostname ?? '', ports });
      }
    }
    return out;
  }

  /**
   * The endpoint hostname the EndpointSlice controller would have set: a pod with spec.hostname
   * whose spec.subdomain is the Service's name (used when the slice carries no hostname).
   */
  private podHostnameFor(ref: { kind?: string; name?: string; namespace?: string } | undefined, ns: string, svcName: string): string | undefined {
    if (!ref || (ref.kind && ref.kind !== 'Pod') || !ref.name) return undefined;
    const pod = this.stores.pods.getByKey(`${ref.namespace ?? ns}/${ref.name}`);
    if (pod?.spec?.hostname && pod.spec.subdomain === svcName && (pod.metadata?.namespace ?? ns) === ns) return pod.spec.hostname;
    return undefined;
  }

  /** findServices (kubernetes.go). */
  private findServices(r: RecordRequest): LookupResult {
    if (r.service === '') return { records: [], nameError: false };
    const svc = this.stores.services.getByKey(`${r.namespace}/${r.service}`);
    if (!svc) return { records: [], nameError: true };
    const name = svc.metadata?.name ?? r.service;
    const ns = svc.metadata?.namespace ?? r.namespace;
    const records: ServiceRecord[] = [];
    if (svc.spec?.type === 'ExternalName') {
      // Only a name becomes a CNAME; an IP (or nothing) in externalName answers nothing (HostType).
      if (r.endpoint !== '' || !svc.spec.externalName || isIP(svc.spec.externalName)) return { records, nameError: true };
      records.push({ host: svc.spec.externalName.replace(/\.$/, ''), port: 0, labels: [name, ns, 'svc'] });
      return { records, nameError: false };
    }
    let found = false;
    if (isHeadless(svc) || r.endpoint !== '') {
      for (const addr of this.endpointAddresses(ns, name)) {
        const host = endpointHostname(addr);
        if (r.endpoint !== '' && r.endpoint.toLowerCase() !== host.toLowerCase()) continue;
        for (const p of addr.ports) {
          if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
          found = true;
          records.push({ host: addr.ip, port: p.port, labels: [host, name, ns, 'svc'] });
        }
      }
      return { records, nameError: !found };
    }
    for (const p of svc.spec?.ports ?? []) {
      if (!matchPortAndProtocol(r.port, p.name ?? '', r.protocol, p.protocol ?? 'TCP')) continue;
      found = true;
      for (const ip of clusterIPs(svc)) records.push({ host: ip, port: p.port, labels: [name, ns, 'svc'] });
    }
    return { records, nameError: !found };
  }

  private fqdn(labels: string[]): string {
    return [...labels, this.zone].join('.');
  }

  /** plugin.A / plugin.AAAA: address records (deduplicated) or a CNAME for name hosts. */
  private addressRecords(qname: string, type: 'A' | 'AAAA', records: ServiceRecord[]): Answer[] {
    const out: Answer[] = [];
    const seen = new Set<string>();
    const want = type === 'A' ? 4 : 6;
    for (const rec of records) {
      const fam = isIP(rec.host);
      if (fam === 0) {
        if (seen.has(`cname:${rec.host}`)) continue;
        seen.add(`cname:${rec.host}`);
        out.push({ name: qname, type: 'CNAME', class: 'IN', ttl: this.ttl, data: rec.host });
        continue;
      }
      if (fam !== want || seen.has(rec.host)) continue;
      seen.add(rec.host);
      out.push({ name: qname, type, class: 'IN', ttl: this.ttl, data: rec.host });
    }
    return out;
  }

  /** plugin.SRV: one SRV per (target, port), weights ⌊100/n⌋, targets' addresses as additionals. */
  private srvRecords(qname: string, records: ServiceRecord[]): { answers: Answer[]; extra: Answer[] } {
    const usable = records.filter((r) => r.port >= 0);
    const weight = usable.length ? Math.floor(100 / usable.length) : 0;
    const answers: SrvAnswer[] = [];
    const extra: Answer[] = [];
    const dup = new Set<string>();
    const dupExtra = new Set<string>();
    for (const rec of usable) {
      const fam = isIP(rec.host);
      const target = fam === 0 ? rec.host : this.fqdn(rec.labels);
      const key = `${target}|${rec.port}`;
      if (dup.has(key)) continue;
      dup.add(key);
      answers.push({ name: qname, type: 'SRV', class: 'IN', ttl: this.ttl, data: { priority: 0, weight, port: rec.port, target } });
      if (fam !== 0 && !dupExtra.has(`${target}|${rec.host}`)) {
        dupExtra.add(`${target}|${rec.host}`);
        extra.push({ name: target, type: fam === 4 ? 'A' : 'AAAA', class: 'IN', ttl: this.ttl, data: rec.host });
      }
    }
    return { answers, extra };
  }

  /** Reverse (reverse.go serviceRecordForIP): PTR names for an address (Service ClusterIP, else ready endpoints). */
  ptrNames(ip: string): string[] {
    for (const svc of this.stores.services.byIndex(IDX_CLUSTER_IP, ip)) {
      return [this.fqdn([svc.metadata!.name!, svc.metadata!.namespace!, 'svc'])];
    }
    const out: string[] = [];
    for (const slice of this.stores.endpointSlices.byIndex(IDX_SLICE_IP, ip)) {
      const svcName = slice.metadata?.labels?.[labelServiceName];
      const ns = slice.metadata?.namespace ?? '';
      if (!svcName) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false || !(ep.addresses ?? []).includes(ip)) continue;
        const hostname = ep.hostname ?? this.podHostnameFor(ep.targetRef, ns, svcName) ?? '';
        const name = this.fqdn([endpointHostname({ ip, hostname }), svcName, ns, 'svc']);
        if (!out.includes(name)) out.push(name);
      }
    }
    return out;
  }

  private serveReverse(q: Question, qname: string): DNSResult | undefined {
    if (q.type !== 'PTR') return undefined;
    const ip = extractAddressFromReverse(qname);
    if (!ip) return undefined;
    const names = this.ptrNames(ip);
    if (!names.length) return undefined; // fallthrough in-addr.arpa ip6.arpa
    return {
      rcode: 'NOERROR',
      authoritative: true,
      answers: names.map((n) => ({ name: qname, type: 'PTR' as const, class: 'IN' as const, ttl: this.ttl, data: n })),
      authorities: [],
      additionals: [],
    };
  }
}

/** endpointHostname (kubernetes.go): the endpoint's hostname, else its IP with '.'/':' → '-'. */
export function endpointHostname(addr: { ip: string; hostname: string }): string {
  if (addr.hostname) return addr.hostname;
  if (addr.ip.includes('.')) return addr.ip.replaceAll('.', '-');
  if (addr.ip.includes(':')) return addr.ip.replaceAll(':', '-');
  return '';
}

/** matchPortAndProtocol (kubernetes.go): the request's port/protocol match, '' matching anything (case-insensitive). */
export function matchPortAndProtocol(aPort: string, bPort: string, aProtocol: string, bProtocol: string): boolean {
  return (aPort === '' || aPort.toLowerCase() === bPort.toLowerCase()) && (aProtocol === '' || aProtocol.toLowerCase() === bProtocol.toLowerCase());
}
