/**
 * Decoding of Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`)
 * for the kinds kubectl 1.32's typed generators send (`kubectl create namespace|configmap|secret|
 * serviceaccount|deployment|service|job|cronjob|quota|role|clusterrole|rolebinding|clusterrolebinding|
 * priorityclass|poddisruptionbudget|ingress`, KUBECTL.md §0.2), including `create job --from=cronjob/x`,
 * which sends the CronJob's (server-defaulted) job template back as a Job. Envelope: magic `k8s\0`, then a
 * `runtime.Unknown` {1: typeMeta{1 apiVersion, 2 kind}, 2: raw, 3: contentEncoding, 4: contentType};
 * `raw` is the object in the field numbering of k8s.io/api's generated.proto. Only the fields
 * listed in the schemas below are decoded (others are skipped); proto zero values of non-pointer
 * fields are dropped, as JSON's omitempty would. Go structs embedded with `json:",inline"` (VolumeSource,
 * ProbeHandler, IngressRuleValue) are merged into their parent. Other kinds → 415 (the client may
 * send JSON).
 */
import { newBadRequest, newUnsupportedMediaType } from '../../machinery/errors.ts';
import type { KubeObject } from '../../client/interface.ts';

/** Media type of Kubernetes protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'quantity' | 'intorstring';
interface FieldDef {
  name: string;
  /** A scalar type, a message schema name, or a map `map:<valueType>`. */
  type: Scalar | string;
  repeated?: boolean;
  /** Pointer field in Go (or a field without omitempty): keep zero values (replicas: 0, immutable: false). */
  keep?: boolean;
  /** Embedded with `json:",inline"`: the message's fields are merged into the parent object. */
  inline?: boolean;
}
type Schema = Record<number, FieldDef>;

const f = (name: string, type: string, opts: { repeated?: boolean; keep?: boolean; inline?: boolean } = {}): FieldDef => ({ name, type, ...opts });
const K = { keep: true };
const R = { repeated: true };

