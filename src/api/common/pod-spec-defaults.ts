/**
 * Scheme defaulting of PodSpec and everything inside it, shared by Pod, PodTemplateSpec,
 * ReplicaSet and Deployment. Upstream: pkg/apis/core/v1/defaults.go (SetDefaults_PodSpec,
 * SetDefaults_Container, SetDefaults_ContainerPort, SetDefaults_Probe, SetDefaults_HTTPGetAction,
 * SetDefaults_Volume, SetDefaults_SecretVolumeSource, …) and the v1 conversion of
 * `serviceAccount` ⇄ `serviceAccountName`.
 */
import { arr, rec } from './meta.ts';

/** `v1.DefaultTerminationGracePeriodSeconds`. */
export const DefaultTerminationGracePeriodSeconds = 30;
/** `v1.DefaultSchedulerName`. */
export const DefaultSchedulerName = 'default-scheduler';
/** `v1.TerminationMessagePathDefault`. */
export const TerminationMessagePathDefault = '/dev/termination-log';
/** Default mode of secret/configMap/downwardAPI/projected volumes: 0644. */
export const DefaultVolumeMode = 0o644;

/**
 * The tag of an image reference as `parsers.ParseImageName` returns it: the explicit tag,
 * `latest` when neither tag nor digest is given, `''` when only a digest is given or the
 * reference does not parse (empty, upper-case repository).
 */
export function imageTag(image: string): string {
  if (!image || /\s/.test(image)) return '';
  let name = image;
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag = '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  if (!name) return '';
  // The domain (first component with '.' or ':' or 'localhost') may hold upper case; the path may not.
  const parts = name.split('/');
  const path = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost') ? parts.slice(1) : parts;
  if (path.some((p) => p !== p.toLowerCase() || p === '')) return '';
  if (!tag && !digest) return 'latest';
  return tag;
}

/** `SetDefaults_Probe` plus `SetDefaults_HTTPGetAction` for the probe's handler (mutates). */
export function setDefaultsProbe(probe: unknown): void {
  const p = rec(probe);
  if (probe === undefined || probe === null) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  setDefaultsHandler(p);
}

/** `SetDefaults_HTTPGetAction` on a probe/lifecycle handler: path `/`, scheme `HTTP`. */
function setDefaultsHandler(h: Record<string, any>): void {
  if (h.httpGet && typeof h.httpGet === 'object') {
    if (!h.httpGet.path) h.httpGet.path = '/';
    if (!h.httpGet.scheme) h.httpGet.scheme = 'HTTP';
  }
}

/** `SetDefaults_ObjectFieldSelector`: fieldRef apiVersion `v1`. */
function setDefaultsFieldRef(fieldRef: unknown): void {
  const f = rec(fieldRef);
  if (fieldRef && typeof fieldRef === 'object' && !f.apiVersion) f.apiVersion = 'v1';
}

/**
 * `SetDefaults_Container` and the defaults of everything inside a container (mutates):
 * terminationMessagePath `/dev/termination-log`, terminationMessagePolicy `File`,
 * imagePullPolicy (`Always` for tag `latest` or no tag, else `IfNotPresent`), ports' protocol
 * `TCP`, probe defaults, env fieldRef apiVersion `v1`, `resources: {}` as Go serializes it.
 */
export function setDefaultsContainer(container: unknown): void {
  if (!container || typeof container !== 'object') return;
  const c = container as Record<string, any>;
  if (!c.terminationMessagePath) c.terminationMessagePath = TerminationMessagePathDefault;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (c.resources === undefined || c.resources === null) c.resources = {};
  for (const port of arr(c.ports)) {
    if (port && typeof port === 'object' && !port.protocol) port.protocol = 'TCP';
  }
  for (const e of arr(c.env)) setDefaultsFieldRef(rec(rec(e).valueFrom).fieldRef);
  setDefaultsProbe(c.livenessProbe);
  setDefaultsProbe(c.readinessProbe);
  setDefaultsProbe(c.startupProbe);
  const lc = rec(c.lifecycle);
  if (lc.postStart) setDefaultsHandler(rec(lc.postStart));
  if (lc.preStop) setDefaultsHandler(rec(lc.preStop));
}

