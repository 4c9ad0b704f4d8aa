/**
 * Service registry policy, after upstream pkg/registry/core/service/strategy.go and the
 * service REST's normalization: clusterIP/clusterIPs kept in step, ipFamilies/ipFamilyPolicy
 * filled for IPv4 single-stack, allocated values (clusterIP(s), nodePorts, healthCheckNodePort)
 * carried over on update when the request omits them (what `kubectl apply` relies on), status
 * reset on create and kept on update. IP and port allocation itself is the store's job.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { arr, deepCopy, objectMetaFieldsSet, rec } from '../../../common/meta.ts';
import { setDefaultsService } from './defaults.ts';
import { validateService, validateServiceStatusUpdate, validateServiceUpdate } from './validation.ts';

/** `NormalizeClusterIPs`: clusterIPs[0] follows clusterIP and vice versa (mutates spec). */
export function normalizeClusterIPs(spec: Record<string, any>): void {
  const cips = arr(spec.clusterIPs);
  if (spec.clusterIP && cips.length === 0) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && cips.length > 0) spec.clusterIP = cips[0];
}

/** Fills ipFamilies `['IPv4']` and ipFamilyPolicy `SingleStack` for non-ExternalName services without them (mutates). */
export function defaultIPFamilies(spec: Record<string, any>): void {
  if (spec.type === 'ExternalName') return;
  if (arr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4'];
  if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = 'SingleStack';
}

/** `patchAllocatedValues`: keep the old clusterIP(s), nodePorts and healthCheckNodePort when the update omits them (mutates `spec`). */
export function patchAllocatedValues(spec: Record<string, any>, old: Record<string, any>): void {
  if (spec.type !== 'ExternalName' && old.type !== 'ExternalName') {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && arr(old.clusterIPs).length > 0) spec.clusterIPs = deepCopy(old.clusterIPs);
    if (arr(spec.ipFamilies).length === 0 && arr(old.ipFamilies).length > 0) spec.ipFamilies = deepCopy(old.ipFamilies);
    if (!spec.ipFamilyPolicy && old.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
  }
  const needsNodePort = (s: Record<string, any>) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
  if (needsNodePort(spec) && needsNodePort(old)) {
    const oldPorts = arr(old.ports);
    for (const p of arr(spec.ports)) {
      if (p.nodePort) continue;
      const match = oldPorts.find((o) => rec(o).port === p.port && rec(o).protocol === p.protocol && (rec(o).name ?? '') === (p.name ?? ''))
        ?? (arr(spec.ports).length === 1 && oldPorts.length === 1 ? oldPorts[0] : undefined);
      if (match && rec(match).nodePort) p.nodePort = rec(match).nodePort;
    }
  }
  if (spec.externalTrafficPolicy === 'Local' && old.externalTrafficPolicy === 'Local' && !spec.healthCheckNodePort && old.healthCheckNodePort) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

const needsNodePort = (s: Record<string, any>) => s.type === 'NodePort' || s.type === 'LoadBalancer';

/**
 * `dropTypeDependentFields` (update only): when the type changes to one that no longer uses a
 * field the server may have filled in, and the request left that field as it was, wipe it —
 * NodePort/LoadBalancer → ClusterIP drops the node ports (the allocator releases them),
 * LoadBalancer with `externalTrafficPolicy: Local` → other types drops `healthCheckNodePort`,
 * and `externalTrafficPolicy` / `allocateLoadBalancerNodePorts` go when no longer applicable.
 * (Mutates `spec`.)
 */
export function dropTypeDependentFields(spec: Record<string, any>, old: Record<string, any>): void {
  if (needsNodePort(old) && !needsNodePort(spec)) {
    const np = (x: Record<string, any>) => JSON.stringify(arr(x.ports).map((p) => rec(p).nodePort ?? 0));
    if (np(spec) === np(old)) for (const p of arr(spec.ports)) if (p && typeof p === 'object') delete p.nodePort;
  }
  const needsHC = (x: Record<string, any>) => x.type === 'LoadBalancer' && x.externalTrafficPolicy === 'Local';
  if (needsHC(old) && !needsHC(spec) && (spec.healthCheckNodePort ?? 0) === (old.healthCheckNodePort ?? 0)) delete spec.healthCheckNodePort;
  if (spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  const needsETP = spec.type === 'LoadBalancer' || spec.type === 'NodePort' || arr(spec.externalIPs).length > 0;
  if (!needsETP && spec.externalTrafficPolicy === old.externalTrafficPolicy) delete spec.externalTrafficPolicy;
}

/** Field-selector attributes of a Service: metadata.name/namespace, spec.clusterIP, spec.type (upstream service SelectableFields). */
export function getServiceAttrs(obj: KubeObject): Record<string, string> {
  const spec = rec(obj.spec);
  return { ...objectMetaFieldsSet(obj), 'spec.clusterIP': String(spec.clusterIP ?? ''), 'spec.type': String(spec.type ?? '') };
}

/** The Service strategy (namespaced). */
export const serviceStrategy: Strategy = {
  defaults: setDefaultsService,
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
    const spec = rec(obj.spec);
    normalizeClusterIPs(spec);
    defaultIPFamilies(spec);
    obj.spec = spec;
  },
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
    const spec = rec(obj.spec);
    patchAllocatedValues(spec, rec(old.spec));
    dropTypeDependentFields(spec, rec(old.spec));
    normalizeClusterIPs(spec);
    defaultIPFamilies(spec);
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
    obj.spec = spec;
  },
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  getAttrs: getServiceAttrs,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
};

/** `/status`: spec from the old object. */
export const serviceStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  validateUpdate: validateServiceStatusUpdate,
};
