/**
 * The resource table: every served resource with its group/version, kind, scope, verbs, short
 * names, categories, subresources, strategy and Table printer. Discovery, OpenAPI, routing and
 * `kubectl get` columns derive from it. Values follow upstream's discovery documents
 * (`kubectl api-resources` of a 1.32 cluster) and pkg/registry/<group>/<resource>/storage.
 */
import type { ResourceInfo, StatusStrategy, StorageCodec, Strategy, TableConvertor } from './resource-types.ts';
import { defaultTableConvertor } from './common/table.ts';
import { bindingStrategy } from './core/v1/binding/strategy.ts';
import { configMapStrategy } from './core/v1/configmap/strategy.ts';
import { configMapTable } from './core/v1/configmap/printer.ts';
import { endpointsStrategy } from './core/v1/endpoints/strategy.ts';
import { endpointsTable } from './core/v1/endpoints/printer.ts';
import { eventSelectableFields, eventStrategy } from './core/v1/event/strategy.ts';
import { eventTable } from './core/v1/event/printer.ts';
import { namespaceStatusStrategy, namespaceStrategy } from './core/v1/namespace/strategy.ts';
import { namespaceTable } from './core/v1/namespace/printer.ts';
import { nodeStatusStrategy, nodeStrategy } from './core/v1/node/strategy.ts';
import { nodeTable } from './core/v1/node/printer.ts';
import { podSelectableFields, podStatusStrategy, podStrategy } from './core/v1/pod/strategy.ts';
import { podTable } from './core/v1/pod/printer.ts';
import { secretStrategy } from './core/v1/secret/strategy.ts';
import { secretTable } from './core/v1/secret/printer.ts';
import { serviceStatusStrategy, serviceStrategy } from './core/v1/service/strategy.ts';
import { serviceTable } from './core/v1/service/printer.ts';
import { serviceAccountStrategy } from './core/v1/serviceaccount/strategy.ts';
import { serviceAccountTable } from './core/v1/serviceaccount/printer.ts';
import { persistentVolumeStatusStrategy, persistentVolumeStrategy } from './core/v1/persistentvolume/strategy.ts';
import { persistentVolumeTable } from './core/v1/persistentvolume/printer.ts';
import { persistentVolumeClaimStatusStrategy, persistentVolumeClaimStrategy } from './core/v1/persistentvolumeclaim/strategy.ts';
import { persistentVolumeClaimTable } from './core/v1/persistentvolumeclaim/printer.ts';
import { storageClassStrategy } from './storage/v1/storageclass/strategy.ts';
import { storageClassTable } from './storage/v1/storageclass/printer.ts';
import { leaseStrategy } from './coordination/v1/lease/strategy.ts';
import { leaseTable } from './coordination/v1/lease/printer.ts';
import { replicaSetStatusStrategy, replicaSetStrategy } from './apps/v1/replicaset/strategy.ts';
import { replicaSetTable } from './apps/v1/replicaset/printer.ts';
import { controllerRevisionStrategy } from './apps/v1/controllerrevision/strategy.ts';
import { controllerRevisionTable } from './apps/v1/controllerrevision/printer.ts';
import { daemonSetStatusStrategy, daemonSetStrategy } from './apps/v1/daemonset/strategy.ts';
import { daemonSetTable } from './apps/v1/daemonset/printer.ts';
import { deploymentStatusStrategy, deploymentStrategy } from './apps/v1/deployment/strategy.ts';
import { deploymentTable } from './apps/v1/deployment/printer.ts';
import { statefulSetStatusStrategy, statefulSetStrategy } from './apps/v1/statefulset/strategy.ts';
import { statefulSetTable } from './apps/v1/statefulset/printer.ts';
import { endpointSliceStrategy } from './discovery/v1/endpointslice/strategy.ts';
import { endpointSliceTable } from './discovery/v1/endpointslice/printer.ts';
import { jobStatusStrategy, jobStrategy } from './batch/v1/job/strategy.ts';
import { jobTable } from './batch/v1/job/printer.ts';
import { cronJobStatusStrategy, cronJobStrategy } from './batch/v1/cronjob/strategy.ts';
import { cronJobTable } from './batch/v1/cronjob/printer.ts';
import { roleStrategy } from './rbac/v1/role/strategy.ts';
import { roleTable } from './rbac/v1/role/printer.ts';
import { clusterRoleStrategy } from './rbac/v1/clusterrole/strategy.ts';
import { clusterRoleTable } from './rbac/v1/clusterrole/printer.ts';
import { roleBindingStrategy } from './rbac/v1/rolebinding/strategy.ts';
import { roleBindingTable } from './rbac/v1/rolebinding/printer.ts';
import { clusterRoleBindingStrategy } from './rbac/v1/clusterrolebinding/strategy.ts';
import { clusterRoleBindingTable } from './rbac/v1/clusterrolebinding/printer.ts';
import { selfSubjectAccessReviewStrategy, selfSubjectRulesReviewStrategy, subjectAccessReviewStrategy } from './authorization/v1/reviews.ts';
import { selfSubjectReviewStrategy } from './authentication/v1/selfsubjectreview.ts';
import { tokenReviewStrategy } from './authentication/v1/tokenreview.ts';
import { replicationControllerStatusStrategy, replicationControllerStrategy } from './core/v1/replicationcontroller/strategy.ts';
import { replicationControllerTable } from './core/v1/replicationcontroller/printer.ts';
import { limitRangeStrategy } from './core/v1/limitrange/strategy.ts';
import { limitRangeTable } from './core/v1/limitrange/printer.ts';
import { podTemplateStrategy } from './core/v1/podtemplate/strategy.ts';
import { podTemplateTable } from './core/v1/podtemplate/printer.ts';
import { resourceQuotaStatusStrategy, resourceQuotaStrategy } from './core/v1/resourcequota/strategy.ts';
import { resourceQuotaTable } from './core/v1/resourcequota/printer.ts';
import { eventV1SelectableFields, eventV1Strategy } from './events/v1/event/strategy.ts';
import { eventV1Table } from './events/v1/event/printer.ts';
import { eventV1StorageCodec } from './events/v1/event/conversion.ts';

