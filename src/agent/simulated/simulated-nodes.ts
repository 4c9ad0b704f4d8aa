/**
 * Simulated nodes, as kwok runs them (pkg/kwok/controllers/node_controller.go, node_lease_controller.go
 * and the pod stage controller): N Node objects with configurable capacity, labels and taints, a
 * Ready status, a Lease heartbeat in kube-node-lease (the kubelet's NodeLeaseController reused), and
 * pods bound to them driven through stages (see stage.ts) with no containers at all.
 *
 * Node names are `<prefix><i>` (default `sim-node-0 … sim-node-(N-1)`). Each Node carries the
 * well-known labels (`kubernetes.io/hostname`, `kubernetes.io/os`, `kubernetes.io/arch`, beta twins)
 * plus `node.skiff.io/simulated: "true"` (kwok's `type: kwok`) and the configured labels.
 * Real and simulated nodes coexist: the real kubelet only watches `spec.nodeName=<its node>`, and
 * the stage controller only touches pods bound to the simulated names.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { defaultLogger, type Logger } from '../../client/informer.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/errors.ts';
import { NodeLeaseController } from '../kubelet/node-lease.ts';
import { KUBELET_VERSION, goArch, wait } from '../kubelet/node-status.ts';
import { PodIPAllocator, simulatedPodCIDRs } from './pod-ip.ts';
import { DEFAULT_STAGES_PATH, loadStages, parseStages, type Stage } from './stage.ts';
import { StageController, type SimulatedNodeInfo } from './stage-controller.ts';

/** Label put on every simulated node (kwok uses `type: kwok`). */
export const SIMULATED_NODE_LABEL = 'node.skiff.io/simulated';

/** Capacity of each simulated node, as quantity strings. */
export interface SimulatedNodeCapacity {
  /** Cores; default "32". */
  cpu?: string;
  /** Bytes quantity; default "256Gi". */
  memory?: string;
  /** Max pods; default "110". */
  pods?: string;
}

/** Configuration of {@link SimulatedNodes}. */
export interface SimulatedNodesConfig {
  client: Client;
  /** Number of nodes. */
  count: number;
  /** Name prefix; default `sim-node-`. */
  prefix?: string;
  capacity?: SimulatedNodeCapacity;
  /** Extra labels on every node. */
  labels?: Record<string, string>;
  /** Taints on every node. */
  taints?: Taint[];
  /** Cluster pod CIDR the nodes' pod CIDRs are carved from (default 10.88.0.0/16); see simulatedPodCIDRs. */
  clusterCIDR?: string;
  /** Pod CIDR per node, in node order (overrides carving from clusterCIDR; `skiff agent` picks free /24s). */
  podCIDRs?: string[];
  /** Added to the node index in the fake InternalIP 127.1.x.y, so separate node sets do not share addresses (default 0). */
  nodeIPOffset?: number;
  /** Pod stages (default: stages/default.yaml). */
  stages?: Stage[];
  /** Lease renew period, ms (default 10000) and duration, s (default 40). */
  leaseRenewIntervalMs?: number;
  leaseDurationSeconds?: number;
  /** Node status refresh period, ms (default 60000; the Lease is the heartbeat, as upstream). */
  nodeStatusIntervalMs?: number;
  /** Stage workers (default 8). */
  workers?: number;
  logger?: Logger;
  now?: () => number;
  random?: () => number;
}

/**
 * The YAML file of `--simulated-config` (every field optional):
 * ```yaml
 * capacity: {cpu: "32", memory: 256Gi, pods: "110"}
 * labels: {topology.kubernetes.io/zone: zone-a}
 * taints: [{key: dedicated, value: sim, effect: NoSchedule}]
 * stagesFile: ./my-stages.yaml   # relative to this file; or
 * stages: [...]                  # inline stages
 * ```
 */
export interface SimulatedNodesFileConfig {
  capacity?: SimulatedNodeCapacity;
  labels?: Record<string, string>;
  taints?: Taint[];
  stagesFile?: string;
  stages?: Stage[];
}

/**
 * Reads a `--simulated-config` file into the fields of {@link SimulatedNodesConfig} it sets.
 * Throws on I/O, YAML or stage-schema errors.
 */
