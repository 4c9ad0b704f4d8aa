/**
 * Strategic-merge-patch metadata per kind: which fields merge lists by a key, which replace, which retain keys.
 *
 * Upstream reads this from Go struct tags (`patchStrategy:"merge" patchMergeKey:"name"` in k8s.io/api types.go)
 * or from OpenAPI `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`. Skiff has no Go types, so the
 * relevant tags are written down here as a table. A field that is not described has no strategy: objects merge
 * key by key, lists are replaced (exactly upstream's default for untagged fields).
 */

/** `patchStrategy` as written in upstream struct tags (comma-separated when several). */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

/** Patch metadata of one field (`PatchMeta` + the schema of its value). */
export interface PatchField {
  /** Upstream `patchStrategy`; absent = none (lists replaced, objects merged). */
  strategy?: PatchStrategy;
  /** Upstream `patchMergeKey` for lists of objects merged by key. */
  mergeKey?: string;
  /** Schema of the value (for an object field) or of each element (for a list field). */
  schema?: PatchSchema;
}

/**
 * Schema of an object: its described fields, and for map-typed values (`map[string]T`) the schema of the values.
 * Schemas may be recursive (a field's schema can be an ancestor), e.g. upstream's test type `mergeItem`.
 */
export interface PatchSchema {
  /** Name for error messages (upstream prints the Go type name). */
  name?: string;
  fields?: Record<string, PatchField>;
  /** For map[string]T objects: schema applying to every value. */
  values?: PatchField;
}

/** Looks up the metadata of `key` in `schema` (undefined schema or key = no metadata). */
export function lookupPatchField(schema: PatchSchema | undefined, key: string): PatchField {
  if (!schema) return {};
  return schema.fields?.[key] ?? schema.values ?? {};
}

// ---------------------------------------------------------------------------------------------
// meta/v1
// ---------------------------------------------------------------------------------------------

/** meta/v1 ObjectMeta: finalizers (merge, primitive), ownerReferences (merge by uid). */
export const objectMetaSchema: PatchSchema = {
  name: 'ObjectMeta',
  fields: {
    finalizers: { strategy: 'merge' },
    ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
  },
};

const conditionsByType: PatchField = { strategy: 'merge', mergeKey: 'type' };

// ---------------------------------------------------------------------------------------------
// core/v1
// ---------------------------------------------------------------------------------------------

/** core/v1 Container (and EphemeralContainer): ports by containerPort, env by name, mounts by mountPath/devicePath. */
export const containerSchema: PatchSchema = {
  name: 'Container',
  fields: {
    ports: { strategy: 'merge', mergeKey: 'containerPort' },
    env: { strategy: 'merge', mergeKey: 'name' },
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
    volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
    // envFrom, command, args, resizePolicy: no strategy (replaced as a whole)
  },
};

