/**
 * The `kube-system/kube-dns` Service contract, as kubeadm/k3s install it for CoreDNS: a Service
 * named kube-dns (label `k8s-app: kube-dns`, `kubernetes.io/name: CoreDNS`) with ClusterIP = the
 * 10th address of the service CIDR (kubeadm GetDNSIP: 10.96.0.10 for 10.96.0.0/16) and ports
 * `dns` 53/UDP and `dns-tcp` 53/TCP. Skiff's DNS server runs in each agent rather than in pods, so
 * the Service has no selector and each agent publishes its own EndpointSlice `kube-dns-<node>`
 * (label `kubernetes.io/service-name: kube-dns`, managed-by `skiff`) pointing at the address its
 * server listens on; the proxy DNATs the ClusterIP to those endpoints.
 */
import type { EndpointSlice, Service } from './kubernetes.ts';
import { GVR, type Client } from '../../../client/interface.ts';
import { isAlreadyExists, isNotFound } from '../../../machinery/errors.ts';

/** Name and namespace of the DNS Service. */
export const kubeDNSName = 'kube-dns';
export const kubeDNSNamespace = 'kube-system';
/** The `endpointslice.kubernetes.io/managed-by` value of the agent's DNS EndpointSlices. */
export const kubeDNSSliceManager = 'skiff';

function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`invalid IPv4 address ${ip}`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function intToIP(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The `index`th address of an IPv4 CIDR (utilnet.GetIndexedIP): base + index.
 * @throws on a malformed CIDR or when the index is outside the range
 */
export function indexedIP(cidr: string, index: number): string {
  const m = /^([\d.]+)\/(\d+)$/.exec(cidr);
  if (!m || Number(m[2]) > 32) throw new Error(`invalid CIDR ${cidr}`);
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  if (index < 0 || index >= size) throw new Error(`index ${index} is outside ${cidr}`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return intToIP(((ipToInt(m[1]) & mask) >>> 0) + index);
}

/** The cluster DNS address for a service CIDR: its 10th address (kubeadm constants.GetDNSIP), e.g. 10.96.0.10. */
export function kubeDNSServiceIP(serviceCIDR: string): string {
  return indexedIP(serviceCIDR, 10);
}

/** The gateway (bridge) address of a node pod CIDR: its first host address, e.g. 10.88.0.1 for 10.88.0.0/24. */
export function podCIDRGateway(podCIDR: string): string {
  return indexedIP(podCIDR, 1);
}

/** The kube-dns Service object for `clusterIP`. */
export function kubeDNSService(clusterIP: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: kubeDNSName,
      namespace: kubeDNSNamespace,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  };
}

/**
 * Creates the kube-dns Service unless it exists (an existing one is left as it is).
 * Resolves with the stored Service.
 * @throws the apiserver's error when creation fails for another reason (e.g. 422 when the IP is
 *   outside the service CIDR or taken)
 */
export async function ensureKubeDNSService(client: Client, clusterIP: string): Promise<Service> {
  try {
    return await client.create<Service>(GVR.services, kubeDNSNamespace, kubeDNSService(clusterIP));
  } catch (e) {
    if (isAlreadyExists(e)) return client.get<Service>(GVR.services, kubeDNSNamespace, kubeDNSName);
    throw e;
  }
}

/** The EndpointSlice `kube-dns-<node>` pointing at a node's DNS server `address`:53. */
export function kubeDNSEndpointSlice(nodeName: string, address: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${kubeDNSName}-${nodeName}`,
      namespace: kubeDNSNamespace,
      labels: { 'kubernetes.io/service-name': kubeDNSName, 'endpointslice.kubernetes.io/managed-by': kubeDNSSliceManager },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Creates or updates the node's kube-dns EndpointSlice. While the EndpointSlice resource is not
 * served (404 on create) or the apiserver fails, retries with back-off (1 s doubling to 30 s) until
 * it succeeds or `signal` aborts. Resolves true once the slice is stored, false when aborted.
 */
export async function ensureKubeDNSEndpointSlice(
  client: Client,
  nodeName: string,
  address: string,
  signal?: AbortSignal,
  onError?: (err: unknown) => void,
): Promise<boolean> {
  const want = kubeDNSEndpointSlice(nodeName, address);
  let backoff = 1000;
  while (!signal?.aborted) {
    try {
      await client.create(GVR.endpointslices, kubeDNSNamespace, want);
      return true;
    } catch (e) {
      if (isAlreadyExists(e)) {
        try {
          const cur = await client.get<EndpointSlice>(GVR.endpointslices, kubeDNSNamespace, want.metadata!.name!);
          if (JSON.stringify(cur.endpoints) === JSON.stringify(want.endpoints) && JSON.stringify(cur.ports) === JSON.stringify(want.ports)) return true;
          await client.update(GVR.endpointslices, kubeDNSNamespace, { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, ...want.metadata!.labels } }, endpoints: want.endpoints, ports: want.ports });
          return true;
        } catch (e2) {
          onError?.(e2);
        }
      } else if (!isNotFound(e)) onError?.(e);
    }
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, 30_000);
  }
  return false;
}

/**
 * Keeps the node's kube-dns EndpointSlice in place until `signal` aborts: {@link ensureKubeDNSEndpointSlice},
 * then again every `periodMs` (default 30000), so a deleted or edited slice comes back (as the
 * EndpointSlice controller keeps a Service's slices). Resolves after the abort.
 */
export async function maintainKubeDNSEndpointSlice(
  client: Client,
  nodeName: string,
  address: string,
  signal: AbortSignal,
  onError?: (err: unknown) => void,
  periodMs = 30_000,
): Promise<void> {
  while (!signal.aborted) {
    await ensureKubeDNSEndpointSlice(client, nodeName, address, signal, onError);
    await sleep(periodMs, signal);
  }
}