const SCHEMAS: Record<string, Schema> = {
  ObjectMeta: {
    1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 5: f('uid', 'string'), 6: f('resourceVersion', 'string'),
    7: f('generation', 'int'), 8: f('creationTimestamp', 'time'), 9: f('deletionTimestamp', 'time'), 10: f('deletionGracePeriodSeconds', 'int', { keep: true }),
    11: f('labels', 'map:string'), 12: f('annotations', 'map:string'), 13: f('ownerReferences', 'OwnerReference', { repeated: true }),
    14: f('finalizers', 'string', { repeated: true }),
  },
  OwnerReference: { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool', { keep: true }), 7: f('blockOwnerDeletion', 'bool', { keep: true }) },
  Namespace: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'NamespaceSpec'), 3: f('status', 'NamespaceStatus') },
  NamespaceSpec: { 1: f('finalizers', 'string', { repeated: true }) },
  NamespaceStatus: { 1: f('phase', 'string') },
  ConfigMap: { 1: f('metadata', 'ObjectMeta'), 2: f('data', 'map:string'), 3: f('binaryData', 'map:bytes'), 4: f('immutable', 'bool', { keep: true }) },
  Secret: { 1: f('metadata', 'ObjectMeta'), 2: f('data', 'map:bytes'), 3: f('type', 'string'), 4: f('stringData', 'map:string'), 5: f('immutable', 'bool', { keep: true }) },
  ServiceAccount: {
    1: f('metadata', 'ObjectMeta'), 2: f('secrets', 'ObjectReference', { repeated: true }), 3: f('imagePullSecrets', 'LocalObjectReference', { repeated: true }),
    4: f('automountServiceAccountToken', 'bool', { keep: true }),
  },
  ObjectReference: { 1: f('kind', 'string'), 2: f('namespace', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('resourceVersion', 'string'), 7: f('fieldPath', 'string') },
  LocalObjectReference: { 1: f('name', 'string') },
  Deployment: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'DeploymentSpec'), 3: f('status', 'Empty') },
  DeploymentSpec: {
    1: f('replicas', 'int', { keep: true }), 2: f('selector', 'LabelSelector'), 3: f('template', 'PodTemplateSpec'), 4: f('strategy', 'DeploymentStrategy'),
    5: f('minReadySeconds', 'int'), 6: f('revisionHistoryLimit', 'int', { keep: true }), 7: f('paused', 'bool'), 9: f('progressDeadlineSeconds', 'int', { keep: true }),
  },
  DeploymentStrategy: { 1: f('type', 'string'), 2: f('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: f('maxUnavailable', 'intorstring'), 2: f('maxSurge', 'intorstring') },
  LabelSelector: { 1: f('matchLabels', 'map:string'), 2: f('matchExpressions', 'LabelSelectorRequirement', { repeated: true }) },
  LabelSelectorRequirement: { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', { repeated: true }) },
  PodTemplateSpec: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'PodSpec') },
  PodSpec: {
    1: f('volumes', 'Volume', R), 2: f('containers', 'Container', R), 3: f('restartPolicy', 'string'), 4: f('terminationGracePeriodSeconds', 'int', K),
    5: f('activeDeadlineSeconds', 'int', K), 6: f('dnsPolicy', 'string'), 7: f('nodeSelector', 'map:string'), 8: f('serviceAccountName', 'string'),
    9: f('serviceAccount', 'string'), 10: f('nodeName', 'string'), 11: f('hostNetwork', 'bool'), 12: f('hostPID', 'bool'), 13: f('hostIPC', 'bool'),
    14: f('securityContext', 'PodSecurityContext'), 15: f('imagePullSecrets', 'LocalObjectReference', R), 16: f('hostname', 'string'),
    17: f('subdomain', 'string'), 19: f('schedulerName', 'string'), 20: f('initContainers', 'Container', R),
    21: f('automountServiceAccountToken', 'bool', K), 22: f('tolerations', 'Toleration', R), 24: f('priorityClassName', 'string'),
    25: f('priority', 'int', K), 29: f('runtimeClassName', 'string'), 30: f('enableServiceLinks', 'bool', K), 31: f('preemptionPolicy', 'string'),
  },
  PodSecurityContext: { 2: f('runAsUser', 'int', K), 3: f('runAsNonRoot', 'bool', K), 4: f('supplementalGroups', 'int', R), 5: f('fsGroup', 'int', K), 6: f('runAsGroup', 'int', K) },
  Toleration: { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('value', 'string'), 4: f('effect', 'string'), 5: f('tolerationSeconds', 'int', K) },
  Volume: { 1: f('name', 'string'), 2: f('volumeSource', 'VolumeSource', { inline: true }) },
  VolumeSource: {
    1: f('hostPath', 'HostPathVolumeSource'), 2: f('emptyDir', 'EmptyDirVolumeSource'), 6: f('secret', 'SecretVolumeSource'),
    10: f('persistentVolumeClaim', 'PersistentVolumeClaimVolumeSource'), 19: f('configMap', 'ConfigMapVolumeSource'),
  },
  HostPathVolumeSource: { 1: f('path', 'string'), 2: f('type', 'string', K) },
  EmptyDirVolumeSource: { 1: f('medium', 'string'), 2: f('sizeLimit', 'quantity') },
  SecretVolumeSource: { 1: f('secretName', 'string'), 2: f('items', 'KeyToPath', R), 3: f('defaultMode', 'int', K), 4: f('optional', 'bool', K) },
  ConfigMapVolumeSource: { 1: f('localObjectReference', 'LocalObjectReference', { inline: true }), 2: f('items', 'KeyToPath', R), 3: f('defaultMode', 'int', K), 4: f('optional', 'bool', K) },
  PersistentVolumeClaimVolumeSource: { 1: f('claimName', 'string'), 2: f('readOnly', 'bool') },
  KeyToPath: { 1: f('key', 'string'), 2: f('path', 'string'), 3: f('mode', 'int', K) },
  Container: {
    1: f('name', 'string'), 2: f('image', 'string'), 3: f('command', 'string', R), 4: f('args', 'string', R),
    5: f('workingDir', 'string'), 6: f('ports', 'ContainerPort', R), 7: f('env', 'EnvVar', R),
    8: f('resources', 'ResourceRequirements'), 9: f('volumeMounts', 'VolumeMount', R), 10: f('livenessProbe', 'Probe'),
    11: f('readinessProbe', 'Probe'), 12: f('lifecycle', 'Lifecycle'), 13: f('terminationMessagePath', 'string'), 14: f('imagePullPolicy', 'string'),
    15: f('securityContext', 'SecurityContext'), 16: f('stdin', 'bool'), 17: f('stdinOnce', 'bool'), 18: f('tty', 'bool'), 19: f('envFrom', 'EnvFromSource', R),
    20: f('terminationMessagePolicy', 'string'), 22: f('startupProbe', 'Probe'),
  },
  VolumeMount: { 1: f('name', 'string'), 2: f('readOnly', 'bool'), 3: f('mountPath', 'string'), 4: f('subPath', 'string'), 5: f('mountPropagation', 'string'), 6: f('subPathExpr', 'string') },
  Probe: {
    1: f('handler', 'ProbeHandler', { inline: true }), 2: f('initialDelaySeconds', 'int'), 3: f('timeoutSeconds', 'int'), 4: f('periodSeconds', 'int'),
    5: f('successThreshold', 'int'), 6: f('failureThreshold', 'int'), 7: f('terminationGracePeriodSeconds', 'int', K),
  },
  ProbeHandler: { 1: f('exec', 'ExecAction'), 2: f('httpGet', 'HTTPGetAction'), 3: f('tcpSocket', 'TCPSocketAction') },
  ExecAction: { 1: f('command', 'string', R) },
  HTTPGetAction: { 1: f('path', 'string'), 2: f('port', 'intorstring', K), 3: f('host', 'string'), 4: f('scheme', 'string') },
  TCPSocketAction: { 1: f('port', 'intorstring', K), 2: f('host', 'string') },
  ContainerPort: { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string'), 3: f('valueFrom', 'EnvVarSource') },
  EnvVarSource: { 1: f('fieldRef', 'ObjectFieldSelector'), 2: f('resourceFieldRef', 'ResourceFieldSelector'), 3: f('configMapKeyRef', 'KeySelector'), 4: f('secretKeyRef', 'KeySelector') },
  ObjectFieldSelector: { 1: f('apiVersion', 'string'), 2: f('fieldPath', 'string') },
  ResourceFieldSelector: { 1: f('containerName', 'string'), 2: f('resource', 'string'), 3: f('divisor', 'quantity') },
  // ConfigMapKeySelector / SecretKeySelector: LocalObjectReference inline, key, optional.
  KeySelector: { 1: f('localObjectReference', 'LocalObjectReference', { inline: true }), 2: f('key', 'string'), 3: f('optional', 'bool', K) },
  EnvFromSource: { 1: f('prefix', 'string'), 2: f('configMapRef', 'EnvFromRef'), 3: f('secretRef', 'EnvFromRef') },
  EnvFromRef: { 1: f('localObjectReference', 'LocalObjectReference', { inline: true }), 2: f('optional', 'bool', K) },
  SecurityContext: {
    1: f('capabilities', 'Capabilities'), 2: f('privileged', 'bool', K), 4: f('runAsUser', 'int', K), 5: f('runAsNonRoot', 'bool', K),
    6: f('readOnlyRootFilesystem', 'bool', K), 7: f('allowPrivilegeEscalation', 'bool', K), 8: f('runAsGroup', 'int', K),
  },
  Capabilities: { 1: f('add', 'string', R), 2: f('drop', 'string', R) },
  Lifecycle: { 1: f('postStart', 'LifecycleHandler'), 2: f('preStop', 'LifecycleHandler') },
  LifecycleHandler: { 1: f('exec', 'ExecAction'), 2: f('httpGet', 'HTTPGetAction'), 3: f('tcpSocket', 'TCPSocketAction'), 4: f('sleep', 'SleepAction') },
  SleepAction: { 1: f('seconds', 'int', K) },
  ResourceRequirements: { 1: f('limits', 'map:quantity'), 2: f('requests', 'map:quantity') },
  Service: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'ServiceSpec'), 3: f('status', 'Empty') },
  ServiceSpec: {
    1: f('ports', 'ServicePort', R), 2: f('selector', 'map:string'), 3: f('clusterIP', 'string'), 4: f('type', 'string'), 5: f('externalIPs', 'string', R),
    7: f('sessionAffinity', 'string'), 8: f('loadBalancerIP', 'string'), 9: f('loadBalancerSourceRanges', 'string', R), 10: f('externalName', 'string'),
    11: f('externalTrafficPolicy', 'string'), 12: f('healthCheckNodePort', 'int'), 13: f('publishNotReadyAddresses', 'bool'), 17: f('ipFamilyPolicy', 'string'),
    18: f('clusterIPs', 'string', R), 19: f('ipFamilies', 'string', R), 20: f('allocateLoadBalancerNodePorts', 'bool', K), 21: f('loadBalancerClass', 'string'),
    22: f('internalTrafficPolicy', 'string'),
  },
  ServicePort: { 1: f('name', 'string'), 2: f('protocol', 'string'), 3: f('port', 'int'), 4: f('targetPort', 'intorstring'), 5: f('nodePort', 'int'), 6: f('appProtocol', 'string') },
  // core/v1 ResourceQuota (kubectl create quota).
  ResourceQuota: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'ResourceQuotaSpec'), 3: f('status', 'Empty') },
  ResourceQuotaSpec: { 1: f('hard', 'map:quantity'), 2: f('scopes', 'string', R), 3: f('scopeSelector', 'ScopeSelector') },
  ScopeSelector: { 1: f('matchExpressions', 'ScopedResourceSelectorRequirement', R) },
  ScopedResourceSelectorRequirement: { 1: f('scopeName', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', R) },
  // batch/v1 (kubectl create job / cronjob / job --from=cronjob).
  Job: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'JobSpec'), 3: f('status', 'Empty') },
  JobSpec: {
    1: f('parallelism', 'int', K), 2: f('completions', 'int', K), 3: f('activeDeadlineSeconds', 'int', K), 4: f('selector', 'LabelSelector'),
    5: f('manualSelector', 'bool', K), 6: f('template', 'PodTemplateSpec'), 7: f('backoffLimit', 'int', K), 8: f('ttlSecondsAfterFinished', 'int', K),
    9: f('completionMode', 'string'), 10: f('suspend', 'bool', K), 12: f('backoffLimitPerIndex', 'int', K), 13: f('maxFailedIndexes', 'int', K),
    14: f('podReplacementPolicy', 'string'), 16: f('managedBy', 'string'),
  },
  CronJob: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'CronJobSpec'), 3: f('status', 'Empty') },
  CronJobSpec: {
    1: f('schedule', 'string'), 2: f('startingDeadlineSeconds', 'int', K), 3: f('concurrencyPolicy', 'string'), 4: f('suspend', 'bool', K),
    5: f('jobTemplate', 'JobTemplateSpec'), 6: f('successfulJobsHistoryLimit', 'int', K), 7: f('failedJobsHistoryLimit', 'int', K), 8: f('timeZone', 'string'),
  },
  JobTemplateSpec: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'JobSpec') },
  // rbac.authorization.k8s.io/v1 (kubectl create role / clusterrole / rolebinding / clusterrolebinding).
  Role: { 1: f('metadata', 'ObjectMeta'), 2: f('rules', 'PolicyRule', R) },
  ClusterRole: { 1: f('metadata', 'ObjectMeta'), 2: f('rules', 'PolicyRule', R), 3: f('aggregationRule', 'AggregationRule') },
  AggregationRule: { 1: f('clusterRoleSelectors', 'LabelSelector', R) },
  PolicyRule: { 1: f('verbs', 'string', R), 2: f('apiGroups', 'string', R), 3: f('resources', 'string', R), 4: f('resourceNames', 'string', R), 5: f('nonResourceURLs', 'string', R) },
  RoleBinding: { 1: f('metadata', 'ObjectMeta'), 2: f('subjects', 'Subject', R), 3: f('roleRef', 'RoleRef') },
  Subject: { 1: f('kind', 'string'), 2: f('apiGroup', 'string'), 3: f('name', 'string'), 4: f('namespace', 'string') },
  // RoleRef's fields have no omitempty upstream.
  RoleRef: { 1: f('apiGroup', 'string', K), 2: f('kind', 'string', K), 3: f('name', 'string', K) },
  // scheduling.k8s.io/v1 PriorityClass (kubectl create priorityclass); value has no omitempty.
  PriorityClass: { 1: f('metadata', 'ObjectMeta'), 2: f('value', 'int', K), 3: f('globalDefault', 'bool'), 4: f('description', 'string'), 5: f('preemptionPolicy', 'string') },
  // policy/v1 PodDisruptionBudget (kubectl create poddisruptionbudget).
  PodDisruptionBudget: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'PodDisruptionBudgetSpec'), 3: f('status', 'PodDisruptionBudgetStatus') },
  PodDisruptionBudgetSpec: { 1: f('minAvailable', 'intorstring', K), 2: f('selector', 'LabelSelector'), 3: f('maxUnavailable', 'intorstring', K), 4: f('unhealthyPodEvictionPolicy', 'string') },
  PodDisruptionBudgetStatus: {
    1: f('observedGeneration', 'int'), 3: f('disruptionsAllowed', 'int', K), 4: f('currentHealthy', 'int', K), 5: f('desiredHealthy', 'int', K), 6: f('expectedPods', 'int', K),
  },
  // networking.k8s.io/v1 Ingress (kubectl create ingress).
  Ingress: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'IngressSpec'), 3: f('status', 'Empty') },
  IngressSpec: { 1: f('defaultBackend', 'IngressBackend'), 2: f('tls', 'IngressTLS', R), 3: f('rules', 'IngressRule', R), 4: f('ingressClassName', 'string') },
  IngressBackend: { 3: f('resource', 'TypedLocalObjectReference'), 4: f('service', 'IngressServiceBackend') },
  TypedLocalObjectReference: { 1: f('apiGroup', 'string'), 2: f('kind', 'string', K), 3: f('name', 'string', K) },
  IngressServiceBackend: { 1: f('name', 'string'), 2: f('port', 'ServiceBackendPort') },
  ServiceBackendPort: { 1: f('name', 'string'), 2: f('number', 'int') },
  IngressTLS: { 1: f('hosts', 'string', R), 2: f('secretName', 'string') },
  IngressRule: { 1: f('host', 'string'), 2: f('ingressRuleValue', 'IngressRuleValue', { inline: true }) },
  IngressRuleValue: { 1: f('http', 'HTTPIngressRuleValue') },
  HTTPIngressRuleValue: { 1: f('paths', 'HTTPIngressPath', R) },
  HTTPIngressPath: { 1: f('path', 'string'), 2: f('backend', 'IngressBackend'), 3: f('pathType', 'string') },
  // authentication.k8s.io/v1 TokenRequest (kubectl create token) and TokenReview.
  TokenRequest: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'TokenRequestSpec'), 3: f('status', 'Empty') },
  TokenRequestSpec: { 1: f('audiences', 'string', R), 3: f('boundObjectRef', 'BoundObjectReference'), 4: f('expirationSeconds', 'int', K) },
  BoundObjectReference: { 1: f('kind', 'string'), 2: f('apiVersion', 'string'), 3: f('name', 'string'), 4: f('uid', 'string') },
  TokenReview: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'TokenReviewSpec'), 3: f('status', 'Empty') },
  TokenReviewSpec: { 1: f('token', 'string'), 2: f('audiences', 'string', R) },
  Empty: {},
};

