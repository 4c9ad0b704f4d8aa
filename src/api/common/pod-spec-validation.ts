/**
 * Validation of PodSpec, containers, volumes, probes, env and tolerations, shared by Pod,
 * PodTemplateSpec (ReplicaSet, Deployment, …). Field paths and messages follow upstream's
 * pkg/apis/core/validation/validation.go (ValidatePodSpec, validateContainers,
 * validateContainerCommon, validateContainerPorts, ValidateEnv, ValidateVolumes,
 * ValidateVolumeMounts, validateProbe, validateHandler, ValidateTolerations,
 * ValidatePodTemplateSpec).
 */
import {
  FieldPath,
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
  type FieldError,
} from '../../machinery/errors.ts';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidGroupID,
  isValidPortNum,
  isValidUserID,
  nameIsDNSSubdomain,
  validateAnnotations,
  validateLabelName,
  validateLabelSelector,
  validateLabels,
  validateNonnegativeField,
} from '../../machinery/validation.ts';
import { arr, rec } from './meta.ts';
import { errFormatWrong, tryParseQuantity } from '../../machinery/quantity.ts';

type Path = FieldPath;

/**
 * `field.NotFound`: `Not found: "x"`. The FieldErrorType union in errors.ts has no NotFound
 * member yet; the reason string is upstream's (`FieldValueNotFound`).
 */
export function notFound(path: Path | string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound' as FieldError['type'], field: path.toString(), value };
}

/** `ValidateDNS1123Label`: one Invalid per message at `path`. */
export function validateDNS1123Label(value: string, path: Path): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}

const validateLabelSelectorLike = (sel: unknown, path: Path): FieldError[] => validateLabelSelector(rec(sel) as never, path);

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

/** `validateContainerPorts`: names (IANA_SVC_NAME, unique), containerPort required/valid, hostPort valid, protocol. */
export function validateContainerPorts(ports: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const port = rec(raw);
    const p = path.index(i);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(p.child('name'), name, m));
      else if (names.has(name)) errs.push(duplicate(p.child('name'), name));
      else names.add(name);
    }
    if (!port.containerPort) errs.push(required(p.child('containerPort'), ''));
    else for (const m of isValidPortNum(num(port.containerPort))) errs.push(invalid(p.child('containerPort'), port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(num(port.hostPort))) errs.push(invalid(p.child('hostPort'), port.hostPort, m));
    const proto = str(port.protocol);
    if (!proto) errs.push(required(p.child('protocol'), ''));
    else if (!supportedPortProtocols.includes(proto)) errs.push(notSupported(p.child('protocol'), proto, supportedPortProtocols));
  });
  return errs;
}

/** `AccumulateUniqueHostPorts`: a `hostIP/protocol/hostPort` triple may appear once across the containers. */
export function checkHostPortConflicts(containers: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(containers).forEach((c, ci) => {
    arr(rec(c).ports).forEach((raw, pi) => {
      const port = rec(raw);
      if (!port.hostPort) return;
      const key = `${str(port.hostIP)}/${str(port.protocol)}/${port.hostPort}`;
      const p = path.index(ci).child('ports').index(pi).child('hostPort');
      if (seen.has(key)) errs.push(duplicate(p, key));
      else seen.add(key);
    });
  });
  return errs;
}

const validEnvDownwardAPIFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function validateObjectFieldSelector(fs: Record<string, any>, expressions: string[], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = str(fs.apiVersion);
  const fieldPath = str(fs.fieldPath);
  if (!apiVersion) {
    errs.push(required(path.child('apiVersion'), ''));
    return errs;
  }
  if (!fieldPath) {
    errs.push(required(path.child('fieldPath'), ''));
    return errs;
  }
  const m = /^metadata\.(labels|annotations)\[(.+)\]$/.exec(fieldPath);
  if (m) {
    const key = m[2].replace(/^'(.*)'$/, '$1');
    const msgs = m[1] === 'labels' ? isQualifiedName(key) : isQualifiedName(key.toLowerCase());
    for (const msg of msgs) errs.push(invalid(path.child('fieldPath'), fieldPath, `invalid key: ${msg}`));
    return errs;
  }
  if (!expressions.includes(fieldPath)) errs.push(notSupported(path.child('fieldPath'), fieldPath, [...expressions].sort()));
  return errs;
}

