/**
 * A small libcni (after containernetworking/cni libcni/api.go): runs a network configuration list
 * plugin by plugin. ADD runs the plugins in list order, each getting the previous plugin's result
 * as `prevResult`; the final result is cached on disk; DEL runs the plugins in reverse order with
 * the cached result as `prevResult`; CHECK runs in order with the cached result.
 *
 * Each plugin is the executable `<pluginDir>/<type>`, invoked with the CNI_* environment
 * (CNI spec "Execution Protocol") and, on stdin, `{cniVersion, name, ...plugin, prevResult?, runtimeConfig?}`.
 * `runtimeConfig` carries only the capabilities the plugin declares (`capabilities: {portMappings: true}`).
 *
 * Also builds Skiff's default pod network: bridge + host-local IPAM (+ portmap), and the loopback
 * network that brings `lo` up inside the pod netns.
 */
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.ts';

/** One plugin entry of a conflist: `type` names the binary; the rest is plugin-specific. */
export interface CniPluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

/** A network configuration list (`*.conflist`). */
export interface CniNetworkConfigList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: CniPluginConf[];
}

/** An interface in a CNI result. `sandbox` is the netns path for interfaces inside the pod. */
export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

/** An IP in a CNI result: `address` in CIDR form (`10.88.0.2/24`); `interface` indexes `interfaces`. */
export interface CniIPConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

/** A CNI result (spec 1.0.0 "Success"). */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIPConfig[];
  routes?: { dst: string; gw?: string }[];
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

/** Per-attachment parameters (libcni RuntimeConf). */
export interface CniRuntimeConf {
  /** CNI_CONTAINERID: the sandbox id. */
  containerId: string;
  /** CNI_NETNS: path of the netns, e.g. /var/run/netns/x. */
  netns: string;
  /** CNI_IFNAME, e.g. `eth0`, `lo`. */
  ifName: string;
  /** CNI_ARGS as key/value pairs (e.g. K8S_POD_NAME). */
  args?: [string, string][];
  /** Capability arguments, e.g. `{portMappings: [{hostPort, containerPort, protocol, hostIP}]}`. */
  capabilityArgs?: Record<string, unknown>;
}

/** A CNI plugin error (spec "Error": `{code, msg, details}`), or a failure to run the plugin. */
export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(`CNI ${command} ${plugin}: ${msg}${details ? ` (${details})` : ''}`);
    this.name = 'CniError';
  }
}

/** What is cached after ADD for the later DEL/CHECK (after libcni's cached result file). */
interface CachedAttachment {
  kind: 'skiff-cni-cache-v1';
  networkName: string;
  containerId: string;
  ifName: string;
  netns: string;
  capabilityArgs?: Record<string, unknown>;
  config: CniNetworkConfigList;
  result: CniResult;
}

/**
 * Runs CNI network configuration lists.
 * `pluginDir` is CNI_PATH (Debian: /usr/lib/cni); `cacheDir` holds cached ADD results.
 */
export class CniRunner {
  readonly pluginDir: string;
  readonly cacheDir: string;

  /** `pluginDir` defaults to /usr/lib/cni. */
  constructor(opts: { pluginDir?: string; cacheDir: string }) {
    this.pluginDir = opts.pluginDir ?? '/usr/lib/cni';
    this.cacheDir = opts.cacheDir;
  }

  /**
   * CNI ADD for every plugin in order. Caches and returns the final result.
   * On a plugin failure, runs DEL for the whole list (best effort, as a runtime would) and throws the CniError.
   */
  async addNetworkList(list: CniNetworkConfigList, rt: CniRuntimeConf): Promise<CniResult> {
    let prev: CniResult | undefined;
    try {
      for (const plugin of list.plugins) {
        prev = await this.execPlugin('ADD', list, plugin, rt, prev);
      }
    } catch (e) {
      await this.delNetworkList(list, rt).catch(() => {});
      throw e;
    }
    const result = prev ?? { cniVersion: list.cniVersion };
    await this.writeCache({
      kind: 'skiff-cni-cache-v1',
      networkName: list.name,
      containerId: rt.containerId,
      ifName: rt.ifName,
      netns: rt.netns,
      capabilityArgs: rt.capabilityArgs,
      config: list,
      result,
    });
    return result;
  }