/** core/v1 PodSpec. tolerations, readinessGates have no strategy upstream (replaced). */
export const podSpecSchema: PatchSchema = {
  name: 'PodSpec',
  fields: {
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    initContainers: { strategy: 'merge', mergeKey: 'name', schema: containerSchema },
    containers: { strategy: 'merge', mergeKey: 'name', schema: containerSchema },
    ephemeralContainers: { strategy: 'merge', mergeKey: 'name', schema: containerSchema },
    imagePullSecrets: { strategy: 'merge', mergeKey: 'name' },
    hostAliases: { strategy: 'merge', mergeKey: 'ip' },
    topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey' },
    schedulingGates: { strategy: 'merge', mergeKey: 'name' },
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
};

/** core/v1 PodStatus: conditions by type, podIPs/hostIPs by ip. */
export const podStatusSchema: PatchSchema = {
  name: 'PodStatus',
  fields: {
    conditions: conditionsByType,
    podIPs: { strategy: 'merge', mergeKey: 'ip' },
    hostIPs: { strategy: 'merge', mergeKey: 'ip' },
    resourceClaimStatuses: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
};

/** core/v1 PodTemplateSpec: metadata + PodSpec. */
export const podTemplateSpecSchema: PatchSchema = {
  name: 'PodTemplateSpec',
  fields: { metadata: { schema: objectMetaSchema }, spec: { schema: podSpecSchema } },
};

function kindSchema(name: string, spec?: PatchSchema, status?: PatchSchema, extra: Record<string, PatchField> = {}): PatchSchema {
  const fields: Record<string, PatchField> = { metadata: { schema: objectMetaSchema }, ...extra };
  if (spec) fields.spec = { schema: spec };
  if (status) fields.status = { schema: status };
  return { name, fields };
}

const conditionsStatus = (name: string): PatchSchema => ({ name, fields: { conditions: conditionsByType } });

/** Workload spec with a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, RC). */
const templatedSpec = (name: string, extra: Record<string, PatchField> = {}): PatchSchema => ({
  name,
  fields: { template: { schema: podTemplateSpecSchema }, ...extra },
});

const podSchema = kindSchema('Pod', podSpecSchema, podStatusSchema);
const nodeSchema = kindSchema(
  'Node',
  { name: 'NodeSpec', fields: { podCIDRs: { strategy: 'merge' } } },
  { name: 'NodeStatus', fields: { conditions: conditionsByType, addresses: { strategy: 'merge', mergeKey: 'type' } } },
);
const serviceSchema = kindSchema(
  'Service',
  { name: 'ServiceSpec', fields: { ports: { strategy: 'merge', mergeKey: 'port' } } },
  conditionsStatus('ServiceStatus'),
);
const deploymentSchema = kindSchema(
  'Deployment',
  templatedSpec('DeploymentSpec', { strategy: { strategy: 'retainKeys' } }),
  conditionsStatus('DeploymentStatus'),
);
const jobSpecSchema = templatedSpec('JobSpec');
const cronJobSchema = kindSchema('CronJob', {
  name: 'CronJobSpec',
  fields: { jobTemplate: { schema: { name: 'JobTemplateSpec', fields: { metadata: { schema: objectMetaSchema }, spec: { schema: jobSpecSchema } } } } },
});

/** Upstream's strategicpatch test type `mergeItem` (patch_test.go), used by shared/cases/strategic-merge-patch.json. */
export const mergeItemSchema: PatchSchema = { name: 'mergeItem', fields: {} };
const retainKeysMergeItemSchema: PatchSchema = {
  name: 'retainKeysMergeItem',
  fields: {
    simpleMap: {},
    mergingIntList: { strategy: 'merge' },
    mergingList: { strategy: 'merge', mergeKey: 'name', schema: mergeItemSchema },
    nonMergingList: { schema: mergeItemSchema },
  },
};
Object.assign(mergeItemSchema.fields!, {
  mergingList: { strategy: 'merge', mergeKey: 'name', schema: mergeItemSchema },
  nonMergingList: { schema: mergeItemSchema },
  mergingIntList: { strategy: 'merge' },
  nonMergingIntList: {},
  mergeItemPtr: { strategy: 'merge', mergeKey: 'name', schema: mergeItemSchema },
  simpleMap: {},
  replacingItem: { strategy: 'replace' },
  retainKeysMap: { strategy: 'retainKeys', schema: retainKeysMergeItemSchema },
  retainKeysMergingList: { strategy: 'merge,retainKeys', mergeKey: 'name', schema: mergeItemSchema },
} satisfies Record<string, PatchField>);

/** Root schemas by `apiVersion/kind` (core group as `v1/Kind`). */
const table: Record<string, PatchSchema> = {
  'v1/Pod': podSchema,
  'v1/PodTemplate': kindSchema('PodTemplate', undefined, undefined, { template: { schema: podTemplateSpecSchema } }),
  'v1/ReplicationController': kindSchema('ReplicationController', templatedSpec('ReplicationControllerSpec'), conditionsStatus('ReplicationControllerStatus')),
  'v1/Node': nodeSchema,
  'v1/Service': serviceSchema,
  'v1/Namespace': kindSchema('Namespace', undefined, conditionsStatus('NamespaceStatus')),
  'v1/PersistentVolumeClaim': kindSchema('PersistentVolumeClaim', undefined, conditionsStatus('PersistentVolumeClaimStatus')),
  'v1/PersistentVolume': kindSchema('PersistentVolume'),
  'v1/ConfigMap': kindSchema('ConfigMap'),
  'v1/Secret': kindSchema('Secret'),
  'v1/ServiceAccount': kindSchema('ServiceAccount', undefined, undefined, { secrets: { strategy: 'merge', mergeKey: 'name' } }),
  'v1/Endpoints': kindSchema('Endpoints'),
  'v1/Event': kindSchema('Event'),
  'events.k8s.io/v1/Event': kindSchema('Event'),
  'v1/LimitRange': kindSchema('LimitRange'),
  'v1/ResourceQuota': kindSchema('ResourceQuota'),
  'apps/v1/Deployment': deploymentSchema,
  'apps/v1/ReplicaSet': kindSchema('ReplicaSet', templatedSpec('ReplicaSetSpec'), conditionsStatus('ReplicaSetStatus')),
  'apps/v1/StatefulSet': kindSchema('StatefulSet', templatedSpec('StatefulSetSpec'), conditionsStatus('StatefulSetStatus')),
  'apps/v1/DaemonSet': kindSchema('DaemonSet', templatedSpec('DaemonSetSpec'), conditionsStatus('DaemonSetStatus')),
  'apps/v1/ControllerRevision': kindSchema('ControllerRevision'),
  'batch/v1/Job': kindSchema('Job', jobSpecSchema, conditionsStatus('JobStatus')),
  'batch/v1/CronJob': cronJobSchema,
  'policy/v1/PodDisruptionBudget': kindSchema('PodDisruptionBudget', undefined, conditionsStatus('PodDisruptionBudgetStatus')),
  'coordination.k8s.io/v1/Lease': kindSchema('Lease'),
  'discovery.k8s.io/v1/EndpointSlice': kindSchema('EndpointSlice'),
  'networking.k8s.io/v1/Ingress': kindSchema('Ingress'),
  'networking.k8s.io/v1/NetworkPolicy': kindSchema('NetworkPolicy'),
  'rbac.authorization.k8s.io/v1/Role': kindSchema('Role'),
  'rbac.authorization.k8s.io/v1/ClusterRole': kindSchema('ClusterRole'),
  'rbac.authorization.k8s.io/v1/RoleBinding': kindSchema('RoleBinding'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': kindSchema('ClusterRoleBinding'),
  'scheduling.k8s.io/v1/PriorityClass': kindSchema('PriorityClass'),
  'storage.k8s.io/v1/StorageClass': kindSchema('StorageClass'),
  'autoscaling/v1/HorizontalPodAutoscaler': kindSchema('HorizontalPodAutoscaler'),
  'autoscaling/v2/HorizontalPodAutoscaler': kindSchema('HorizontalPodAutoscaler', undefined, conditionsStatus('HorizontalPodAutoscalerStatus')),
};

/**
 * Strategic-merge schema of a built-in kind, e.g. `patchMetaFor('apps/v1', 'Deployment')`.
 * @returns undefined for kinds Skiff does not describe (custom resources): the apiserver then rejects
 *   `application/strategic-merge-patch+json` with 415 as upstream does for CRDs, or falls back to JSON merge patch.
 */
export function patchMetaFor(apiVersion: string, kind: string): PatchSchema | undefined {
  return table[`${apiVersion}/${kind}`];
}

/** All `apiVersion/kind` pairs with a strategic-merge schema. */
export function describedKinds(): string[] {
  return Object.keys(table);
}
