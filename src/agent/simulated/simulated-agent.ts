/**
 * `skiff agent --simulated N`: simulated nodes in their own process, connected to a running
 * `skiff server` through the REST client and a kubeconfig (as kwok runs beside a cluster). The
 * agent registers N Nodes (capacity, labels, taints and pod stages as `skiff server
 * --simulated-nodes`), renews their Leases and drives their pods through the stages. When the
 * process stops (SIGTERM/SIGINT) renewal stops and the Nodes stay registered, so the node
 * lifecycle controller turns them Unknown and taints them `node.kubernetes.io/unreachable`, as it
 * does for a dead kubelet.
 *
 * Pod CIDRs: a node that already exists keeps its `spec.podCIDR`; a new one gets the first /24
 * of `--cluster-cidr` that no Node uses (the first /24 is the server's node), so the agent's
 * nodes do not share pod address pools with the server's own simulated nodes.
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { defaultLogger, type Logger } from '../../client/informer.ts';
import { loadKubeconfig } from '../../client/kubeconfig.ts';
import { newRestClient } from '../../client/rest-client.ts';
import { parseCIDR } from './pod-ip.ts';
import { loadStages } from './stage.ts';
import { SimulatedNodes, loadSimulatedNodesConfig, type SimulatedNodeCapacity, type SimulatedNodesConfig } from './simulated-nodes.ts';

/** Options of {@link runSimulatedAgent}: the `skiff agent` flags. */
export interface SimulatedAgentOptions {
  /** `--kubeconfig` path (the server's `<data-dir>/kubeconfig.yaml` by default in the CLI). */
  kubeconfig: string;
  /** `--simulated N`: number of nodes (≥ 1). */
  count: number;
  /** `--node-name-prefix` (default `sim-agent-`): nodes are `<prefix>0 … <prefix>(N-1)`. */
  prefix: string;
  /** `--cluster-cidr`: the server's pod network, from which free /24s are taken. */
  clusterCIDR: string;
  /** `--simulated-config <yaml>`: the same file as `skiff server --simulated-config`. */
  configFile?: string;
  /** `--stages <yaml>`: a stage list file; wins over stages of the config file. */
  stagesFile?: string;
  /** `--node-labels k=v,…`: added to (and overriding) the config file's labels. */
  labels?: Record<string, string>;
  /** `--register-with-taints k=v:Effect,…`: replaces the config file's taints when given. */
  taints?: Taint[];
  /** `--capacity cpu=…,memory=…,pods=…`: overrides the config file's capacity fields. */
  capacity?: SimulatedNodeCapacity;
  /** `--node-lease-duration-seconds` (default 40); the Lease is renewed every quarter of it, as the kubelet does. */
  leaseDurationSeconds?: number;
  logger?: Logger;
  /** Called once every node is registered, with the node names. */
  onReady?: (nodeNames: string[]) => void;
  /** Client to use instead of one built from the kubeconfig (tests). */
  client?: Client;
}

/**
 * Parses `k=v,k2=v2` (kubelet `--node-labels`). Throws `invalid label "<item>"` on an item without `=`.
 */
export function parseNodeLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`invalid label "${item}"`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/**
 * Parses kubelet `--register-with-taints`: `key=value:Effect` or `key:Effect`, comma-separated
 * (upstream ParseTaints). Throws `invalid taint spec: <item>` on a malformed item or an effect other
 * than NoSchedule, PreferNoSchedule, NoExecute.
 */
export function parseTaints(s: string): Taint[] {
  const out: Taint[] = [];
  for (const item of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(item);
    if (!m) throw new Error(`invalid taint spec: ${item}`);
    out.push({ key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3]! });
  }
  return out;
}

/**
 * Parses `--capacity cpu=8,memory=32Gi,pods=50`. Throws `invalid capacity "<item>"` on unknown
 * keys or items without `=`.
 */