  /**
   * CNI DEL for every plugin in reverse order, with the cached ADD result as prevResult (and the
   * cached capability args when `rt` has none). Idempotent: plugins tolerate repeated DEL, and the
   * cache entry is removed afterwards. A missing netns is fine (plugins release IPAM anyway).
   * Throws the first CniError after trying all plugins.
   */
  async delNetworkList(list: CniNetworkConfigList, rt: CniRuntimeConf): Promise<void> {
    const cached = await this.getCachedResult(list.name, rt.containerId, rt.ifName);
    const rtc: CniRuntimeConf = { ...rt, capabilityArgs: rt.capabilityArgs ?? cached?.capabilityArgs };
    let firstErr: unknown;
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.execPlugin('DEL', list, plugin, rtc, cached?.result);
      } catch (e) {
        firstErr ??= e;
      }
    }
    if (firstErr) throw firstErr;
    await rm(this.cachePath(list.name, rt.containerId, rt.ifName), { force: true });
  }

  /** CNI CHECK for every plugin in order with the cached result. Throws CniError when a plugin reports a problem or nothing is cached. */
  async checkNetworkList(list: CniNetworkConfigList, rt: CniRuntimeConf): Promise<void> {
    if (list.disableCheck) return;
    const cached = await this.getCachedResult(list.name, rt.containerId, rt.ifName);
    if (!cached) throw new CniError(list.name, 'CHECK', 0, 'no cached result for this attachment');
    for (const plugin of list.plugins) {
      await this.execPlugin('CHECK', list, plugin, { ...rt, capabilityArgs: rt.capabilityArgs ?? cached.capabilityArgs }, cached.result);
    }
  }

  /** The cached ADD result (and its parameters) for an attachment, or undefined. */
  async getCachedResult(networkName: string, containerId: string, ifName: string): Promise<CachedAttachment | undefined> {
    try {
      return JSON.parse(await readFile(this.cachePath(networkName, containerId, ifName), 'utf8')) as CachedAttachment;
    } catch {
      return undefined;
    }
  }

  private cachePath(networkName: string, containerId: string, ifName: string): string {
    return join(this.cacheDir, 'results', `${networkName}-${containerId}-${ifName}.json`);
  }

  private async writeCache(c: CachedAttachment): Promise<void> {
    const p = this.cachePath(c.networkName, c.containerId, c.ifName);
    await mkdir(join(this.cacheDir, 'results'), { recursive: true });
    await writeFile(`${p}.tmp`, JSON.stringify(c));
    await rename(`${p}.tmp`, p);
  }

  /** Runs one plugin binary; returns its parsed result (ADD) or prevResult passthrough (DEL/CHECK). */
  private async execPlugin(
    command: 'ADD' | 'DEL' | 'CHECK',
    list: CniNetworkConfigList,
    plugin: CniPluginConf,
    rt: CniRuntimeConf,
    prevResult: CniResult | undefined,
  ): Promise<CniResult | undefined> {
    const conf: Record<string, unknown> = { cniVersion: list.cniVersion, name: list.name, ...plugin };
    if (prevResult) conf.prevResult = prevResult;
    const runtimeConfig: Record<string, unknown> = {};
    for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
      if (on && rt.capabilityArgs && rt.capabilityArgs[cap] !== undefined) runtimeConfig[cap] = rt.capabilityArgs[cap];
    }
    if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt.containerId,
      CNI_NETNS: rt.netns,
      CNI_IFNAME: rt.ifName,
      CNI_PATH: this.pluginDir,
    };
    if (rt.args?.length) env.CNI_ARGS = rt.args.map(([k, v]) => `${k}=${v}`).join(';');
    const bin = join(this.pluginDir, plugin.type);
    let r;
    try {
      r = await run(bin, [], { env, input: JSON.stringify(conf), timeoutMs: 60_000 });
    } catch (e) {
      throw new CniError(plugin.type, command, 0, `cannot run ${bin}: ${(e as Error).message}`);
    }
    if (r.code !== 0) {
      let msg = (r.stderr || r.stdout).trim();
      let code = r.code;
      let details: string | undefined;
      try {
        const err = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
        msg = err.msg ?? msg;
        code = err.code ?? code;
        details = err.details;
      } catch {
        /* not JSON */
      }
      throw new CniError(plugin.type, command, code, msg, details);
    }
    if (command !== 'ADD') return prevResult;
    try {
      return JSON.parse(r.stdout) as CniResult;
    } catch {
      throw new CniError(plugin.type, command, 0, `unparseable result: ${r.stdout.slice(0, 200)}`);
    }
  }
}

/** Options for Skiff's default pod network. */
export interface DefaultNetworkOptions {
  /** Network name (also host-local's data subdirectory and the ipMasq rule comment). */
  name: string;
  /** Linux bridge name, at most 15 characters (IFNAMSIZ-1), e.g. `skiff0`. */
  bridge: string;
  /** The node's pod CIDR, e.g. `10.88.0.0/24`. */
  subnet: string;
  /** Gateway (bridge) address; default: the first host address of the subnet. */
  gateway?: string;
  /** host-local's dataDir (IP reservations). */
  ipamDataDir: string;
  /** Masquerade pod egress to outside the subnet (bridge plugin's ipMasq). Default true. */
  ipMasq?: boolean;
}

/**
 * Skiff's default pod network, after the conflist CRI-O/containerd ship (87-podman-bridge / 10-containerd-net):
 * bridge (isGateway, ipMasq, hairpinMode) with host-local IPAM over the pod CIDR and a default route,
 * then portmap with the `portMappings` capability (hostPort).
 * Throws when the bridge name is longer than 15 characters.
 */
export function defaultNetworkConfigList(o: DefaultNetworkOptions): CniNetworkConfigList {
  if (o.bridge.length > 15) throw new Error(`bridge name ${o.bridge} is longer than 15 characters`);
  const range: Record<string, string> = { subnet: o.subnet };
  range.gateway = o.gateway ?? firstHost(o.subnet);
  return {
    cniVersion: '1.0.0',
    name: o.name,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        ipMasq: o.ipMasq ?? true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[range]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/** The loopback network (run with ifName `lo`): brings `lo` up inside the pod netns. */
export function loopbackConfigList(name = 'skiff-loopback'): CniNetworkConfigList {
  return { cniVersion: '1.0.0', name, plugins: [{ type: 'loopback' }] };
}

/** First IPv4 address (without prefix length) of `ifName` in a result (any interface when ifName is omitted). */
export function resultIPv4(result: CniResult, ifName?: string): string | undefined {
  for (const ip of result.ips ?? []) {
    const addr = ip.address.split('/')[0];
    if (!addr.includes('.')) continue;
    if (ifName !== undefined && ip.interface !== undefined) {
      if (result.interfaces?.[ip.interface]?.name !== ifName) continue;
    }
    return addr;
  }
  return undefined;
}

/** `10.88.0.0/24` → `10.88.0.1` (network address + 1). Throws on a malformed IPv4 CIDR. */
export function firstHost(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid IPv4 CIDR ${cidr}`);
  const bits = Number(m[5]);
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const g = ((n & mask) + 1) >>> 0;
  return [g >>> 24, (g >>> 16) & 255, (g >>> 8) & 255, g & 255].join('.');
}
