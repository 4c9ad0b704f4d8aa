/**
 * Service defaulting, after upstream pkg/apis/core/v1/defaults.go SetDefaults_Service:
 * sessionAffinity None (ClientIP gets a 10800 s timeout config), type ClusterIP, ports'
 * protocol TCP and targetPort = port, externalTrafficPolicy Cluster for externally
 * accessible services, internalTrafficPolicy Cluster, allocateLoadBalancerNodePorts true.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { arr, rec } from '../../../common/meta.ts';

/** `v1.DefaultClientIPServiceAffinitySeconds`. */
export const DefaultClientIPServiceAffinitySeconds = 10800;

/** `service.ExternallyAccessible`: LoadBalancer, NodePort, or ClusterIP with externalIPs. */
export function externallyAccessible(spec: Record<string, any>): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
}

/** Defaults a Service in place. */
export function setDefaultsService(obj: KubeObject): void {
  const spec = rec(obj.spec);
  obj.spec = spec;
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = rec(spec.sessionAffinityConfig);
    const cip = rec(cfg.clientIP);
    if (cip.timeoutSeconds === undefined || cip.timeoutSeconds === null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DefaultClientIPServiceAffinitySeconds } };
    }
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of arr(spec.ports)) {
    if (!p || typeof p !== 'object') continue;
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if ((spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    spec.allocateLoadBalancerNodePorts = true;
  }
}