function validateKeySelector(sel: Record<string, any>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sel.name);
  const key = str(sel.key);
  if (!name) errs.push(required(path.child('name'), ''));
  else for (const m of nameIsDNSSubdomain(name, false)) errs.push(invalid(path.child('name'), name, m));
  if (!key) errs.push(required(path.child('key'), ''));
  else for (const m of isConfigMapKey(key)) errs.push(invalid(path.child('key'), key, m));
  return errs;
}

/** `validateEnvVarValueFrom`: exactly one source, not together with `value`. */
function validateEnvVarValueFrom(ev: Record<string, any>, path: Path): FieldError[] {
  if (ev.valueFrom === undefined || ev.valueFrom === null) return [];
  const vf = rec(ev.valueFrom);
  const errs: FieldError[] = [];
  let n = 0;
  if (vf.fieldRef) {
    n++;
    errs.push(...validateObjectFieldSelector(rec(vf.fieldRef), validEnvDownwardAPIFieldPaths, path.child('fieldRef')));
  }
  if (vf.resourceFieldRef) {
    n++;
    if (!str(rec(vf.resourceFieldRef).resource)) errs.push(required(path.child('resourceFieldRef', 'resource'), ''));
  }
  if (vf.configMapKeyRef) {
    n++;
    errs.push(...validateKeySelector(rec(vf.configMapKeyRef), path.child('configMapKeyRef')));
  }
  if (vf.secretKeyRef) {
    n++;
    errs.push(...validateKeySelector(rec(vf.secretKeyRef), path.child('secretKeyRef')));
  }
  if (n === 0) errs.push(invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  else if (str(ev.value) !== '') errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  return errs;
}

/** `ValidateEnv`: name required and an env var name; valueFrom well-formed. */
export function validateEnv(env: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const ev = rec(raw);
    const p = path.index(i);
    const name = str(ev.name);
    if (!name) errs.push(required(p.child('name'), ''));
    for (const m of isEnvVarName(name)) errs.push(invalid(p.child('name'), name, m));
    errs.push(...validateEnvVarValueFrom(ev, p.child('valueFrom')));
  });
  return errs;
}

