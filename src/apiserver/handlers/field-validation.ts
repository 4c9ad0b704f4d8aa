/**
 * A cheap stand-in for upstream's strict decoding (`fieldValidation=Strict`,
 * k8s.io/apimachinery/pkg/runtime/serializer/json strict mode): reports unknown fields at the top
 * level, in `metadata`, and in `spec` for the workload kinds whose spec fields are listed here.
 * Kinds not listed are only checked at top level/metadata when their top-level fields are known;
 * everything deeper is accepted (a full schema would come from OpenAPI).
 * Paths are reported as upstream prints them: `spec.replica`, `metadata.lables`.
 */

const OBJECT_META = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

const BASE = ['apiVersion', 'kind', 'metadata'];
const SPEC_STATUS = [...BASE, 'spec', 'status'];

/** Known top-level fields per kind. */
const TOP: Record<string, string[]> = {
  Pod: SPEC_STATUS, Deployment: SPEC_STATUS, ReplicaSet: SPEC_STATUS, StatefulSet: SPEC_STATUS, DaemonSet: SPEC_STATUS,
  Job: SPEC_STATUS, CronJob: SPEC_STATUS, Service: SPEC_STATUS, Namespace: SPEC_STATUS, Node: SPEC_STATUS,
  ReplicationController: SPEC_STATUS, PersistentVolume: SPEC_STATUS, PersistentVolumeClaim: SPEC_STATUS,
  HorizontalPodAutoscaler: SPEC_STATUS, PodDisruptionBudget: SPEC_STATUS, ResourceQuota: SPEC_STATUS, LimitRange: [...BASE, 'spec'],
  Lease: [...BASE, 'spec'], Scale: SPEC_STATUS,
  ConfigMap: [...BASE, 'data', 'binaryData', 'immutable'],
  Secret: [...BASE, 'data', 'stringData', 'type', 'immutable'],
  ServiceAccount: [...BASE, 'secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  Endpoints: [...BASE, 'subsets'],
  EndpointSlice: [...BASE, 'addressType', 'endpoints', 'ports'],
  Role: [...BASE, 'rules'], ClusterRole: [...BASE, 'rules', 'aggregationRule'],
  RoleBinding: [...BASE, 'subjects', 'roleRef'], ClusterRoleBinding: [...BASE, 'subjects', 'roleRef'],
  PriorityClass: [...BASE, 'value', 'globalDefault', 'description', 'preemptionPolicy'],
  StorageClass: [...BASE, 'provisioner', 'parameters', 'reclaimPolicy', 'mountOptions', 'allowVolumeExpansion', 'volumeBindingMode', 'allowedTopologies'],
  Event: [
    ...BASE, 'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime',
    'series', 'action', 'related', 'reportingComponent', 'reportingInstance',
  ],
};

const POD_TEMPLATE_SPEC_OWNERS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'];

/** Known `spec` fields per kind. */
const SPEC: Record<string, string[]> = {
  Deployment: ['replicas', 'selector', 'template', 'strategy', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds'],
  ReplicaSet: ['replicas', 'selector', 'template', 'minReadySeconds'],
  StatefulSet: [
    'replicas', 'selector', 'template', 'volumeClaimTemplates', 'serviceName', 'podManagementPolicy', 'updateStrategy',
    'revisionHistoryLimit', 'minReadySeconds', 'persistentVolumeClaimRetentionPolicy', 'ordinals',
  ],
  DaemonSet: ['selector', 'template', 'updateStrategy', 'minReadySeconds', 'revisionHistoryLimit'],
  Job: [
    'parallelism', 'completions', 'activeDeadlineSeconds', 'podFailurePolicy', 'successPolicy', 'backoffLimit', 'backoffLimitPerIndex',
    'maxFailedIndexes', 'selector', 'manualSelector', 'template', 'ttlSecondsAfterFinished', 'completionMode', 'suspend',
    'podReplacementPolicy', 'managedBy',
  ],
  Service: [
    'ports', 'selector', 'clusterIP', 'clusterIPs', 'type', 'externalIPs', 'sessionAffinity', 'loadBalancerIP', 'loadBalancerSourceRanges',
    'externalName', 'externalTrafficPolicy', 'healthCheckNodePort', 'publishNotReadyAddresses', 'sessionAffinityConfig', 'ipFamilies',
    'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'internalTrafficPolicy', 'trafficDistribution',
  ],
};

/** Known PodSpec fields (core/v1 PodSpec, 1.32). */
const POD_SPEC = new Set([
  'volumes', 'initContainers', 'containers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds',
  'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken',
  'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname',
  'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig',
  'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints',
  'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources',
]);

/** Known Container fields. */
const CONTAINER = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy',
  'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath',
  'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty', 'targetContainerName',
]);

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function checkPodSpec(spec: unknown, path: string, out: string[]): void {
  if (!isObj(spec)) return;
  for (const k of Object.keys(spec)) if (!POD_SPEC.has(k)) out.push(`${path}.${k}`);
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (!Array.isArray(cs)) continue;
    cs.forEach((c, i) => {
      if (!isObj(c)) return;
      for (const k of Object.keys(c)) if (!CONTAINER.has(k)) out.push(`${path}.${list}[${i}].${k}`);
    });
  }
}

function checkMeta(m: unknown, path: string, out: string[]): void {
  if (!isObj(m)) return;
  for (const k of Object.keys(m)) if (!OBJECT_META.has(k)) out.push(`${path}.${k}`);
}

/**
 * Returns the unknown field paths of `obj` (a decoded body of `kind`), in document order;
 * empty when none are found or the kind is not described here.
 */
export function strictUnknownFields(kind: string, obj: unknown): string[] {
  const out: string[] = [];
  if (!isObj(obj)) return out;
  const top = TOP[kind];
  if (top) for (const k of Object.keys(obj)) if (!top.includes(k)) out.push(k);
  checkMeta(obj.metadata, 'metadata', out);
  const specFields = SPEC[kind];
  const spec = obj.spec;
  if (specFields && isObj(spec)) {
    for (const k of Object.keys(spec)) if (!specFields.includes(k)) out.push(`spec.${k}`);
  }
  if (kind === 'Pod') checkPodSpec(spec, 'spec', out);
  if (POD_TEMPLATE_SPEC_OWNERS.includes(kind) && isObj(spec) && isObj(spec.template)) {
    checkMeta(spec.template.metadata, 'spec.template.metadata', out);
    checkPodSpec(spec.template.spec, 'spec.template.spec', out);
  }
  if (kind === 'CronJob' && isObj(spec) && isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) && isObj(spec.jobTemplate.spec.template)) {
    checkPodSpec(spec.jobTemplate.spec.template.spec, 'spec.jobTemplate.spec.template.spec', out);
  }
  return out;
}
