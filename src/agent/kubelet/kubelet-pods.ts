/**
 * Turning a pod spec into runtime configs, after pkg/kubelet/kubelet_pods.go
 * (makeEnvironmentVariables, makeMounts, GeneratePodHostNameAndDomain, ensureHostsFile),
 * pkg/kubelet/network/dns (resolv.conf per dnsPolicy) and kuberuntime_sandbox.go /
 * kuberuntime_container.go (generatePodSandboxConfig, generateContainerConfig).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Container, EnvVar, Pod, ConfigMap, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import {
  ANNOTATION_CONTAINER_RESTART_COUNT,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type ContainerConfig,
  type Mount,
  type PodSandboxConfig,
  type PortMapping,
} from '../runtime/types.ts';
import { fieldRefValue, podDir, quantityBytes, quantityMillis } from './volumes.ts';
import { managedHostsFileContent } from '../network/hosts-file.ts';

/** Node-level settings that shape pods' DNS. */
export interface DNSSettings {
  clusterDNS?: string[];
  clusterDomain?: string;
  /** Path of the host's resolv.conf (default /etc/resolv.conf). */
  resolvConf?: string;
}

/** Parsed resolv.conf. */
export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text (nameserver / search / domain / options lines). */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/**
 * The pod's DNS config per `dnsPolicy` (pkg/kubelet/network/dns/dns.go GetPodDNS):
 * ClusterFirst (default) → cluster DNS servers, searches `<ns>.svc.<domain> svc.<domain> <domain>`
 * + host searches, `ndots:5`; without cluster DNS it falls back to Default (the host's resolv.conf).
 * Default → host's; None → only `spec.dnsConfig`. `spec.dnsConfig` is merged on top.
 * Returns undefined when the runtime should use the host's file unchanged.
 */
export function getPodDNS(pod: Pod, dns: DNSSettings): ResolvConf | undefined {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  let host: ResolvConf = { servers: [], searches: [], options: [] };
  try {
    host = parseResolvConf(readFileSync(dns.resolvConf ?? '/etc/resolv.conf', 'utf8'));
  } catch {
    /* no host resolv.conf */
  }
  let cfg: ResolvConf;
  const clusterFirst = policy === 'ClusterFirst' || (policy === 'ClusterFirstWithHostNet' && pod.spec?.hostNetwork);
  if (policy === 'None') cfg = { servers: [], searches: [], options: [] };
  else if (clusterFirst && dns.clusterDNS?.length) {
    const domain = dns.clusterDomain ?? 'cluster.local';
    const ns = pod.metadata?.namespace ?? 'default';
    cfg = {
      servers: [...dns.clusterDNS],
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches].slice(0, 32),
      options: ['ndots:5'],
    };
  } else {
    if (!pod.spec?.dnsConfig) return undefined;
    cfg = { ...host, options: [...host.options] };
  }
  const extra = pod.spec?.dnsConfig;
  if (extra) {
    for (const s of extra.nameservers ?? []) if (!cfg.servers.includes(s)) cfg.servers.push(s);
    for (const s of extra.searches ?? []) if (!cfg.searches.includes(s)) cfg.searches.push(s);
    for (const o of extra.options ?? []) {
      const opt = o.value !== undefined ? `${o.name}:${o.value}` : o.name!;
      cfg.options = cfg.options.filter((x) => x.split(':')[0] !== o.name);
      cfg.options.push(opt);
    }
  }
  return cfg;
}

/** Hostname and domain (GeneratePodHostNameAndDomain): spec.hostname or the pod name (≤63 chars), `<subdomain>.<ns>.svc.<domain>`. */
export function podHostnameAndDomain(pod: Pod, clusterDomain = 'cluster.local'): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || pod.metadata!.name!;
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  return { hostname, domain: sub ? `${sub}.${pod.metadata!.namespace}.svc.${clusterDomain}` : '' };
}

/** Writes `<pod dir>/etc-hosts` (managed /etc/hosts, as ensureHostsFile) and returns its path. */
export async function ensureHostsFile(rootDir: string, pod: Pod, podIP: string | undefined, clusterDomain?: string): Promise<string> {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  const file = path.join(podDir(rootDir, pod.metadata!.uid!), 'etc-hosts');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, managedHostsFileContent(podIP, hostname, domain, pod.spec?.hostAliases ?? []));
  return file;
}

/** Labels put on sandboxes (pod identity). */
export function sandboxLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata?.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata!.name!,
    [LABEL_POD_NAMESPACE]: pod.metadata!.namespace!,
    [LABEL_POD_UID]: pod.metadata!.uid!,
  };
}