/** Verbs of an ordinary CRUD resource. */
export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Verbs of a `/status` or `/scale` subresource. */
const STATUS_VERBS = ['get', 'patch', 'update'];

/** Inputs of {@link defineResource}: a ResourceInfo minus the derivable fields. */
export interface ResourceDef {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  /** Subresources; group/version default to the resource's. */
  subresources?: SubresourceDef[];
  strategy: Strategy;
  statusStrategy?: StatusStrategy;
  table?: TableConvertor;
  selectableFields?: string[];
  /** A version stored in another version's shape (events.k8s.io/v1 over core/v1 events). */
  storageCodec?: StorageCodec;
}

/** A subresource entry of {@link ResourceDef}. */
export interface SubresourceDef {
  name: string;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

/**
 * Builds a ResourceInfo: listKind `<Kind>List`, verbs default to {@link STANDARD_VERBS}, empty
 * short names/categories, subresources inheriting the group/version, the default Name/Age
 * printer when no table is given. Use it to add a kind to {@link RESOURCES}.
 */
export function defineResource(d: ResourceDef): ResourceInfo {
  const info: ResourceInfo = {
    group: d.group,
    version: d.version,
    resource: d.resource,
    singular: d.singular,
    kind: d.kind,
    listKind: `${d.kind}List`,
    namespaced: d.namespaced,
    verbs: d.verbs ?? STANDARD_VERBS,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    subresources: (d.subresources ?? []).map((s) => ({
      name: s.name,
      kind: s.kind,
      group: s.group ?? d.group,
      version: s.version ?? d.version,
      verbs: s.verbs,
    })),
    strategy: d.strategy,
    table: d.table ?? defaultTableConvertor,
    selectableFields: d.selectableFields ?? [],
  };
  if (d.statusStrategy) info.statusStrategy = d.statusStrategy;
  if (d.storageCodec) info.storageCodec = d.storageCodec;
  return info;
}

/** Every served resource, core group first, then apps and coordination.k8s.io. */
export const RESOURCES: ResourceInfo[] = [
  defineResource({
    group: '', version: 'v1', resource: 'bindings', singular: 'binding', kind: 'Binding', namespaced: true,
    verbs: ['create'], strategy: bindingStrategy,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true,
    shortNames: ['cm'], strategy: configMapStrategy, table: configMapTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true,
    shortNames: ['ep'], strategy: endpointsStrategy, table: endpointsTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true,
    shortNames: ['ev'], strategy: eventStrategy, table: eventTable, selectableFields: eventSelectableFields,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'limitranges', singular: 'limitrange', kind: 'LimitRange', namespaced: true,
    shortNames: ['limits'], strategy: limitRangeStrategy, table: limitRangeTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'],
    subresources: [
      { name: 'finalize', kind: 'Namespace', verbs: ['update'] },
      { name: 'status', kind: 'Namespace', verbs: STATUS_VERBS },
    ],
    strategy: namespaceStrategy, statusStrategy: namespaceStatusStrategy, table: namespaceTable, selectableFields: ['status.phase'],
  }),
  defineResource({
    group: '', version: 'v1', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false,
    shortNames: ['no'],
    subresources: [
      { name: 'status', kind: 'Node', verbs: STATUS_VERBS },
    ],
    strategy: nodeStrategy, statusStrategy: nodeStatusStrategy, table: nodeTable, selectableFields: ['spec.unschedulable'],
  }),
  defineResource({
    group: '', version: 'v1', resource: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', kind: 'PersistentVolumeClaim', namespaced: true,
    shortNames: ['pvc'],
    subresources: [{ name: 'status', kind: 'PersistentVolumeClaim', verbs: STATUS_VERBS }],
    strategy: persistentVolumeClaimStrategy, statusStrategy: persistentVolumeClaimStatusStrategy, table: persistentVolumeClaimTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'persistentvolumes', singular: 'persistentvolume', kind: 'PersistentVolume', namespaced: false,
    shortNames: ['pv'],
    subresources: [{ name: 'status', kind: 'PersistentVolume', verbs: STATUS_VERBS }],
    strategy: persistentVolumeStrategy, statusStrategy: persistentVolumeStatusStrategy, table: persistentVolumeTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true,
    shortNames: ['po'], categories: ['all'],
    subresources: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      { name: 'status', kind: 'Pod', verbs: STATUS_VERBS },
    ],
    strategy: podStrategy, statusStrategy: podStatusStrategy, table: podTable, selectableFields: podSelectableFields,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'podtemplates', singular: 'podtemplate', kind: 'PodTemplate', namespaced: true,
    strategy: podTemplateStrategy, table: podTemplateTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'replicationcontrollers', singular: 'replicationcontroller', kind: 'ReplicationController', namespaced: true,
    shortNames: ['rc'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'ReplicationController', verbs: STATUS_VERBS },
    ],
    strategy: replicationControllerStrategy, statusStrategy: replicationControllerStatusStrategy, table: replicationControllerTable, selectableFields: ['status.replicas'],
  }),
  defineResource({
    group: '', version: 'v1', resource: 'resourcequotas', singular: 'resourcequota', kind: 'ResourceQuota', namespaced: true,
    shortNames: ['quota'],
    subresources: [{ name: 'status', kind: 'ResourceQuota', verbs: STATUS_VERBS }],
    strategy: resourceQuotaStrategy, statusStrategy: resourceQuotaStatusStrategy, table: resourceQuotaTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true,
    strategy: secretStrategy, table: secretTable, selectableFields: ['type'],
  }),
  defineResource({
    group: '', version: 'v1', resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true,
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
    strategy: serviceAccountStrategy, table: serviceAccountTable,
  }),
  defineResource({
    group: '', version: 'v1', resource: 'services', singular: 'service', kind: 'Service', namespaced: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['svc'], categories: ['all'],
    subresources: [
      { name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      { name: 'status', kind: 'Service', verbs: STATUS_VERBS },
    ],
    strategy: serviceStrategy, statusStrategy: serviceStatusStrategy, table: serviceTable, selectableFields: ['spec.clusterIP', 'spec.type'],
  }),
  defineResource({
    group: 'apps', version: 'v1', resource: 'controllerrevisions', singular: 'controllerrevision', kind: 'ControllerRevision', namespaced: true,
    strategy: controllerRevisionStrategy, table: controllerRevisionTable,
  }),
  defineResource({
    group: 'apps', version: 'v1', resource: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true,
    shortNames: ['ds'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'DaemonSet', verbs: STATUS_VERBS }],
    strategy: daemonSetStrategy, statusStrategy: daemonSetStatusStrategy, table: daemonSetTable,
  }),
  defineResource({
    group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true,
    shortNames: ['deploy'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'Deployment', verbs: STATUS_VERBS },
    ],
    strategy: deploymentStrategy, statusStrategy: deploymentStatusStrategy, table: deploymentTable,
  }),
  defineResource({
    group: 'apps', version: 'v1', resource: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true,
    shortNames: ['rs'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'ReplicaSet', verbs: STATUS_VERBS },
    ],
    strategy: replicaSetStrategy, statusStrategy: replicaSetStatusStrategy, table: replicaSetTable, selectableFields: ['status.replicas'],
  }),
  defineResource({
    group: 'apps', version: 'v1', resource: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true,
    shortNames: ['sts'], categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS },
      { name: 'status', kind: 'StatefulSet', verbs: STATUS_VERBS },
    ],
    strategy: statefulSetStrategy, statusStrategy: statefulSetStatusStrategy, table: statefulSetTable,
  }),
  defineResource({
    group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singular: 'lease', kind: 'Lease', namespaced: true,
    strategy: leaseStrategy, table: leaseTable,
  }),
  defineResource({
    group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true,
    strategy: endpointSliceStrategy, table: endpointSliceTable,
  }),
  defineResource({
    // Served from the core/v1 events' storage (/registry/events/), converted on read and write.
    group: 'events.k8s.io', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true,
    shortNames: ['ev'], strategy: eventV1Strategy, table: eventV1Table, selectableFields: eventV1SelectableFields,
    storageCodec: eventV1StorageCodec,
  }),
  defineResource({
    group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', singular: 'storageclass', kind: 'StorageClass', namespaced: false,
    shortNames: ['sc'], strategy: storageClassStrategy, table: storageClassTable,
  }),
  defineResource({
    group: 'batch', version: 'v1', resource: 'jobs', singular: 'job', kind: 'Job', namespaced: true,
    categories: ['all'],
    subresources: [{ name: 'status', kind: 'Job', verbs: STATUS_VERBS }],
    strategy: jobStrategy, statusStrategy: jobStatusStrategy, table: jobTable, selectableFields: ['status.successful'],
  }),
  defineResource({
    group: 'batch', version: 'v1', resource: 'cronjobs', singular: 'cronjob', kind: 'CronJob', namespaced: true,
    shortNames: ['cj'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'CronJob', verbs: STATUS_VERBS }],
    strategy: cronJobStrategy, statusStrategy: cronJobStatusStrategy, table: cronJobTable,
  }),
  defineResource({
    group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false,
    strategy: clusterRoleBindingStrategy, table: clusterRoleBindingTable,
  }),
  defineResource({
    group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false,
    strategy: clusterRoleStrategy, table: clusterRoleTable,
  }),
  defineResource({
    group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true,
    strategy: roleBindingStrategy, table: roleBindingTable,
  }),
  defineResource({
    group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', singular: 'role', kind: 'Role', namespaced: true,
    strategy: roleStrategy, table: roleTable,
  }),
  defineResource({
    group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', singular: 'localsubjectaccessreview', kind: 'LocalSubjectAccessReview', namespaced: true,
    verbs: ['create'], strategy: subjectAccessReviewStrategy,
  }),
  defineResource({
    group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false,
    verbs: ['create'], strategy: selfSubjectAccessReviewStrategy,
  }),
  defineResource({
    group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview', namespaced: false,
    verbs: ['create'], strategy: selfSubjectRulesReviewStrategy,
  }),
  defineResource({
    group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', singular: 'subjectaccessreview', kind: 'SubjectAccessReview', namespaced: false,
    verbs: ['create'], strategy: subjectAccessReviewStrategy,
  }),
  defineResource({
    group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview', namespaced: false,
    verbs: ['create'], strategy: selfSubjectReviewStrategy,
  }),
  defineResource({
    group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', singular: 'tokenreview', kind: 'TokenReview', namespaced: false,
    verbs: ['create'], strategy: tokenReviewStrategy,
  }),
];

