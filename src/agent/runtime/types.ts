/**
 * The container runtime interface between the kubelet and a runtime, after the CRI
 * (k8s.io/cri-api runtime/v1: RuntimeService + ImageService), trimmed to what Skiff uses.
 *
 * Implementations: `runc/` (real: netns + CNI + overlay rootfs + conmon + runc) and, later,
 * `simulated/`. All state a runtime needs to re-adopt sandboxes and containers after a restart
 * lives on disk under its state dir; `listPodSandbox`/`listContainers` read it back, so a
 * restarted kubelet finds running containers by their labels instead of starting duplicates.
 */

/** Labels the kubelet puts on sandboxes and containers (upstream's names). */
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Annotation holding the container's restart count (attempt). */
export const ANNOTATION_CONTAINER_RESTART_COUNT = 'io.kubernetes.container.restartCount';

/** A container port to publish on the host (hostPort), for the CNI portmap plugin. */
export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIP?: string;
}

/** `PodSandboxConfig`. */
export interface PodSandboxConfig {
  metadata: { name: string; namespace: string; uid: string; attempt: number };
  hostname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** resolv.conf content to use in the pod; undefined = host's. */
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  portMappings: PortMapping[];
  /** Cgroup parent for the pod, e.g. `/skiff/pod<uid>` (cgroup v1 path under each controller). */
  cgroupParent?: string;
}

/** `PodSandboxStatus`. */
export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxConfig['metadata'];
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  /** Unix ms. */
  createdAt: number;
  /** Pod IP (IPv4), from CNI. */
  ip?: string;
  /** Path of the network namespace, e.g. /var/run/netns/<name>. */
  netnsPath?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A bind mount into a container. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  /** 'private' | 'rslave' | 'rshared'; default private. */
  propagation?: string;
}

/** `ContainerConfig`: what the kubelet resolved from the pod spec and the image config. */
export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  /** Image reference as pulled (`127.0.0.1:5000/web:1`) — the runtime resolves it in its image store. */
  image: string;
  /** Final argv overrides (pod `command` → entrypoint, `args` → cmd); undefined = image's. */
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** Env as name/value pairs, already resolved (the image's env is merged under these by the runtime). */
  envs: { key: string; value: string }[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Absolute path of the CRI-format log file. */
  logPath: string;
  /** Resources; cpu in millicores, memory in bytes. */
  linux?: {
    resources?: { cpuRequestMillis?: number; cpuLimitMillis?: number; memoryLimitBytes?: number; pidsLimit?: number };
    securityContext?: { runAsUser?: number; runAsGroup?: number; privileged?: boolean; readOnlyRootfs?: boolean };
  };
  stdin?: boolean;
  tty?: boolean;
}

/** `ContainerState`. */
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** `ContainerStatus`. Times are Unix ms (0 = not set). */
export interface ContainerStatus {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** e.g. 'Completed', 'Error', 'OOMKilled'. */
  reason: string;
  message: string;
  image: string;
  /** Resolved image id (sha256:…), for containerStatuses[].imageID. */
  imageRef: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

/** Result of a synchronous exec. */
export interface ExecSyncResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** A streaming exec session (for kubectl exec). */
export interface ExecSession {
  stdin: NodeJS.WritableStream | null;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream | null;
  /** Resolves with the exit code. */
  exit: Promise<number>;
  resize(width: number, height: number): void;
  kill(): void;
}

/** The RuntimeService. Ids are opaque strings chosen by the runtime. */
export interface RuntimeService {
  /** Creates the network namespace, runs CNI ADD, returns the sandbox id. */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox (force) and tears down networking (CNI DEL). Idempotent. */
  stopPodSandbox(podSandboxId: string): Promise<void>;
  /** Removes the sandbox and its remaining containers, netns and state. Idempotent. */
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: { labelSelector?: Record<string, string> }): Promise<PodSandboxStatus[]>;

  /** Creates (but does not start) a container in the sandbox. Returns the container id. */
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** SIGTERM (or the image's StopSignal), wait up to `timeoutSeconds`, then SIGKILL. Idempotent. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  /** Removes a stopped container (rootfs mount, runc state, bundle). Idempotent. Logs are kept until the sandbox is removed. */
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: { podSandboxId?: string; labelSelector?: Record<string, string> }): Promise<ContainerStatus[]>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  /** Runs a command in a running container and collects its output (probes). Rejects on timeout. */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  /** Starts a streaming exec (kubectl exec). */
  exec(containerId: string, cmd: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecSession>;
  /** Runtime name and version, e.g. {runtimeName:'runc', runtimeVersion:'1.1.5'} (node.status.nodeInfo.containerRuntimeVersion = 'runc://1.1.5'). */
  version(): Promise<{ runtimeName: string; runtimeVersion: string }>;
}

/** An image known to the image store. */
export interface Image {
  /** Image id: the config digest, `sha256:…`. */
  id: string;
  /** References that resolve to it, e.g. `127.0.0.1:5000/web:1`, `docker.io/library/busybox:latest`. */
  repoTags: string[];
  repoDigests: string[];
  /** Total uncompressed size in bytes. */
  size: number;
}

/** Credentials for a registry (from imagePullSecrets). */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  identityToken?: string;
  registryToken?: string;
}

/** The ImageService. */
export interface ImageService {
  /** Pulls `image` (normalised as Docker does: `busybox` → `docker.io/library/busybox:latest`). Returns the image id. */
  pullImage(image: string, auth?: AuthConfig): Promise<string>;
  /** Undefined when the image is not present. */
  imageStatus(image: string): Promise<Image | undefined>;
  listImages(): Promise<Image[]>;
  removeImage(image: string): Promise<void>;
  /** Imports an OCI-layout or docker-archive tarball; returns the imported images. */
  importImage(tarPath: string): Promise<Image[]>;
}
