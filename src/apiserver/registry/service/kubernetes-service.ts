/**
 * The `default/kubernetes` Service and its endpoints, after upstream
 * pkg/controlplane/controller/kubernetesservice (CreateOrUpdateMasterServiceIfNeeded) and
 * pkg/controlplane/reconcilers (the Endpoints + EndpointSlice named `kubernetes`): ClusterIP = the
 * first IP of the service CIDR, port `https` 443 → the apiserver's port, labels
 * `component: apiserver, provider: kubernetes`, no selector (so the endpoint controllers leave
 * it alone), endpoints = the apiserver's advertised address.
 */
import { networkInterfaces } from 'node:os';
import { GVR, type Client, type KubeObject } from '../../../client/interface.ts';
import { isAlreadyExists, isNotFound } from '../../../machinery/errors.ts';
import { firstIP } from './ipallocator.ts';

/** Options of {@link ensureKubernetesService}. */
export interface KubernetesServiceOptions {
  /** The service CIDR (`10.96.0.0/16`): the Service gets its first IP. */
  serviceCIDR: string;
  /** The apiserver's secure port (targetPort and endpoint port). */
  port: number;
  /** The address pods reach the apiserver at; undefined → no Endpoints/EndpointSlice are written. */
  advertiseAddress?: string;
}

/**
 * The first non-loopback, non-link-local IPv4 address of the host (what `--advertise-address`
 * defaults to upstream: the default route's interface), or undefined.
 */
export function defaultAdvertiseAddress(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return undefined;
}

async function createOrUpdate(client: Client, gvr: typeof GVR.endpoints | typeof GVR.endpointslices, obj: KubeObject, same: (cur: KubeObject) => boolean): Promise<void> {
  const name = obj.metadata?.name ?? '';
  try {
    const cur = await client.get(gvr, 'default', name);
    if (same(cur)) return;
    await client.update(gvr, 'default', { ...obj, metadata: { ...cur.metadata, ...obj.metadata } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await client.create(gvr, 'default', obj);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}

/**
 * Creates `default/kubernetes` when missing (an existing one is kept: its ClusterIP is immutable)
 * and writes its Endpoints and EndpointSlice when `advertiseAddress` is known. Idempotent; throws
 * StatusError on API failures (callers retry).
 */
export async function ensureKubernetesService(client: Client, opts: KubernetesServiceOptions): Promise<void> {
  const svc: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: firstIP(opts.serviceCIDR),
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }],
      sessionAffinity: 'None',
    },
  };
  try {
    await client.get(GVR.services, 'default', 'kubernetes');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await client.create(GVR.services, 'default', svc);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
  const ip = opts.advertiseAddress;
  if (!ip) return;
  const ports = [{ name: 'https', port: opts.port, protocol: 'TCP' }];
  const ep: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default' }, subsets: [{ addresses: [{ ip }], ports }] };
  await createOrUpdate(client, GVR.endpoints, ep, (cur) => JSON.stringify(cur.subsets) === JSON.stringify(ep.subsets));
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports,
  };
  await createOrUpdate(client, GVR.endpointslices, slice, (cur) => JSON.stringify(cur.endpoints) === JSON.stringify(slice.endpoints) && JSON.stringify(cur.ports) === JSON.stringify(slice.ports));
}
