/**
 * Node registration and status, after pkg/kubelet/kubelet_node_status.go (registerWithAPIServer,
 * syncNodeStatus/tryUpdateNodeStatus) and pkg/kubelet/nodestatus/setters.go:
 * - labels `kubernetes.io/hostname`, `kubernetes.io/os=linux`, `kubernetes.io/arch`, the beta
 *   twins, plus the configured node labels;
 * - capacity from the host (cpu cores, memory in Ki, pods 110, ephemeral-storage from statfs of the
 *   root dir in Ki); allocatable = capacity minus the default hard-eviction reserves
 *   (memory 100Mi, ephemeral-storage 10%);
 * - addresses InternalIP (the first non-internal IPv4 of the host, else 127.0.0.1) and Hostname;
 * - nodeInfo (kubeletVersion v1.32.0+skiff, containerRuntimeVersion `<runtime>://<version>`,
 *   osImage from /etc/os-release PRETTY_NAME, kernel, machineID, bootID, systemUUID);
 * - conditions MemoryPressure/DiskPressure/PIDPressure False and Ready True with upstream's
 *   reasons/messages, `lastHeartbeatTime` refreshed each update, `lastTransitionTime` kept;
 * - images (up to 50, biggest first) for the scheduler's ImageLocality.
 * The status is written through `nodes/status` every `intervalMs` (10 s).
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/interface.ts';
import { GVR } from '../../client/interface.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/errors.ts';
import type { ImageService, RuntimeService } from '../runtime/types.ts';

/** Version reported as kubeletVersion / kubeProxyVersion (semver build metadata `+skiff`, as k3s's `v1.32.0+k3s1`). */
export const KUBELET_VERSION = 'v1.32.0+skiff';