/** generatePodSandboxConfig: metadata, hostname, labels, DNS, hostPorts, cgroup parent. */
export function generatePodSandboxConfig(pod: Pod, attempt: number, dns: DNSSettings): PodSandboxConfig {
  const ports: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) ports.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort, hostIP: p.hostIP });
    }
  }
  const dnsConfig = getPodDNS(pod, dns);
  return {
    metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: pod.metadata!.uid!, attempt },
    hostname: podHostnameAndDomain(pod, dns.clusterDomain).hostname,
    labels: sandboxLabels(pod),
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    dnsConfig,
    portMappings: ports,
    // cgroupParent left to the runtime (it owns the cgroup tree, `<its parent>/<uid>`).
  };
}

/** Log path `<rootDir>/logs/<ns>_<pod>_<uid>/<container>/<restartCount>.log` (upstream's /var/log/pods layout). */
export function containerLogPath(rootDir: string, pod: Pod, containerName: string, attempt: number): string {
  return path.join(podLogDir(rootDir, pod.metadata!.namespace!, pod.metadata!.name!, pod.metadata!.uid!), containerName, `${attempt}.log`);
}

/** `<rootDir>/logs/<ns>_<pod>_<uid>`. */
export function podLogDir(rootDir: string, namespace: string, name: string, uid: string): string {
  return path.join(rootDir, 'logs', `${namespace}_${name}_${uid}`);
}

/**
 * Expands `$(VAR)` references with `vars` (upstream third_party/forked/golang/expansion):
 * `$$` escapes to `$`, unknown references are left as written.
 */
export function expand(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const nx = input[i + 1];
    if (nx === '$') {
      out += '$';
      i++;
    } else if (nx === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = end;
    } else out += ch;
  }
  return out;
}

/**
 * Docker-link style service environment variables (pkg/kubelet/envvars FromServices): for every
 * service with a cluster IP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`,
 * `<NAME>_SERVICE_PORT_<PORTNAME>`, `<NAME>_PORT=tcp://ip:port` and per port
 * `<NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}`. NAME is the service name upper-cased with
 * `-` → `_`. Services are those of the pod's namespace (when `enableServiceLinks`, default true)
 * plus `kubernetes` from `default`, as upstream getServiceEnvVarMap.
 */
export async function serviceEnvVars(client: Client, pod: Pod): Promise<{ key: string; value: string }[]> {
  const ns = pod.metadata!.namespace!;
  const links = pod.spec?.enableServiceLinks ?? true;
  const services: Service[] = [];
  try {
    if (links) services.push(...((await client.list(GVR.services, ns)).items as Service[]));
    if (ns !== 'default' || !links) {
      const master = await client.get(GVR.services, 'default', 'kubernetes').catch(() => undefined);
      if (master) services.push(master as Service);
    }
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: { key: string; value: string }[] = [];
  for (const svc of services.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || seen.has(svc.metadata!.name!)) continue;
    seen.add(svc.metadata!.name!);
    const name = svc.metadata!.name!.toUpperCase().replace(/-/g, '_');
    const ports = svc.spec?.ports ?? [];
    if (!ports.length) continue;
    out.push({ key: `${name}_SERVICE_HOST`, value: ip }, { key: `${name}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ key: `${name}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, value: String(p.port) });
    const proto0 = (ports[0].protocol ?? 'TCP').toLowerCase();
    out.push({ key: `${name}_PORT`, value: `${proto0}://${ip.includes(':') ? `[${ip}]` : ip}:${ports[0].port}` });
    for (const p of ports) {
      const proto = p.protocol ?? 'TCP';
      const prefix = `${name}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push(
        { key: prefix, value: `${proto.toLowerCase()}://${ip.includes(':') ? `[${ip}]` : ip}:${p.port}` },
        { key: `${prefix}_PROTO`, value: proto.toLowerCase() },
        { key: `${prefix}_PORT`, value: String(p.port) },
        { key: `${prefix}_ADDR`, value: ip },
      );
    }
  }
  return out;
}

/** Thrown when an env source is missing (upstream: CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

/**
 * makeEnvironmentVariables: service variables, envFrom (configMapRef/secretRef with prefix), then env in order, with
 * `$(VAR)` expansion against earlier vars; valueFrom fieldRef (downward API), resourceFieldRef,
 * configMapKeyRef, secretKeyRef.
 * @throws ContainerConfigError with upstream's messages (`configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`).
 */