/** `SetDefaults_Volume` and the per-source defaults (mutates). A volume without a source becomes `emptyDir: {}`. */
export function setDefaultsVolume(volume: unknown): void {
  if (!volume || typeof volume !== 'object') return;
  const v = volume as Record<string, any>;
  const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
  if (sources.length === 0) v.emptyDir = {};
  if (v.secret && typeof v.secret === 'object' && v.secret.defaultMode === undefined) v.secret.defaultMode = DefaultVolumeMode;
  if (v.configMap && typeof v.configMap === 'object' && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DefaultVolumeMode;
  if (v.downwardAPI && typeof v.downwardAPI === 'object') {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DefaultVolumeMode;
    for (const item of arr(v.downwardAPI.items)) setDefaultsFieldRef(rec(item).fieldRef);
  }
  if (v.projected && typeof v.projected === 'object') {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DefaultVolumeMode;
    for (const src of arr(v.projected.sources)) {
      const s = rec(src);
      for (const item of arr(rec(s.downwardAPI).items)) setDefaultsFieldRef(rec(item).fieldRef);
      if (s.serviceAccountToken && typeof s.serviceAccountToken === 'object' && s.serviceAccountToken.expirationSeconds === undefined) {
        s.serviceAccountToken.expirationSeconds = 3600;
      }
    }
  }
  if (v.hostPath && typeof v.hostPath === 'object' && v.hostPath.type === undefined) v.hostPath.type = '';
  if (v.iscsi && typeof v.iscsi === 'object' && !v.iscsi.iscsiInterface) v.iscsi.iscsiInterface = 'default';
  if (v.rbd && typeof v.rbd === 'object') {
    if (!v.rbd.pool) v.rbd.pool = 'rbd';
    if (!v.rbd.user) v.rbd.user = 'admin';
    if (!v.rbd.keyring) v.rbd.keyring = '/etc/ceph/keyring';
  }
}

/**
 * `SetDefaults_PodSpec` and everything below it (mutates): dnsPolicy `ClusterFirst`,
 * restartPolicy `Always`, securityContext `{}`, terminationGracePeriodSeconds 30,
 * schedulerName `default-scheduler`, container/initContainer/volume defaults, host ports with
 * hostNetwork, and the deprecated `serviceAccount` mirror of `serviceAccountName`.
 */
export function setDefaultsPodSpec(spec: unknown): void {
  if (!spec || typeof spec !== 'object') return;
  const s = spec as Record<string, any>;
  if (!s.dnsPolicy) s.dnsPolicy = 'ClusterFirst';
  if (!s.restartPolicy) s.restartPolicy = 'Always';
  if (s.hostNetwork === true) {
    // defaultHostNetworkPorts: with hostNetwork, hostPort defaults to containerPort.
    for (const c of [...arr(s.containers), ...arr(s.initContainers)]) {
      for (const p of arr(rec(c).ports)) if (p && typeof p === 'object' && !p.hostPort) p.hostPort = p.containerPort;
    }
  }
  if (s.securityContext === undefined || s.securityContext === null) s.securityContext = {};
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    s.terminationGracePeriodSeconds = DefaultTerminationGracePeriodSeconds;
  }
  if (!s.schedulerName) s.schedulerName = DefaultSchedulerName;
  // v1 conversion: serviceAccountName wins; the deprecated serviceAccount mirrors it.
  if (!s.serviceAccountName && s.serviceAccount) s.serviceAccountName = s.serviceAccount;
  if (s.serviceAccountName) s.serviceAccount = s.serviceAccountName;
  for (const c of arr(s.containers)) setDefaultsContainer(c);
  for (const c of arr(s.initContainers)) setDefaultsContainer(c);
  for (const c of arr(s.ephemeralContainers)) setDefaultsContainer(c);
  for (const v of arr(s.volumes)) setDefaultsVolume(v);
}

/**
 * Defaults of a PodTemplateSpec (`SetDefaults_PodTemplateSpec` path): the pod spec defaults
 * only; `enableServiceLinks` and request-from-limit copying are Pod-only, as upstream.
 */
export function setDefaultsPodTemplateSpec(template: unknown): void {
  if (!template || typeof template !== 'object') return;
  const t = template as Record<string, any>;
  if (t.spec === undefined || t.spec === null) t.spec = {};
  setDefaultsPodSpec(t.spec);
}

/**
 * `SetDefaults_Pod` (mutates): enableServiceLinks true, and for every container and init
 * container, requests copied from limits for resources that have a limit but no request;
 * then the PodSpec defaults.
 */
export function setDefaultsPod(pod: Record<string, any>): void {
  if (pod.spec === undefined || pod.spec === null) pod.spec = {};
  const spec = rec(pod.spec);
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const r = rec(rec(c).resources);
    if (r.limits && typeof r.limits === 'object') {
      if (!r.requests || typeof r.requests !== 'object') r.requests = {};
      for (const [k, v] of Object.entries(r.limits)) if (!(k in r.requests)) r.requests[k] = v;
      c.resources = r;
    }
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  setDefaultsPodSpec(spec);
}
