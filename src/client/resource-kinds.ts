/**
 * A small client-side RESTMapper for built-in resources: plural resource ↔ kind, scope, and
 * group/version, used by FakeClient and the garbage collector to turn an ownerReference
 * (apiVersion + kind) into a GVR.
 */
import type { GroupVersionResource } from './interface.ts';

/** Built-in resources: plural → [kind, namespaced] (client-side RESTMapper subset). */
export const KINDS: Record<string, [kind: string, namespaced: boolean]> = {
  namespaces: ['Namespace', false],
  nodes: ['Node', false],
  pods: ['Pod', true],
  services: ['Service', true],
  endpoints: ['Endpoints', true],
  configmaps: ['ConfigMap', true],
  secrets: ['Secret', true],
  events: ['Event', true],
  serviceaccounts: ['ServiceAccount', true],
  leases: ['Lease', true],
  replicasets: ['ReplicaSet', true],
  replicationcontrollers: ['ReplicationController', true],
  deployments: ['Deployment', true],
  statefulsets: ['StatefulSet', true],
  daemonsets: ['DaemonSet', true],
  jobs: ['Job', true],
  cronjobs: ['CronJob', true],
  endpointslices: ['EndpointSlice', true],
  persistentvolumeclaims: ['PersistentVolumeClaim', true],
  persistentvolumes: ['PersistentVolume', false],
  limitranges: ['LimitRange', true],
  resourcequotas: ['ResourceQuota', true],
  poddisruptionbudgets: ['PodDisruptionBudget', true],
  storageclasses: ['StorageClass', false],
  clusterroles: ['ClusterRole', false],
  clusterrolebindings: ['ClusterRoleBinding', false],
  roles: ['Role', true],
  rolebindings: ['RoleBinding', true],
  ingresses: ['Ingress', true],
  networkpolicies: ['NetworkPolicy', true],
  horizontalpodautoscalers: ['HorizontalPodAutoscaler', true],
  customresourcedefinitions: ['CustomResourceDefinition', false],
};

/** Kind for a plural resource (`replicasets` → `ReplicaSet`), guessed for unknown ones. */
export function kindForResource(resource: string): string {
  const k = KINDS[resource];
  if (k) return k[0];
  const singular = resource.endsWith('s') ? resource.slice(0, -1) : resource;
  return singular.charAt(0).toUpperCase() + singular.slice(1);
}

/** `apiVersion` string for a GVR (`apps/v1`, or `v1` for the core group). */
export function apiVersionFor(gvr: GroupVersionResource): string {
  return gvr.group ? `${gvr.group}/${gvr.version}` : gvr.version;
}


/** Whether a built-in resource is namespaced (unknown ones are assumed namespaced). */
export function isNamespacedResource(resource: string): boolean {
  return KINDS[resource]?.[1] ?? true;
}

/**
 * GVR for an ownerReference's apiVersion + kind among the built-ins (`apps/v1` + `ReplicaSet` →
 * apps/v1/replicasets), or undefined when the kind is unknown.
 */
export function gvrForKind(apiVersion: string, kind: string): GroupVersionResource | undefined {
  const i = apiVersion.indexOf('/');
  const group = i < 0 ? '' : apiVersion.slice(0, i);
  const version = i < 0 ? apiVersion : apiVersion.slice(i + 1);
  for (const [resource, [k]] of Object.entries(KINDS)) if (k === kind) return { group, version, resource };
  return undefined;
}