export async function makeEnvironmentVariables(client: Client, pod: Pod, c: Container, podIP: string | undefined, hostIP: string | undefined): Promise<{ key: string; value: string }[]> {
  const ns = pod.metadata!.namespace!;
  const vars = new Map<string, string>();
  const order: string[] = [];
  const set = (k: string, v: string) => {
    if (!vars.has(k)) order.push(k);
    vars.set(k, v);
  };
  const podWithIPs: Pod = { ...pod, status: { ...(pod.status ?? {}), podIP, podIPs: podIP ? [{ ip: podIP }] : [], hostIP, hostIPs: hostIP ? [{ ip: hostIP }] : [] } };
  const cms = new Map<string, ConfigMap | null>();
  const secrets = new Map<string, Secret | null>();
  const getCM = async (name: string) => {
    if (!cms.has(name)) cms.set(name, (await client.get<ConfigMap & { [k: string]: unknown }>(GVR.configmaps, ns, name).catch(() => null)) as ConfigMap | null);
    return cms.get(name)!;
  };
  const getSecret = async (name: string) => {
    if (!secrets.has(name)) secrets.set(name, (await client.get<Secret & { [k: string]: unknown }>(GVR.secrets, ns, name).catch(() => null)) as Secret | null);
    return secrets.get(name)!;
  };
  // Service variables come first; envFrom and env override them (upstream order).
  for (const e of await serviceEnvVars(client, pod)) set(e.key, e.value);
  for (const ef of c.envFrom ?? []) {
    const prefix = ef.prefix ?? '';
    if (ef.configMapRef) {
      const cm = await getCM(ef.configMapRef.name ?? '');
      if (!cm) {
        if (ef.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${ef.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) set(prefix + k, v);
    } else if (ef.secretRef) {
      const s = await getSecret(ef.secretRef.name ?? '');
      if (!s) {
        if (ef.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${ef.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) set(prefix + k, Buffer.from(v, 'base64').toString());
    }
  }
  for (const e of c.env ?? []) {
    const v = await envValue(e);
    if (v !== undefined) set(e.name, v);
  }
  async function envValue(e: EnvVar): Promise<string | undefined> {
    if (e.value !== undefined) return expand(e.value, vars);
    const vf = e.valueFrom;
    if (!vf) return '';
    if (vf.fieldRef) return fieldRefValue(podWithIPs, vf.fieldRef.fieldPath);
    if (vf.resourceFieldRef) {
      const target = c.name === vf.resourceFieldRef.containerName || !vf.resourceFieldRef.containerName ? c : pod.spec?.containers.find((x) => x.name === vf.resourceFieldRef!.containerName) ?? c;
      const [kind, res] = vf.resourceFieldRef.resource.split('.') as ['limits' | 'requests', string];
      const q = target.resources?.[kind]?.[res];
      const divisor = vf.resourceFieldRef.divisor ? String(vf.resourceFieldRef.divisor) : '1';
      if (q === undefined) return res === 'cpu' ? String(os.cpus().length) : '0';
      if (res === 'cpu') return String(Math.ceil(quantityMillis(String(q)) / quantityMillis(divisor)));
      return String(Math.ceil(quantityBytes(String(q)) / quantityBytes(divisor)));
    }
    if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await getCM(ref.name ?? '');
      if (!cm) {
        if (ref.optional) return undefined;
        throw new ContainerConfigError(`configmap "${ref.name}" not found`);
      }
      const val = cm.data?.[ref.key];
      if (val === undefined) {
        if (ref.optional) return undefined;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
      }
      return val;
    }
    if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await getSecret(ref.name ?? '');
      if (!s) {
        if (ref.optional) return undefined;
        throw new ContainerConfigError(`secret "${ref.name}" not found`);
      }
      const val = s.data?.[ref.key];
      if (val === undefined) {
        if (ref.optional) return undefined;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      }
      return Buffer.from(val, 'base64').toString();
    }
    return '';
  }
  return order.map((k) => ({ key: k, value: vars.get(k)! }));
}

/**
 * makeMounts: volumeMounts → bind mounts (subPath joined and created; `readOnly`), plus the
 * managed /etc/hosts (when `hostsFile` is given) unless the container mounts its own.
 * @throws ContainerConfigError when a mount names an unknown volume.
 */
export async function makeMounts(c: Container, volumes: Map<string, string>, hostsFile: string | undefined): Promise<Mount[]> {
  const out: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const hostPath = volumes.get(vm.name);
    if (!hostPath) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${c.name}"`);
    let hp = hostPath;
    const sub = vm.subPath;
    if (sub) {
      hp = path.resolve(hostPath, sub);
      if (!hp.startsWith(path.resolve(hostPath))) throw new ContainerConfigError(`subPath "${sub}" escapes the volume`);
      await mkdir(hp, { recursive: true }).catch(() => undefined);
    }
    const propagation = vm.mountPropagation === 'Bidirectional' ? 'rshared' : vm.mountPropagation === 'HostToContainer' ? 'rslave' : 'private';
    out.push({ containerPath: vm.mountPath, hostPath: hp, readonly: !!vm.readOnly, propagation });
  }
  if (hostsFile && !out.some((m) => m.containerPath === '/etc/hosts')) out.push({ containerPath: '/etc/hosts', hostPath: hostsFile });
  return out;
}

/**
 * Whether the kubelet must provide /etc/hosts itself: the runtime writes a basic one (localhost +
 * pod IP + hostname); hostAliases and subdomain FQDNs need the kubelet's managed file.
 */
export function needsManagedHostsFile(pod: Pod): boolean {
  return !pod.spec?.hostNetwork && (!!pod.spec?.hostAliases?.length || !!pod.spec?.subdomain);
}

/** Labels put on containers. */
export function containerLabels(pod: Pod, containerName: string): Record<string, string> {
  return {
    [LABEL_POD_NAME]: pod.metadata!.name!,
    [LABEL_POD_NAMESPACE]: pod.metadata!.namespace!,
    [LABEL_POD_UID]: pod.metadata!.uid!,
    [LABEL_CONTAINER_NAME]: containerName,
  };
}

/** Annotation telling init from regular containers (Skiff's own). */
export const ANNOTATION_CONTAINER_INIT = 'io.kubernetes.container.init';
/** Annotation with the hash of the container spec it was created from (upstream's container hash). */
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';

/** Hash of a container spec (everything but `resources`, which can change in place), hex. */
export function hashContainer(c: Container): string {
  const { resources: _r, ...rest } = c;
  const canon = JSON.stringify(rest, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
  return createHash('sha256').update(canon).digest('hex').slice(0, 16);
}

/** Annotation with the host path of the container's termination-message file. */
export const ANNOTATION_TERMINATION_MESSAGE_FILE = 'io.kubernetes.container.terminationMessageFile';
/** Annotation with the container's terminationMessagePolicy. */
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';

/**
 * Creates the host file bind-mounted at the container's `terminationMessagePath` (default
 * /dev/termination-log): `<rootDir>/pods/<uid>/containers/<name>/<attempt>-termination-log`
 * (world-writable, as upstream). Returns the mount.
 */
export async function makeTerminationMessageMount(rootDir: string, pod: Pod, c: Container, attempt: number): Promise<Mount> {
  const dir = path.join(podDir(rootDir, pod.metadata!.uid!), 'containers', c.name);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${attempt}-termination-log`);
  await writeFile(file, '', { mode: 0o666 });
  const { chmod } = await import('node:fs/promises');
  await chmod(file, 0o666);
  return { containerPath: c.terminationMessagePath || '/dev/termination-log', hostPath: file };
}

/** Annotation with the container's termination grace period. */
export const ANNOTATION_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';

/**
 * generateContainerConfig: argv with `$(VAR)` expansion, env, mounts, labels/annotations
 * (restart count), log path, resources (cpu millicores, memory bytes) and security context.
 */
export function generateContainerConfig(
  rootDir: string,
  pod: Pod,
  c: Container,
  attempt: number,
  envs: { key: string; value: string }[],
  mounts: Mount[],
  image: string,
  init: boolean,
  terminationMessageFile?: string,
): ContainerConfig {
  const vars = new Map(envs.map((e) => [e.key, e.value]));
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const resources: NonNullable<NonNullable<ContainerConfig['linux']>['resources']> = {};
  const cpuReq = requests.cpu ?? limits.cpu;
  if (cpuReq !== undefined) resources.cpuRequestMillis = quantityMillis(String(cpuReq));
  if (limits.cpu !== undefined) resources.cpuLimitMillis = quantityMillis(String(limits.cpu));
  if (limits.memory !== undefined) resources.memoryLimitBytes = quantityBytes(String(limits.memory));
  const sc = c.securityContext ?? {};
  const psc = pod.spec?.securityContext ?? {};
  const securityContext: NonNullable<ContainerConfig['linux']>['securityContext'] = {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  if (runAsUser !== undefined) securityContext.runAsUser = runAsUser;
  if (runAsGroup !== undefined) securityContext.runAsGroup = runAsGroup;
  if (sc.privileged) securityContext.privileged = true;
  if (sc.readOnlyRootFilesystem) securityContext.readOnlyRootfs = true;
  return {
    metadata: { name: c.name, attempt },
    image,
    command: c.command?.map((s) => expand(s, vars)),
    args: c.args?.map((s) => expand(s, vars)),
    workingDir: c.workingDir,
    envs,
    mounts,
    labels: containerLabels(pod, c.name),
    annotations: {
      [ANNOTATION_CONTAINER_RESTART_COUNT]: String(attempt),
      [ANNOTATION_TERMINATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
      [ANNOTATION_CONTAINER_HASH]: hashContainer(c),
      [ANNOTATION_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
      ...(terminationMessageFile ? { [ANNOTATION_TERMINATION_MESSAGE_FILE]: terminationMessageFile } : {}),
      ...(init ? { [ANNOTATION_CONTAINER_INIT]: 'true' } : {}),
    },
    logPath: containerLogPath(rootDir, pod, c.name, attempt),
    linux: { resources, securityContext },
    stdin: !!c.stdin,
    tty: !!c.tty,
  };
}