/** apiVersion/kind pairs decodable from protobuf. */
const TOP_LEVEL: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment',
  'v1/ResourceQuota': 'ResourceQuota',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'RoleBinding',
  'scheduling.k8s.io/v1/PriorityClass': 'PriorityClass',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
};

class Reader {
  i = 0;
  constructor(readonly b: Uint8Array) {}
  done(): boolean {
    return this.i >= this.b.length;
  }
  varint(): bigint {
    let x = 0n;
    let s = 0n;
    for (let n = 0; n < 10; n++) {
      if (this.i >= this.b.length) throw newBadRequest('malformed protobuf body: truncated varint');
      const c = this.b[this.i++];
      x |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (!(c & 0x80)) return x;
    }
    throw newBadRequest('malformed protobuf body: varint too long');
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (len < 0 || this.i + len > this.b.length) throw newBadRequest('malformed protobuf body: length out of range');
    const out = this.b.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.i += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.i += 4;
    else throw newBadRequest(`malformed protobuf body: unsupported wire type ${wire}`);
    if (this.i > this.b.length) throw newBadRequest('malformed protobuf body: truncated field');
  }
}

const utf8 = new TextDecoder('utf-8');

function decodeScalar(type: string, r: Reader, wire: number): unknown {
  switch (type) {
    case 'string':
      if (wire !== 2) throw newBadRequest('malformed protobuf body: string field with wrong wire type');
      return utf8.decode(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'bool':
      return r.varint() !== 0n;
    case 'quantity': {
      const m = new Reader(r.bytes());
      let s = '';
      while (!m.done()) {
        const key = Number(m.varint());
        if (key >> 3 === 1 && (key & 7) === 2) s = utf8.decode(m.bytes());
        else m.skip(key & 7);
      }
      return s;
    }
    case 'intorstring': {
      const m = new Reader(r.bytes());
      let t = 0;
      let iv = 0;
      let sv = '';
      while (!m.done()) {
        const key = Number(m.varint());
        const fn = key >> 3;
        if (fn === 1) t = Number(m.varint());
        else if (fn === 2) iv = Number(BigInt.asIntN(32, m.varint()));
        else if (fn === 3 && (key & 7) === 2) sv = utf8.decode(m.bytes());
        else m.skip(key & 7);
      }
      return t === 1 ? sv : iv;
    }
    case 'time': {
      const m = new Reader(r.bytes());
      let secs = 0;
      while (!m.done()) {
        const key = Number(m.varint());
        if (key >> 3 === 1) secs = Number(BigInt.asIntN(64, m.varint()));
        else m.skip(key & 7);
      }
      return secs ? new Date(secs * 1000).toISOString().replace('.000Z', 'Z') : undefined;
    }
    default:
      return decodeMessage(type, r.bytes());
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === undefined;
}

function decodeMessage(schemaName: string, buf: Uint8Array): Record<string, unknown> {
  const schema = SCHEMAS[schemaName];
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done()) {
    const key = Number(r.varint());
    const num = key >> 3;
    const wire = key & 7;
    const def = schema?.[num];
    if (!def) {
      r.skip(wire);
      continue;
    }
    if (def.type.startsWith('map:')) {
      if (wire !== 2) throw newBadRequest('malformed protobuf body: map entry with wrong wire type');
      const entry = new Reader(r.bytes());
      let k = '';
      let v: unknown = def.type === 'map:string' || def.type === 'map:quantity' ? '' : '';
      while (!entry.done()) {
        const ek = Number(entry.varint());
        if (ek >> 3 === 1 && (ek & 7) === 2) k = utf8.decode(entry.bytes());
        else if (ek >> 3 === 2) v = decodeScalar(def.type.slice(4), entry, ek & 7);
        else entry.skip(ek & 7);
      }
      const map = (out[def.name] ??= {}) as Record<string, unknown>;
      map[k] = v;
      continue;
    }
    if (def.inline) {
      if (wire !== 2) throw newBadRequest('malformed protobuf body: embedded message with wrong wire type');
      Object.assign(out, decodeMessage(def.type, r.bytes()));
      continue;
    }
    if (def.repeated && def.type === 'int' && wire === 2) {
      // packed repeated varints
      const packed = new Reader(r.bytes());
      const list = (out[def.name] ??= []) as unknown[];
      while (!packed.done()) list.push(Number(BigInt.asIntN(64, packed.varint())));
      continue;
    }
    if (def.repeated && def.type === 'string' && wire !== 2) throw newBadRequest('malformed protobuf body');
    const v = decodeScalar(def.type, r, wire);
    if (def.repeated) ((out[def.name] ??= []) as unknown[]).push(v);
    else if (!isZero(v) || def.keep) {
      if (v !== undefined) out[def.name] = v;
    }
  }
  return out;
}

/**
 * Decodes a `k8s\0`-prefixed protobuf body into a JSON-shaped object with apiVersion and kind.
 * @throws 400 for malformed bytes; 415 for kinds this server cannot decode from protobuf.
 */
export function decodeK8sProtobuf(body: Uint8Array): KubeObject {
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0x00) {
    throw newBadRequest('malformed protobuf body: missing the k8s\\0 prefix');
  }
  const r = new Reader(body.subarray(4));
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array | undefined;
  let contentEncoding = '';
  while (!r.done()) {
    const key = Number(r.varint());
    const num = key >> 3;
    const wire = key & 7;
    if (num === 1 && wire === 2) {
      const tm = new Reader(r.bytes());
      while (!tm.done()) {
        const k = Number(tm.varint());
        if (k >> 3 === 1 && (k & 7) === 2) apiVersion = utf8.decode(tm.bytes());
        else if (k >> 3 === 2 && (k & 7) === 2) kind = utf8.decode(tm.bytes());
        else tm.skip(k & 7);
      }
    } else if (num === 2 && wire === 2) raw = r.bytes();
    else if (num === 3 && wire === 2) contentEncoding = utf8.decode(r.bytes());
    else r.skip(wire);
  }
  if (contentEncoding) throw newUnsupportedMediaType(PROTOBUF_MEDIA_TYPE, ['application/json', 'application/yaml']);
  const schema = TOP_LEVEL[`${apiVersion}/${kind}`];
  if (!schema || !raw) {
    throw newUnsupportedMediaType(`${PROTOBUF_MEDIA_TYPE} (${apiVersion} ${kind})`, ['application/json', 'application/yaml']);
  }
  return { apiVersion, kind, ...decodeMessage(schema, raw) };
}
