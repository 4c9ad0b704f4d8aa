/**
 * Decoding of Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`)
 * for the kinds kubectl 1.32's typed generators send (`kubectl create namespace|configmap|secret|
 * serviceaccount|deployment|service`, KUBECTL.md §0.2). Envelope: magic `k8s\0`, then a
 * `runtime.Unknown` {1: typeMeta{1 apiVersion, 2 kind}, 2: raw, 3: contentEncoding, 4: contentType};
 * `raw` is the object in the field numbering of k8s.io/api's generated.proto. Only the fields
 * listed in the schemas below are decoded (others are skipped); proto zero values of non-pointer
 * fields are dropped, as JSON's omitempty would. Other kinds → 415 (the client may send JSON).
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
  /** Pointer field in Go: keep zero values (replicas: 0, immutable: false). */
  keep?: boolean;
}
type Schema = Record<number, FieldDef>;

const f = (name: string, type: string, opts: { repeated?: boolean; keep?: boolean } = {}): FieldDef => ({ name, type, ...opts });

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
    2: f('containers', 'Container', { repeated: true }), 3: f('restartPolicy', 'string'), 4: f('terminationGracePeriodSeconds', 'int', { keep: true }),
    6: f('dnsPolicy', 'string'), 7: f('nodeSelector', 'map:string'), 8: f('serviceAccountName', 'string'), 10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'), 20: f('initContainers', 'Container', { repeated: true }),
  },
  Container: {
    1: f('name', 'string'), 2: f('image', 'string'), 3: f('command', 'string', { repeated: true }), 4: f('args', 'string', { repeated: true }),
    5: f('workingDir', 'string'), 6: f('ports', 'ContainerPort', { repeated: true }), 7: f('env', 'EnvVar', { repeated: true }),
    8: f('resources', 'ResourceRequirements'), 13: f('terminationMessagePath', 'string'), 14: f('imagePullPolicy', 'string'),
    20: f('terminationMessagePolicy', 'string'),
  },
  ContainerPort: { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string') },
  ResourceRequirements: { 1: f('limits', 'map:quantity'), 2: f('requests', 'map:quantity') },
  Service: { 1: f('metadata', 'ObjectMeta'), 2: f('spec', 'ServiceSpec'), 3: f('status', 'Empty') },
  ServiceSpec: { 1: f('ports', 'ServicePort', { repeated: true }), 2: f('selector', 'map:string'), 3: f('clusterIP', 'string'), 4: f('type', 'string') },
  ServicePort: { 1: f('name', 'string'), 2: f('protocol', 'string'), 3: f('port', 'int'), 4: f('targetPort', 'intorstring'), 5: f('nodePort', 'int') },
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