export function loadSimulatedNodesConfig(file: string): Pick<SimulatedNodesConfig, 'capacity' | 'labels' | 'taints' | 'stages'> {
  const raw = (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as SimulatedNodesFileConfig;
  const out: Pick<SimulatedNodesConfig, 'capacity' | 'labels' | 'taints' | 'stages'> = {};
  if (raw.capacity) out.capacity = Object.fromEntries(Object.entries(raw.capacity).map(([k, v]) => [k, String(v)]));
  if (raw.labels) out.labels = Object.fromEntries(Object.entries(raw.labels).map(([k, v]) => [k, String(v)]));
  if (raw.taints) out.taints = raw.taints;
  if (raw.stagesFile) out.stages = loadStages(path.resolve(path.dirname(file), raw.stagesFile));
  else if (raw.stages) out.stages = parseStages(YAML.stringify(raw.stages));
  return out;
}

function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Registers simulated nodes, keeps them alive, and runs their pods' stages. */
export class SimulatedNodes {
  /** Node names, in order. */
  readonly nodeNames: string[];
  readonly stageController: StageController;
  private readonly infos = new Map<string, SimulatedNodeInfo & { podCIDR: string }>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly ac = new AbortController();
  private running: Promise<unknown>[] = [];
  private readonly heartbeats = new Map<string, AbortController>();
  private readonly paused = new Map<string, SimulatedNodeInfo & { podCIDR: string }>();

  constructor(private readonly cfg: SimulatedNodesConfig) {
    if (!Number.isInteger(cfg.count) || cfg.count < 0) throw new Error(`invalid simulated node count ${cfg.count}`);
    this.log = cfg.logger ?? defaultLogger;
    this.now = cfg.now ?? Date.now;
    const prefix = cfg.prefix ?? 'sim-node-';
    this.nodeNames = Array.from({ length: cfg.count }, (_, i) => `${prefix}${i}`);
    const cidrs = cfg.podCIDRs ?? simulatedPodCIDRs(cfg.clusterCIDR ?? '10.88.0.0/16', cfg.count);
    if (cidrs.length < cfg.count) throw new Error(`${cidrs.length} pod CIDRs for ${cfg.count} simulated nodes`);
    const pools = new Map<string, PodIPAllocator>();
    this.nodeNames.forEach((name, i) => {
      const cidr = cidrs[i]!;
      const ipIndex = i + (cfg.nodeIPOffset ?? 0);
      if (!pools.has(cidr)) pools.set(cidr, new PodIPAllocator(cidr));
      // Fake InternalIPs in 127.1.0.0/16 (loopback: nothing outside the host is ever addressed).
      this.infos.set(name, { name, nodeIP: `127.1.${(ipIndex >> 8) & 255}.${(ipIndex & 255) + 1}`, ips: pools.get(cidr)!, podCIDR: cidr });
    });
    this.stageController = new StageController({
      client: cfg.client,
      nodes: this.infos,
      stages: cfg.stages ?? loadStages(DEFAULT_STAGES_PATH),
      workers: cfg.workers,
      logger: this.log,
      now: cfg.now,
      random: cfg.random,
    });
  }

  /** The Node object registered for simulated node `name` (without status). */
  nodeObject(name: string): Node {
    const info = this.infos.get(name);
    if (!info) throw new Error(`${name} is not a simulated node`);
    const arch = goArch();
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'beta.kubernetes.io/arch': arch,
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': arch,
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          [SIMULATED_NODE_LABEL]: 'true',
          ...(this.cfg.labels ?? {}),
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', [SIMULATED_NODE_LABEL]: 'true' },
      },
      spec: { podCIDR: info.podCIDR, podCIDRs: [info.podCIDR], ...(this.cfg.taints?.length ? { taints: this.cfg.taints } : {}) },
    };
  }

  /** The status written for node `name`, keeping condition transition times from `old`. */
  nodeStatus(name: string, old: NodeStatus | undefined): NodeStatus {
    const info = this.infos.get(name)!;
    const cap = { cpu: '32', memory: '256Gi', pods: '110', ...(this.cfg.capacity ?? {}) };
    const capacity = { cpu: cap.cpu, memory: cap.memory, pods: cap.pods, 'ephemeral-storage': '1Ti' };
    const nowStr = metaTime(this.now());
    const cond = (type: string, status: string, reason: string, message: string): NodeCondition => {
      const prev = old?.conditions?.find((c) => c.type === type);
      return { type, status, lastHeartbeatTime: nowStr, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : nowStr, reason, message };
    };
    return {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: info.nodeIP },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'simulated',
        containerRuntimeVersion: 'simulated://0.0.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    };
  }

  /** Creates (or merges labels/taints/podCIDR into) the Node, then writes its status. Returns the stored Node. */
  async registerNode(name: string): Promise<Node> {
    const want = this.nodeObject(name);
    let node: Node;
    try {
      node = (await this.cfg.client.create(GVR.nodes, undefined, want as KubeObject)) as Node;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const cur = (await this.cfg.client.get(GVR.nodes, undefined, name)) as Node;
      node = (await this.cfg.client.update(GVR.nodes, undefined, {
        ...cur,
        metadata: { ...cur.metadata, labels: { ...(cur.metadata?.labels ?? {}), ...want.metadata!.labels } },
        spec: { ...(cur.spec ?? {}), ...(cur.spec?.podCIDR ? {} : { podCIDR: want.spec!.podCIDR, podCIDRs: want.spec!.podCIDRs }), ...(want.spec?.taints ? { taints: want.spec.taints } : {}) },
      } as KubeObject)) as Node;
    }
    return this.updateNodeStatus(name, node);
  }

  /** Writes the node's status (conflict retries; re-registers a deleted Node). */
  async updateNodeStatus(name: string, node?: Node): Promise<Node> {
    for (let i = 0; i < 5; i++) {
      try {
        const cur = node ?? ((await this.cfg.client.get(GVR.nodes, undefined, name)) as Node);
        return (await this.cfg.client.update(GVR.nodes, undefined, { ...cur, status: this.nodeStatus(name, cur.status) } as KubeObject, { subresource: 'status' })) as Node;
      } catch (e) {
        if (isNotFound(e)) return this.registerNode(name);
        if (!isConflict(e)) throw e;
        node = undefined;
      }
    }
    throw new Error(`node ${name}: status update kept conflicting`);
  }

  /**
   * Registers every node (retrying failures every 2 s), starts their leases and status refreshes
   * and the stage controller, and resolves once all nodes are registered and the pod informer has
   * synced. Everything stops on `stop()` or when `signal` aborts.
   */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.ac.abort(), { once: true });
    const s = this.ac.signal;
    this.running.push(this.stageController.run(s));
    await Promise.all(
      this.nodeNames.map(async (name) => {
        while (!s.aborted) {
          try {
            await this.registerNode(name);
            break;
          } catch (e) {
            this.log.warn({ node: name, err: (e as Error).message }, 'simulated node registration failed; retrying');
            await wait(2000, s);
          }
        }
        this.startHeartbeat(name, s);
      }),
    );
    await this.stageController.waitForSync(s);
    this.log.info({ nodes: this.nodeNames.length, first: this.nodeNames[0] }, 'simulated nodes registered');
  }

  /** Runs the node's Lease renewal and status refresh until `s` (or the node's pause) aborts. */
  private startHeartbeat(name: string, s: AbortSignal): void {
    const own = new AbortController();
    this.heartbeats.set(name, own);
    const hs = AbortSignal.any([s, own.signal]);
    const lease = new NodeLeaseController({
      client: this.cfg.client,
      nodeName: name,
      leaseDurationSeconds: this.cfg.leaseDurationSeconds,
      renewIntervalMs: this.cfg.leaseRenewIntervalMs,
      now: this.cfg.now,
    });
    this.running.push(lease.run(hs, (m, x) => this.log.warn({ node: name, err: x }, m)));
    this.running.push(this.statusLoop(name, hs));
  }

  /**
   * Simulates losing node `name` (kubelet dead or partitioned): its Lease and status stop being
   * renewed and its pods' stages stop running (pods being deleted stay Terminating), until
   * {@link resumeNode}. Throws for an unknown or already paused node.
   */
  pauseNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) throw new Error(`${name} is not a running simulated node`);
    this.heartbeats.get(name)?.abort();
    this.heartbeats.delete(name);
    this.infos.delete(name);
    this.paused.set(name, info);
  }

  /** Undoes {@link pauseNode}: stages run again, status is posted at once and the Lease renewed. */
  async resumeNode(name: string): Promise<void> {
    const info = this.paused.get(name);
    if (!info) throw new Error(`${name} is not a paused simulated node`);
    this.paused.delete(name);
    this.infos.set(name, info);
    await this.updateNodeStatus(name);
    this.startHeartbeat(name, this.ac.signal);
  }

  private async statusLoop(name: string, s: AbortSignal): Promise<void> {
    while (!s.aborted) {
      await wait(this.cfg.nodeStatusIntervalMs ?? 60_000, s);
      if (s.aborted) return;
      await this.updateNodeStatus(name).catch((e: unknown) => this.log.warn({ node: name, err: (e as Error).message }, 'simulated node status update failed'));
    }
  }

  /** Stops leases, status refreshes and the stage controller (Nodes stay registered). */
  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.allSettled(this.running);
  }
}

/** Options of {@link startSimulatedNodes}: the `skiff server --simulated-*` flags. */
export interface StartSimulatedNodesOptions {
  client: Client;
  /** `--simulated-nodes N`; 0 starts nothing. */
  count: number;
  /** `--simulated-node-prefix` (default `sim-node-`). */
  prefix?: string;
  /** `--simulated-config <file>` (see {@link SimulatedNodesFileConfig}). */
  configFile?: string;
  /** The server's `--cluster-cidr`. */
  clusterCIDR: string;
  logger?: Logger;
  signal: AbortSignal;
}

/**
 * Starts `count` simulated nodes (resolves once registered and their stage controller has synced)
 * and returns a stop function. Throws when the config file or stages are invalid.
 */
export async function startSimulatedNodes(o: StartSimulatedNodesOptions): Promise<() => Promise<void>> {
  if (o.count <= 0) return async () => undefined;
  const fileCfg = o.configFile ? loadSimulatedNodesConfig(o.configFile) : {};
  const sim = new SimulatedNodes({ client: o.client, count: o.count, prefix: o.prefix, clusterCIDR: o.clusterCIDR, logger: o.logger, ...fileCfg });
  await sim.start(o.signal);
  return () => sim.stop();
}