const byResource = new Map<string, ResourceInfo>();
const byKind = new Map<string, ResourceInfo>();
for (const r of RESOURCES) {
  byResource.set(`${r.group}/${r.version}/${r.resource}`, r);
  byKind.set(`${r.group}/${r.version}/${r.kind}`, r);
}

/**
 * Looks a resource up by group, version and plural resource name (`('apps','v1','deployments')`).
 * @returns the ResourceInfo, or undefined when not served
 */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return byResource.get(`${group}/${version}/${resource}`);
}

/**
 * Looks a resource up by group, version and kind (`('', 'v1', 'Pod')`).
 * @returns the ResourceInfo, or undefined when not served
 */
export function findByKind(group: string, version: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${group}/${version}/${kind}`);
}

/**
 * Looks a resource up by `apiVersion` (`v1`, `apps/v1`) and kind, as found in a request body.
 * @returns the ResourceInfo, or undefined when not served
 */
export function findByAPIVersionKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const i = apiVersion.indexOf('/');
  return i < 0 ? findByKind('', apiVersion, kind) : findByKind(apiVersion.slice(0, i), apiVersion.slice(i + 1), kind);
}

/** The served group/versions, core (`''`/`v1`) first, in table order: `[{group, version}]`. */
export function servedGroupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const r of RESOURCES) {
    const k = `${r.group}/${r.version}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ group: r.group, version: r.version });
    }
  }
  return out;
}