/** The host's primary IPv4 (first non-internal interface address), else 127.0.0.1. */
export function getNodeInternalIP(): string {
  const ifs = os.networkInterfaces();
  for (const [name, addrs] of Object.entries(ifs)) {
    if (/^(lo|veth|cni|docker|br-|skiff|virbr)/.test(name)) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** `x64` → `amd64` etc. (GOARCH names). */
export function goArch(arch: string = os.arch()): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const text = readTrim('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'Linux';
}

/** Options of {@link NodeStatusManager}. */
export interface NodeStatusOptions {
  client: Client;
  nodeName: string;
  runtime: RuntimeService;
  images?: ImageService;
  rootDir: string;
  podCIDR?: string;
  nodeLabels?: Record<string, string>;
  nodeIP?: string;
  now?: () => number;
}

function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Registers the Node and keeps its status fresh. */
export class NodeStatusManager {
  private readonly now: () => number;
  private node?: Node;

  constructor(private readonly o: NodeStatusOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The Node object as last written. */
  get current(): Node | undefined {
    return this.node;
  }

  /** Labels of the node (well-known + configured). */
  nodeLabels(): Record<string, string> {
    return {
      'beta.kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch(),
      'kubernetes.io/hostname': this.o.nodeName,
      'kubernetes.io/os': 'linux',
      ...(this.o.nodeLabels ?? {}),
    };
  }

  /** Computes the node status (setters.go), keeping transition times from `old`. */
  async computeStatus(old: NodeStatus | undefined): Promise<NodeStatus> {
    const cpus = os.cpus().length || 1;
    const memKi = Math.floor(os.totalmem() / 1024);
    let diskKi = 0;
    try {
      const s = await statfs(this.o.rootDir);
      diskKi = Math.floor((s.blocks * s.bsize) / 1024);
    } catch {
      /* rootDir missing */
    }
    const capacity: Record<string, string> = {
      cpu: String(cpus),
      'ephemeral-storage': `${diskKi}Ki`,
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${memKi}Ki`,
      pods: '110',
    };
    const allocatable: Record<string, string> = {
      ...capacity,
      'ephemeral-storage': String(Math.floor(diskKi * 1024 * 0.9)),
      memory: `${Math.max(0, memKi - 100 * 1024)}Ki`,
    };
    const nowStr = metaTime(this.now());
    const cond = (type: string, status: string, reason: string, message: string): NodeCondition => {
      const prev = old?.conditions?.find((c) => c.type === type);
      return {
        type,
        status,
        lastHeartbeatTime: nowStr,
        lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : nowStr,
        reason,
        message,
      };
    };
    const v = await this.o.runtime.version().catch(() => ({ runtimeName: 'runc', runtimeVersion: 'unknown' }));
    const machineID = readTrim('/etc/machine-id');
    let images: NodeStatus['images'] = [];
    if (this.o.images) {
      const list = await this.o.images.listImages().catch(() => []);
      images = list
        .sort((a, b) => b.size - a.size)
        .slice(0, 50)
        .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size }));
    }
    const ip = this.o.nodeIP ?? getNodeInternalIP();
    return {
      capacity,
      allocatable,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: this.o.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID,
        systemUUID: readTrim('/sys/class/dmi/id/product_uuid') || machineID,
        bootID: readTrim('/proc/sys/kernel/random/boot_id'),
        kernelVersion: os.release(),
        osImage: osImage(),
        containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}`,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: goArch(),
      },
      images,
    };
  }

  /**
   * registerWithAPIServer: creates the Node (labels, podCIDR, status); when it already exists,
   * merges our labels and podCIDR into it. Returns the stored Node.
   */
  async registerWithAPIServer(): Promise<Node> {
    const labels = this.nodeLabels();
    const spec: Node['spec'] = this.o.podCIDR ? { podCIDR: this.o.podCIDR, podCIDRs: [this.o.podCIDR] } : {};
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.o.nodeName, labels, annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
      spec,
    };
    let stored: Node;
    try {
      stored = (await this.o.client.create(GVR.nodes, undefined, node as KubeObject)) as Node;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = (await this.o.client.get(GVR.nodes, undefined, this.o.nodeName)) as Node;
      const merged: Node = {
        ...existing,
        metadata: { ...existing.metadata, labels: { ...(existing.metadata?.labels ?? {}), ...labels } },
        spec: { ...(existing.spec ?? {}), ...(existing.spec?.podCIDR ? {} : spec) },
      };
      stored = (await this.o.client.update(GVR.nodes, undefined, merged as KubeObject)) as Node;
    }
    this.node = stored;
    await this.syncNodeStatus();
    return this.node!;
  }

  /** tryUpdateNodeStatus with conflict retries (5). Re-registers when the Node was deleted. */
  async syncNodeStatus(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      let node = this.node;
      try {
        if (!node) node = (await this.o.client.get(GVR.nodes, undefined, this.o.nodeName)) as Node;
        const status = await this.computeStatus(node.status);
        this.node = (await this.o.client.update(GVR.nodes, undefined, { ...node, status } as KubeObject, { subresource: 'status' })) as Node;
        return;
      } catch (e) {
        if (isNotFound(e)) {
          this.node = undefined;
          await this.registerWithAPIServer();
          return;
        }
        if (!isConflict(e)) throw e;
        this.node = undefined;
      }
    }
    throw new Error(`node ${this.o.nodeName}: status update kept conflicting`);
  }

  /** Registers (retrying every 2 s) and then updates the status every `intervalMs` until aborted. */
  async run(signal: AbortSignal, intervalMs = 10_000, log: (m: string, x?: unknown) => void = () => undefined): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.registerWithAPIServer();
        break;
      } catch (e) {
        log('node registration failed', (e as Error).message);
        await wait(2000, signal);
      }
    }
    while (!signal.aborted) {
      await wait(intervalMs, signal);
      if (signal.aborted) break;
      await this.syncNodeStatus().catch((e) => log('node status update failed', (e as Error).message));
    }
  }
}

/** Resolves after `ms` or on abort. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