/** `ValidateEnvFrom`: prefix a valid env var name; exactly one of configMapRef/secretRef. */
export function validateEnvFrom(envFrom: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((raw, i) => {
    const ef = rec(raw);
    const p = path.index(i);
    if (str(ef.prefix)) for (const m of isEnvVarName(str(ef.prefix))) errs.push(invalid(p.child('prefix'), ef.prefix, m));
    let n = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      if (!ef[k]) continue;
      n++;
      const name = str(rec(ef[k]).name);
      if (!name) errs.push(required(p.child(k, 'name'), ''));
      else for (const m of nameIsDNSSubdomain(name, false)) errs.push(invalid(p.child(k, 'name'), name, m));
    }
    if (n === 0) errs.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(p, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/** All VolumeSource member names, for the "exactly one volume type" rule. */
const volumeSourceKeys = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

/** `validateVolumeSource` (the commonly used sources): exactly one type, required members present. */
function validateVolumeSource(v: Record<string, any>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of volumeSourceKeys) {
    if (v[k] === undefined || v[k] === null) continue;
    if (n > 0) {
      errs.push(forbidden(path.child(k), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const src = rec(v[k]);
    const p = path.child(k);
    switch (k) {
      case 'hostPath': {
        if (!str(src.path)) errs.push(required(p.child('path'), ''));
        const types = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
        if (src.type !== undefined && !types.includes(str(src.type))) errs.push(notSupported(p.child('type'), src.type, types));
        break;
      }
      case 'secret':
        if (!str(src.secretName)) errs.push(required(p.child('secretName'), ''));
        break;
      case 'configMap':
        if (!str(src.name)) errs.push(required(p.child('name'), ''));
        break;
      case 'persistentVolumeClaim':
        if (!str(src.claimName)) errs.push(required(p.child('claimName'), ''));
        break;
      case 'emptyDir':
        if (src.medium !== undefined && !['', 'Memory', 'HugePages'].includes(str(src.medium)) && !str(src.medium).startsWith('HugePages-')) {
          errs.push(notSupported(p.child('medium'), src.medium, ['', 'Memory', 'HugePages']));
        }
        break;
      case 'nfs':
        if (!str(src.server)) errs.push(required(p.child('server'), ''));
        if (!str(src.path)) errs.push(required(p.child('path'), ''));
        break;
      default:
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/**
 * `ValidateVolumes`: each volume named with a unique DNS-1123 label and exactly one source.
 * @returns the errors and the set of valid volume names (for volumeMounts).
 */
export function validateVolumes(volumes: unknown, path: Path): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(volumes).forEach((raw, i) => {
    const v = rec(raw);
    const p = path.index(i);
    const el = validateVolumeSource(v, p);
    const name = str(v.name);
    if (!name) el.push(required(p.child('name'), ''));
    else el.push(...validateDNS1123Label(name, p.child('name')));
    if (names.has(name)) el.push(duplicate(p.child('name'), name));
    if (el.length === 0) names.add(name);
    else errs.push(...el);
  });
  return { errs, names };
}

/** `ValidateVolumeMounts`: name required and matching a volume (`Not found`), mountPath required and unique. */
export function validateVolumeMounts(mounts: unknown, volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const points = new Set<string>();
  arr(mounts).forEach((raw, i) => {
    const m = rec(raw);
    const p = path.index(i);
    const name = str(m.name);
    if (!name) errs.push(required(p.child('name'), ''));
    if (!volumes.has(name)) errs.push(notFound(p.child('name'), name));
    const mp = str(m.mountPath);
    if (!mp) errs.push(required(p.child('mountPath'), ''));
    if (points.has(mp)) errs.push(invalid(p.child('mountPath'), mp, 'must be unique'));
    points.add(mp);
    const sub = str(m.subPath);
    if (sub) {
      if (sub.startsWith('/')) errs.push(invalid(path.child('subPath'), sub, 'must be a relative path'));
      if (sub.split('/').includes('..')) errs.push(invalid(path.child('subPath'), sub, "must not contain '..'"));
    }
  });
  return errs;
}

/** `ValidatePortNumOrName` for an IntOrString port. */
export function validatePortNumOrName(port: unknown, path: Path): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return [{ type: 'InternalError', field: path.toString(), detail: `unknown type: ${typeof port}` }];
}

/** `validateHandler`: exactly one of exec/httpGet/tcpSocket/grpc/sleep, each well-formed. */
function validateHandler(h: Record<string, any>, path: Path, allowed: string[]): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of allowed) {
    if (h[k] === undefined || h[k] === null) continue;
    if (n > 0) {
      errs.push(forbidden(path.child(k), 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const a = rec(h[k]);
    const p = path.child(k);
    switch (k) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(required(p.child('command'), ''));
        break;
      case 'httpGet': {
        if (!str(a.path)) errs.push(required(p.child('path'), ''));
        errs.push(...validatePortNumOrName(a.port, p.child('port')));
        const scheme = str(a.scheme);
        if (!['HTTP', 'HTTPS'].includes(scheme)) errs.push(notSupported(p.child('scheme'), scheme, ['HTTP', 'HTTPS']));
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(a.port, p.child('port')));
        break;
      case 'grpc':
        for (const m of isValidPortNum(num(a.port))) errs.push(invalid(p.child('port'), a.port, m));
        break;
      case 'sleep':
        if (num(a.seconds) < 0) errs.push(invalid(p.child('seconds'), a.seconds, 'must be non-negative'));
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

/** `validateProbe`: handler plus non-negative timings. */
export function validateProbe(probe: unknown, path: Path): FieldError[] {
  if (probe === undefined || probe === null) return [];
  const p = rec(probe);
  const errs = validateHandler(p, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegativeField(num(p[f]), path.child(f)));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null && num(p.terminationGracePeriodSeconds) <= 0) {
    errs.push(invalid(path.child('terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** Liveness and startup probes: `validateProbe` plus successThreshold must be 1. */
function validateProbeSuccessOne(probe: unknown, path: Path): FieldError[] {
  if (probe === undefined || probe === null) return [];
  const errs = validateProbe(probe, path);
  const st = rec(probe).successThreshold;
  if (st !== 1) errs.push(invalid(path.child('successThreshold'), st ?? 0, 'must be 1'));
  return errs;
}

/** `validatePullPolicy`. */
function validatePullPolicy(policy: unknown, path: Path): FieldError[] {
  const p = str(policy);
  if (['Always', 'IfNotPresent', 'Never'].includes(p)) return [];
  if (!p) return [required(path, '')];
  return [notSupported(path, p, ['Always', 'IfNotPresent', 'Never'])];
}

const standardContainerResources = ['cpu', 'memory', 'ephemeral-storage'];
const isHugePages = (n: string) => n.startsWith('hugepages-');
/** `helper.IsNativeResource`: no domain or a `kubernetes.io/` domain. */
const isNativeResource = (n: string) => !n.includes('/') || n.includes('kubernetes.io/');
/** `helper.IsOvercommitAllowed`: native and not huge pages. */
const isOvercommitAllowed = (n: string) => isNativeResource(n) && !isHugePages(n);

/** `validateContainerResourceName`. */
function validateContainerResourceName(name: string, path: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/')) {
    if (!standardContainerResources.includes(name) && !isHugePages(name)) errs.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/**
 * `ValidateResourceRequirements`: resource names, quantities parse and are ≥ 0, requests ≤
 * limits (`…resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`),
 * and requests equal to limits for non-overcommitable (extended, huge pages) resources.
 */
export function validateResourceRequirements(resources: unknown, path: Path): FieldError[] {
  const r = rec(resources);
  const limits = rec(r.limits);
  const requests = rec(r.requests);
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const errs: FieldError[] = [];
  const parsed = (v: unknown) => (typeof v === 'number' ? tryParseQuantity(String(v)) : typeof v === 'string' ? tryParseQuantity(v) : undefined);
  const checkValue = (name: string, v: unknown, p: Path) => {
    const qv = parsed(v);
    if (!qv) {
      errs.push(invalid(p, v, errFormatWrong));
      return undefined;
    }
    if (qv.sign() < 0) errs.push(invalid(p, qv.toString(), 'must be greater than or equal to 0'));
    return qv;
  };
  for (const name of Object.keys(limits).sort()) {
    errs.push(...validateContainerResourceName(name, limPath.key(name)));
    checkValue(name, limits[name], limPath.key(name));
  }
  for (const name of Object.keys(requests).sort()) {
    errs.push(...validateContainerResourceName(name, reqPath.key(name)));
    const qv = checkValue(name, requests[name], reqPath.key(name));
    if (!qv) continue;
    if (name in limits) {
      const lim = parsed(limits[name]);
      if (!lim) continue;
      if (qv.cmp(lim) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, qv.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
      } else if (qv.cmp(lim) > 0) {
        errs.push(invalid(reqPath, qv.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

/** Run-as IDs of a (pod or container) security context: `must be between 0 and 2147483647, inclusive`. */
function validateSecurityContextIDs(sc: Record<string, any>, path: Path, pod: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const id = (field: string, check: (n: number) => string[]) => {
    if (sc[field] === undefined || sc[field] === null) return;
    for (const m of check(Number(sc[field]))) errs.push(invalid(path.child(field), sc[field], m));
  };
  id('runAsUser', isValidUserID);
  id('runAsGroup', isValidGroupID);
  if (pod) {
    id('fsGroup', isValidGroupID);
    arr(sc.supplementalGroups).forEach((g, i) => {
      for (const m of isValidGroupID(Number(g))) errs.push(invalid(path.child('supplementalGroups').index(i), g, m));
    });
    arr(sc.sysctls).forEach((s, i) => {
      if (!rec(s).name) errs.push(required(path.child('sysctls').index(i).child('name'), ''));
    });
  }
  return errs;
}

/** `ValidateSecurityContext` (container): IDs, and privileged is incompatible with allowPrivilegeEscalation false. */
export function validateContainerSecurityContext(sc: unknown, path: Path): FieldError[] {
  if (sc === undefined || sc === null) return [];
  const s = rec(sc);
  const errs = validateSecurityContextIDs(s, path, false);
  if (s.allowPrivilegeEscalation === false && s.privileged === true) {
    errs.push(invalid(path, s, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  if (s.procMount !== undefined && s.procMount !== null && !['Default', 'Unmasked'].includes(s.procMount)) {
    errs.push(notSupported(path.child('procMount'), s.procMount, ['Default', 'Unmasked']));
  }
  return errs;
}

/** `validatePodSpecSecurityContext`: IDs (runAsUser, runAsGroup, fsGroup, supplementalGroups) and sysctl names. */
export function validatePodSecurityContext(sc: unknown, path: Path): FieldError[] {
  if (sc === undefined || sc === null) return [];
  return validateSecurityContextIDs(rec(sc), path, true);
}

/** `validateContainerCommon`: name, image, terminationMessagePolicy, ports, env, envFrom, volumeMounts, pull policy. */
function validateContainerCommon(c: Record<string, any>, volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(required(path.child('name'), ''));
  else errs.push(...validateDNS1123Label(name, path.child('name')));
  if (!str(c.image)) errs.push(required(path.child('image'), ''));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(required(path.child('terminationMessagePolicy'), "must be 'File' or 'FallbackToLogsOnError'"));
  else if (!['File', 'FallbackToLogsOnError'].includes(tmp)) {
    errs.push(notSupported(path.child('terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validateContainerPorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, path.child('volumeMounts')));
  errs.push(...validatePullPolicy(c.imagePullPolicy, path.child('imagePullPolicy')));
  errs.push(...validateResourceRequirements(c.resources, path.child('resources')));
  errs.push(...validateContainerSecurityContext(c.securityContext, path.child('securityContext')));
  return errs;
}

/** `validateContainers`: at least one; each valid; names unique; host ports unique. */
export function validateContainers(containers: unknown, volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(containers);
  if (list.length === 0) errs.push(required(path, ''));
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const c = rec(raw);
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    else names.add(name);
    const lc = rec(c.lifecycle);
    for (const hook of ['postStart', 'preStop']) {
      if (lc[hook]) errs.push(...validateHandler(rec(lc[hook]), p.child('lifecycle', hook), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
    }
    errs.push(...validateProbeSuccessOne(c.livenessProbe, p.child('livenessProbe')));
    errs.push(...validateProbe(c.readinessProbe, p.child('readinessProbe')));
    errs.push(...validateProbeSuccessOne(c.startupProbe, p.child('startupProbe')));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) errs.push(forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(list, path));
  return errs;
}

/**
 * `validateInitContainers`: like containers, names unique across init and regular containers;
 * regular init containers may not have probes/lifecycle; `restartPolicy` only `Always` (sidecars).
 */
export function validateInitContainers(initContainers: unknown, containers: unknown, volumes: Set<string>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>(arr(containers).map((c) => str(rec(c).name)));
  arr(initContainers).forEach((raw, i) => {
    const c = rec(raw);
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    else names.add(name);
    const sidecar = c.restartPolicy === 'Always';
    if (c.restartPolicy !== undefined && c.restartPolicy !== null && !sidecar) {
      errs.push(notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
    }
    if (sidecar) {
      errs.push(...validateProbeSuccessOne(c.livenessProbe, p.child('livenessProbe')));
      errs.push(...validateProbe(c.readinessProbe, p.child('readinessProbe')));
      errs.push(...validateProbeSuccessOne(c.startupProbe, p.child('startupProbe')));
    } else {
      if (c.lifecycle) errs.push(forbidden(p.child('lifecycle'), 'may not be set for init containers without restartPolicy=Always'));
      if (c.livenessProbe) errs.push(forbidden(p.child('livenessProbe'), 'may not be set for init containers without restartPolicy=Always'));
      if (c.readinessProbe) errs.push(forbidden(p.child('readinessProbe'), 'may not be set for init containers without restartPolicy=Always'));
      if (c.startupProbe) errs.push(forbidden(p.child('startupProbe'), 'may not be set for init containers without restartPolicy=Always'));
    }
  });
  errs.push(...checkHostPortConflicts(initContainers, path));
  return errs;
}

/** `validateTaintEffect`: NoSchedule, PreferNoSchedule or NoExecute (empty allowed when `allowEmpty`). */
export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: Path): FieldError[] {
  const e = str(effect);
  if (!allowEmpty && !e) return [required(path, '')];
  const valid = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
  return valid.includes(e) ? [] : [notSupported(path, e, valid)];
}

/** `ValidateTolerations`. */
export function validateTolerations(tolerations: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const t = rec(raw);
    const p = path.index(i);
    const key = str(t.key);
    const op = str(t.operator);
    if (key) errs.push(...validateLabelName(key, p.child('key')));
    if (!key && op !== 'Exists') {
      errs.push(invalid(p.child('operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(invalid(p.child('effect'), str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(str(t.value));
        if (msgs.length) errs.push(invalid(p.child('operator'), str(t.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t.value)) errs.push(invalid(p.child('operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(p.child('operator'), op, ['Equal', 'Exists']));
    }
    if (str(t.effect)) errs.push(...validateTaintEffect(t.effect, true, p.child('effect')));
  });
  return errs;
}

/** `validateNodeSelectorRequirement` (matchExpressions of node selector terms). */
function validateNodeSelectorRequirement(rq: Record<string, any>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(path.child('operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key), path.child('key')));
  return errs;
}

function validateNodeSelectorTerm(term: unknown, path: Path): FieldError[] {
  const t = rec(term);
  const errs: FieldError[] = [];
  arr(t.matchExpressions).forEach((r, i) => errs.push(...validateNodeSelectorRequirement(rec(r), path.child('matchExpressions').index(i))));
  arr(t.matchFields).forEach((r, i) => {
    const p = path.child('matchFields').index(i);
    const rq = rec(r);
    if (rq.key !== 'metadata.name') errs.push(invalid(p.child('key'), rq.key ?? '', 'not a valid field selector key'));
    if (rq.operator !== 'In' && rq.operator !== 'NotIn') errs.push(invalid(p.child('operator'), rq.operator ?? '', 'not a valid selector operator'));
    if (arr(rq.values).length !== 1) errs.push(required(p.child('values'), 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
  });
  return errs;
}

function validatePodAffinityTerm(term: unknown, path: Path): FieldError[] {
  const t = rec(term);
  const errs: FieldError[] = [];
  if (t.labelSelector) errs.push(...validateLabelSelectorLike(t.labelSelector, path.child('labelSelector')));
  if (t.namespaceSelector) errs.push(...validateLabelSelectorLike(t.namespaceSelector, path.child('namespaceSelector')));
  arr(t.namespaces).forEach((ns) => {
    for (const m of isDNS1123Label(str(ns))) errs.push(invalid(path.child('namespace'), ns, m));
  });
  if (!str(t.topologyKey)) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  else errs.push(...validateLabelName(str(t.topologyKey), path.child('topologyKey')));
  return errs;
}

function validateWeighted(terms: unknown, path: Path, inner: (t: unknown, p: Path) => FieldError[], innerName: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(terms).forEach((raw, i) => {
    const t = rec(raw);
    const p = path.index(i);
    const w = Number(t.weight ?? 0);
    if (w <= 0 || w > 100) errs.push(invalid(p.child('weight'), w, 'must be in the range 1-100'));
    errs.push(...inner(t[innerName], p.child(innerName)));
  });
  return errs;
}

/** `validateAffinity`: node affinity terms and operators, pod (anti-)affinity topology keys and weights. */
export function validateAffinity(affinity: unknown, path: Path): FieldError[] {
  if (affinity === undefined || affinity === null) return [];
  const a = rec(affinity);
  const errs: FieldError[] = [];
  if (a.nodeAffinity) {
    const na = rec(a.nodeAffinity);
    const np = path.child('nodeAffinity');
    if (na.requiredDuringSchedulingIgnoredDuringExecution) {
      const rp = np.child('requiredDuringSchedulingIgnoredDuringExecution');
      const terms = arr(rec(na.requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms);
      if (terms.length === 0) errs.push(required(rp.child('nodeSelectorTerms'), 'must have at least one node selector term'));
      terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, rp.child('nodeSelectorTerms').index(i))));
    }
    errs.push(...validateWeighted(na.preferredDuringSchedulingIgnoredDuringExecution, np.child('preferredDuringSchedulingIgnoredDuringExecution'), validateNodeSelectorTerm, 'preference'));
  }
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    if (!a[kind]) continue;
    const pa = rec(a[kind]);
    const pp = path.child(kind);
    arr(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
      errs.push(...validatePodAffinityTerm(t, pp.child('requiredDuringSchedulingIgnoredDuringExecution').index(i))),
    );
    errs.push(...validateWeighted(pa.preferredDuringSchedulingIgnoredDuringExecution, pp.child('preferredDuringSchedulingIgnoredDuringExecution'), validatePodAffinityTerm, 'podAffinityTerm'));
  }
  return errs;
}

/** `validateTopologySpreadConstraints`: maxSkew > 0, topologyKey set, whenUnsatisfiable known, unique key+policy pairs. */
export function validateTopologySpreadConstraints(constraints: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(constraints).forEach((raw, i) => {
    const c = rec(raw);
    const p = path.index(i);
    if (!(Number(c.maxSkew ?? 0) > 0)) errs.push(invalid(p.child('maxSkew'), c.maxSkew ?? 0, 'must be greater than zero'));
    const key = str(c.topologyKey);
    if (!key) errs.push(required(p.child('topologyKey'), 'can not be empty'));
    else errs.push(...validateLabelName(key, p.child('topologyKey')));
    const wu = str(c.whenUnsatisfiable);
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(wu)) errs.push(notSupported(p.child('whenUnsatisfiable'), wu, ['DoNotSchedule', 'ScheduleAnyway']));
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (Number(c.minDomains) <= 0) errs.push(invalid(p.child('minDomains'), c.minDomains, 'must be greater than 0'));
      else if (wu !== 'DoNotSchedule') errs.push(invalid(p.child('minDomains'), c.minDomains, 'can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ' + wu));
    }
    const pair = `${key}\u0000${wu}`;
    if (key && seen.has(pair)) errs.push(duplicate(p, `{${key}, ${wu}}`));
    seen.add(pair);
    if (c.labelSelector) errs.push(...validateLabelSelectorLike(c.labelSelector, p.child('labelSelector')));
  });
  return errs;
}

/** `validateRestartPolicy`: Always, OnFailure, Never. */
export function validateRestartPolicy(policy: unknown, path: Path): FieldError[] {
  const p = str(policy);
  const valid = ['Always', 'OnFailure', 'Never'];
  if (valid.includes(p)) return [];
  if (!p) return [required(path, '')];
  return [notSupported(path, p, valid)];
}

/** `validateDNSPolicy` plus the dnsConfig rules for `None`. */
function validateDNS(spec: Record<string, any>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const p = str(spec.dnsPolicy);
  const valid = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!p) errs.push(required(path.child('dnsPolicy'), ''));
  else if (!valid.includes(p)) errs.push(notSupported(path.child('dnsPolicy'), p, valid));
  if (p === 'None') {
    if (!spec.dnsConfig) errs.push(required(path.child('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if (arr(rec(spec.dnsConfig).nameservers).length === 0) {
      errs.push(required(path.child('dnsConfig', 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
    }
  }
  return errs;
}

/**
 * `ValidatePodSpec` (the parts Skiff enforces): volumes, containers, init containers,
 * restartPolicy, dnsPolicy, nodeSelector, serviceAccountName, nodeName, activeDeadlineSeconds,
 * hostname/subdomain, tolerations, readiness gates, scheduling gates, priorityClassName.
 * @param path e.g. `spec` for a Pod, `spec.template.spec` for a template
 */
export function validatePodSpec(spec: unknown, path: Path): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  const { errs: vErrs, names } = validateVolumes(s.volumes, path.child('volumes'));
  errs.push(...vErrs);
  errs.push(...validateContainers(s.containers, names, path.child('containers')));
  errs.push(...validateInitContainers(s.initContainers, s.containers, names, path.child('initContainers')));
  errs.push(...validateRestartPolicy(s.restartPolicy, path.child('restartPolicy')));
  errs.push(...validateDNS(s, path));
  errs.push(...validateLabels(s.nodeSelector, path.child('nodeSelector')));
  errs.push(...validatePodSecurityContext(s.securityContext, path.child('securityContext')));
  errs.push(...validateAffinity(s.affinity, path.child('affinity')));
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, path.child('topologySpreadConstraints')));
  arr(s.imagePullSecrets).forEach((ps, i) => {
    if (!str(rec(ps).name)) errs.push(required(path.child('imagePullSecrets').index(i).child('name'), ''));
  });
  arr(s.readinessGates).forEach((g, i) => {
    const ct = str(rec(g).conditionType);
    for (const m of isQualifiedName(ct)) errs.push(invalid(path.child('readinessGates').index(i).child('conditionType'), ct, m));
  });
  const sa = str(s.serviceAccountName);
  if (sa) for (const m of nameIsDNSSubdomain(sa, false)) errs.push(invalid(path.child('serviceAccountName'), sa, m));
  const nodeName = str(s.nodeName);
  if (nodeName) for (const m of nameIsDNSSubdomain(nodeName, false)) errs.push(invalid(path.child('nodeName'), nodeName, m));
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = num(s.activeDeadlineSeconds);
    if (v < 1 || v > 2147483647) errs.push(invalid(path.child('activeDeadlineSeconds'), v, inclusiveRangeError(1, 2147483647)));
  }
  if (str(s.hostname)) errs.push(...validateDNS1123Label(str(s.hostname), path.child('hostname')));
  if (str(s.subdomain)) errs.push(...validateDNS1123Label(str(s.subdomain), path.child('subdomain')));
  errs.push(...validateTolerations(s.tolerations, path.child('tolerations')));
  const pcn = str(s.priorityClassName);
  if (pcn) for (const m of nameIsDNSSubdomain(pcn, false)) errs.push(invalid(path.child('priorityClassName'), pcn, m));
  const gates = new Set<string>();
  arr(s.schedulingGates).forEach((g, i) => {
    const name = str(rec(g).name);
    const p = path.child('schedulingGates').index(i).child('name');
    for (const m of isQualifiedName(name)) errs.push(invalid(p, name, m));
    if (gates.has(name)) errs.push(duplicate(p, name));
    gates.add(name);
  });
  if (s.terminationGracePeriodSeconds !== undefined && s.terminationGracePeriodSeconds !== null) {
    errs.push(...validateNonnegativeField(num(s.terminationGracePeriodSeconds), path.child('terminationGracePeriodSeconds')));
  }
  return errs;
}

/**
 * `ValidatePodTemplateSpec`: template labels/annotations (at `<path>.labels`, `<path>.annotations`,
 * as upstream), the pod spec at `<path>.spec`, no ephemeral containers.
 * @param path e.g. `spec.template`
 */
export function validatePodTemplateSpec(template: unknown, path: Path): FieldError[] {
  const t = rec(template);
  const m = rec(t.metadata);
  const errs: FieldError[] = [];
  errs.push(...validateLabels(m.labels, path.child('labels')));
  errs.push(...validateAnnotations(m.annotations, path.child('annotations')));
  errs.push(...validatePodSpec(t.spec, path.child('spec')));
  if (arr(rec(t.spec).ephemeralContainers).length > 0) {
    errs.push(forbidden(path.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