export function parseCapacity(s: string): SimulatedNodeCapacity {
  const out: SimulatedNodeCapacity = {};
  for (const [k, v] of Object.entries(parseNodeLabels(s))) {
    if (k !== 'cpu' && k !== 'memory' && k !== 'pods') throw new Error(`invalid capacity "${k}=${v}" (cpu, memory or pods)`);
    out[k] = v;
  }
  return out;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Pod CIDRs for `names`: an existing Node's `spec.podCIDR` is kept; other names get the first /24
 * blocks of `clusterCIDR` (skipping block 0, the server's node) that no Node in `nodes` uses, or
 * the whole `clusterCIDR` (a shared pool) once none is free. Returns one CIDR per name.
 * Throws on a malformed CIDR.
 */
export function pickPodCIDRs(clusterCIDR: string, names: string[], nodes: Node[]): string[] {
  const { base, bits } = parseCIDR(clusterCIDR);
  const used = new Set(nodes.flatMap((n) => [n.spec?.podCIDR, ...(n.spec?.podCIDRs ?? [])]).filter((x): x is string => !!x));
  const byName = new Map(nodes.map((n) => [n.metadata?.name, n.spec?.podCIDR]));
  const blocks = bits >= 24 ? 1 : 2 ** (24 - bits);
  let next = 1;
  return names.map((name) => {
    const existing = byName.get(name);
    if (existing) return existing;
    while (next < blocks) {
      const cidr = `${intToIp((base + next * 256) >>> 0)}/24`;
      next++;
      if (!used.has(cidr)) {
        used.add(cidr);
        return cidr;
      }
    }
    return clusterCIDR;
  });
}

/**
 * Runs the simulated agent until `signal` aborts: builds the client, picks pod CIDRs, registers
 * the nodes (retrying while the server is unreachable), then keeps Leases, statuses and pod stages
 * going. On abort it stops renewing and resolves; the Nodes are left registered.
 * Throws when the kubeconfig, config file or stages are invalid, or `count` < 1.
 */
export async function runSimulatedAgent(o: SimulatedAgentOptions, signal: AbortSignal): Promise<void> {
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`--simulated must be a positive integer, got ${o.count}`);
  const log = o.logger ?? defaultLogger;
  const client = o.client ?? newRestClient({ ...loadKubeconfig(o.kubeconfig), userAgent: 'skiff-agent/0.1' });
  const fileCfg = o.configFile ? loadSimulatedNodesConfig(o.configFile) : {};
  const cfg: Omit<SimulatedNodesConfig, 'client' | 'count'> = { ...fileCfg };
  if (o.stagesFile) cfg.stages = loadStages(o.stagesFile);
  if (o.labels) cfg.labels = { ...(cfg.labels ?? {}), ...o.labels };
  if (o.taints) cfg.taints = o.taints;
  if (o.capacity) cfg.capacity = { ...(cfg.capacity ?? {}), ...o.capacity };
  const names = Array.from({ length: o.count }, (_, i) => `${o.prefix}${i}`);

  let nodes: Node[] | undefined;
  for (let delay = 200; !nodes; delay = Math.min(delay * 2, 5000)) {
    try {
      nodes = (await client.list(GVR.nodes, undefined)).items as Node[];
    } catch (e) {
      if (signal.aborted) return;
      log.warn({ err: (e as Error).message }, 'listing nodes failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const podCIDRs = pickPodCIDRs(o.clusterCIDR, names, nodes);
  const leaseDurationSeconds = o.leaseDurationSeconds ?? 40;
  const sim = new SimulatedNodes({
    ...cfg,
    client,
    count: o.count,
    prefix: o.prefix,
    clusterCIDR: o.clusterCIDR,
    podCIDRs,
    // Fake InternalIPs after the server's simulated nodes (which start at 127.1.0.1).
    nodeIPOffset: 1024 + nodes.length,
    leaseDurationSeconds,
    leaseRenewIntervalMs: Math.max(250, leaseDurationSeconds * 250),
    logger: log,
  });
  await sim.start(signal);
  if (signal.aborted) {
    await sim.stop();
    return;
  }
  o.onReady?.(sim.nodeNames);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await sim.stop();
}
