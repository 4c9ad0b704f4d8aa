/**
 * Driving the RuntimeService for one pod, after pkg/kubelet/kuberuntime/kuberuntime_manager.go
 * (computePodActions, SyncPod, KillPod) and kuberuntime_container.go (startContainer, killContainer,
 * doBackOff):
 * - a sandbox is (re)created when none is ready, killing leftovers of the old one first
 *   (event `SandboxChanged` `Pod sandbox changed, it will be killed and re-created.`);
 * - init containers run one at a time, in order, each to exit 0, before any regular container;
 * - regular containers start when missing; exited ones restart per restartPolicy
 *   (Always; OnFailure on non-zero exit; Never) with CrashLoopBackOff (10 s doubling to 300 s,
 *   reset after 10 min, keyed by pod uid + container name; waiting message
 *   `back-off 20s restarting failed container=<c> pod=<name>_<ns>(<uid>)`, event BackOff
 *   `Back-off restarting failed container <c> in pod <name>_<ns>(<uid>)`);
 * - a container whose liveness/startup probe failed is killed (`Killing`
 *   `Container <c> failed liveness probe, will be restarted`) and restarted per policy;
 * - the newest exited run of each container is kept (its log serves `--previous`), older ones removed.
 * Start failures are remembered per container as waiting reasons (ErrImagePull, ImagePullBackOff,
 * ErrImageNeverPull, CreateContainerConfigError, CreateContainerError, RunContainerError,
 * CrashLoopBackOff) for the status.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/interface.ts';
import {
  LABEL_POD_UID,
  type ContainerStatus,
  type PodSandboxStatus,
  type RuntimeService,
} from '../runtime/types.ts';
import { Backoff, formatGoDuration } from './backoff.ts';
import { containerFieldPath, Reasons, type KubeletEventRecorder } from './events.ts';
import { ImageManager, ImagePullError } from './images.ts';
import {
  ContainerConfigError,
  ensureHostsFile,
  generateContainerConfig,
  generatePodSandboxConfig,
  makeEnvironmentVariables,
  makeMounts,
  makeTerminationMessageMount,
  needsManagedHostsFile,
  hashContainer,
  ANNOTATION_CONTAINER_HASH,
  type DNSSettings,
} from './kubelet-pods.ts';
import type { ProbeManager } from './prober/prober-manager.ts';
import { runProbe } from './prober/prober.ts';
import { containersByName, restartCountOf, type ReasonInfo } from './status/generate.ts';

/** Runtime state of one pod (upstream kubecontainer.PodStatus). */
export interface RuntimePodStatus {
  /** Newest first. */
  sandboxes: PodSandboxStatus[];
  containers: ContainerStatus[];
}

/** What a sync asks of its caller afterwards. */
export interface SyncResult {
  /** Re-sync the pod after this many ms (back-off expiry, pull retry); undefined = no timer. */
  requeueAfterMs?: number;
  /** The pod reached a terminal state (no more restarts). */
  terminal: boolean;
}

/** `name_namespace(uid)` (upstream format.Pod). */
export function formatPod(pod: Pod): string {
  return `${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`;
}

export { restartCountOf };

/** Dependencies of {@link KubeGenericRuntimeManager}. */
export interface RuntimeManagerDeps {
  client: Client;
  runtime: RuntimeService;
  imageManager: ImageManager;
  recorder: KubeletEventRecorder;
  probes: ProbeManager;
  rootDir: string;
  dns: DNSSettings;
  hostIP: () => string;
  crashLoopBackOff: Backoff;
  now: () => number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

/** Per-pod runtime actions. */
export class KubeGenericRuntimeManager {
  /** uid → containerName → start failure. */
  readonly reasons = new Map<string, Map<string, ReasonInfo>>();
  /** Count of mutating runtime calls made (lets callers skip re-reads when nothing changed). */
  mutations = 0;
  /** The runtime, counting mutating calls. */
  private readonly rt: RuntimeService;

  constructor(private readonly d: RuntimeManagerDeps) {
    const mutating = new Set(['runPodSandbox', 'stopPodSandbox', 'removePodSandbox', 'createContainer', 'startContainer', 'stopContainer', 'removeContainer']);
    this.rt = new Proxy(d.runtime, {
      get: (target, prop, recv) => {
        const v = Reflect.get(target, prop, recv);
        if (typeof v !== 'function') return v;
        if (typeof prop === 'string' && mutating.has(prop)) {
          return (...args: unknown[]) => {
            this.mutations++;
            return v.apply(target, args);
          };
        }
        return v.bind(target);
      },
    });
  }

  /** Reads the pod's sandboxes and containers from the runtime (GetPodStatus). */
  async getPodStatus(uid: string): Promise<RuntimePodStatus> {
    const sel = { labelSelector: { [LABEL_POD_UID]: uid } };
    const [sandboxes, containers] = await Promise.all([this.rt.listPodSandbox(sel), this.rt.listContainers(sel)]);
    sandboxes.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
    return { sandboxes, containers };
  }

  /** The reason map of pod `uid`. */
  reasonsOf(uid: string): Map<string, ReasonInfo> {
    let m = this.reasons.get(uid);
    if (!m) this.reasons.set(uid, (m = new Map()));
    return m;
  }

  /**
   * Whether the pod is done: restartPolicy Never with every container (or a failed init container)
   * exited, or OnFailure with every container exited 0. Always is never done.
   */
  podIsDone(pod: Pod, st: RuntimePodStatus): boolean {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return false;
    for (const c of pod.spec?.initContainers ?? []) {
      if (c.restartPolicy === 'Always') continue;
      const latest = containersByName(st.containers, c.name)[0];
      if (latest?.state === 'CONTAINER_EXITED' && latest.exitCode !== 0 && policy === 'Never') return true;
    }
    const regular = pod.spec?.containers ?? [];
    if (!regular.length) return false;
    return regular.every((c) => {
      const latest = containersByName(st.containers, c.name)[0];
      if (!latest || latest.state !== 'CONTAINER_EXITED') return false;
      return policy === 'Never' || latest.exitCode === 0;
    });
  }

  /**
   * SyncPod: brings the runtime in line with the spec. Never throws for per-container failures
   * (they become waiting reasons); throws on unexpected runtime errors so the caller retries.
   */
  async syncPod(pod: Pod, st: RuntimePodStatus, volumes: Map<string, string>): Promise<SyncResult> {
    const uid = pod.metadata!.uid!;
    const reasons = this.reasonsOf(uid);
    const m0 = this.mutations;
    let requeue: number | undefined;
    const want = (ms: number) => {
      if (ms > 0 && (requeue === undefined || ms < requeue)) requeue = ms;
    };

    if (this.podIsDone(pod, st)) {
      // Completed pods keep their containers stopped; the network goes away.
      for (const sb of st.sandboxes) if (sb.state === 'SANDBOX_READY') await this.rt.stopPodSandbox(sb.id);
      for (const name of [...reasons.keys()]) reasons.delete(name);
      return { terminal: true };
    }

    // 1. Sandbox.
    let sandbox = st.sandboxes[0];
    if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
      if (sandbox) {
        this.d.recorder.eventf(pod, undefined, 'Normal', Reasons.SandboxChanged, 'Pod sandbox changed, it will be killed and re-created.');
        await this.killContainers(pod, st.containers.filter((c) => c.state === 'CONTAINER_RUNNING'), 0);
        for (const sb of st.sandboxes) await this.rt.stopPodSandbox(sb.id).catch(() => undefined);
      }
      const attempt = sandbox ? sandbox.metadata.attempt + 1 : 0;
      const config = generatePodSandboxConfig(pod, attempt, this.d.dns);
      try {
        const id = await this.rt.runPodSandbox(config);
        sandbox = await this.rt.podSandboxStatus(id);
      } catch (e) {
        this.d.recorder.eventf(pod, undefined, 'Warning', Reasons.FailedCreatePodSandBox, `Failed to create pod sandbox: ${(e as Error).message}`);
        return { requeueAfterMs: 5000, terminal: false };
      }
      st = { sandboxes: [sandbox, ...st.sandboxes], containers: st.containers };
    }
    const sandboxConfig = generatePodSandboxConfig(pod, sandbox.metadata.attempt, this.d.dns);
    const hostsFile = !needsManagedHostsFile(pod) ? undefined : await ensureHostsFile(this.d.rootDir, pod, sandbox.ip, this.d.dns.clusterDomain);
    // Only containers of the current sandbox count as current runs.
    const current = st.containers.filter((c) => c.podSandboxId === sandbox!.id);
    const previousRuns = st.containers.filter((c) => c.podSandboxId !== sandbox!.id);

    const start = async (c: Container, init: boolean): Promise<void> => {
      const all = containersByName(st.containers, c.name);
      const attempt = all.length ? Math.max(...all.map(restartCountOf)) + 1 : 0;
      const r = await this.startContainer(pod, c, init, attempt, sandbox!, sandboxConfig, volumes, hostsFile);
      if (r) want(r);
    };

    // 2. Init containers, one at a time.
    // Sidecars (init containers with restartPolicy Always) start in their turn, keep running and
    // are restarted with back-off; once every regular init container is done they no longer block.
    const inits = pod.spec?.initContainers ?? [];
    const pastInit = inits.filter((c) => c.restartPolicy !== 'Always').every((c) => {
      const l = containersByName(current, c.name)[0];
      return l?.state === 'CONTAINER_EXITED' && l.exitCode === 0;
    });
    for (const c of inits) {
      const latest = containersByName(current, c.name)[0];
      if (c.restartPolicy === 'Always') {
        if (latest?.state === 'CONTAINER_RUNNING') continue;
        if (latest?.state === 'CONTAINER_CREATED') await this.rt.removeContainer(latest.id);
        else if (latest) {
          const wait = this.doBackOff(pod, c, latest, reasons, true);
          if (wait > 0) {
            want(wait);
            if (pastInit) continue;
            return { requeueAfterMs: requeue, terminal: false };
          }
        }
        await start(c, true);
        if (pastInit) continue;
        return { requeueAfterMs: requeue ?? 1, terminal: false };
      }
      if (latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
      if (latest?.state === 'CONTAINER_RUNNING') return { requeueAfterMs: requeue, terminal: false };
      if (latest?.state === 'CONTAINER_CREATED') {
        await this.rt.removeContainer(latest.id);
        await start(c, true);
        return { requeueAfterMs: requeue, terminal: false };
      }
      if (latest && latest.state !== 'CONTAINER_EXITED') return { requeueAfterMs: requeue, terminal: false };
      if (latest) {
        // Failed init container: restart with back-off unless Never (then the pod fails).
        if ((pod.spec?.restartPolicy ?? 'Always') === 'Never') return { terminal: true };
        const wait = this.doBackOff(pod, c, latest, reasons, true);
        if (wait > 0) return { requeueAfterMs: wait, terminal: false };
      }
      await start(c, true);
      return { requeueAfterMs: requeue, terminal: false };
    }

    // 3. Regular containers.
    const policy = pod.spec?.restartPolicy ?? 'Always';
    for (const c of pod.spec?.containers ?? []) {
      const latest = containersByName(current, c.name)[0] ?? containersByName(previousRuns, c.name)[0];
      const isCurrent = !!latest && latest.podSandboxId === sandbox.id;
      if (latest && isCurrent && latest.state === 'CONTAINER_RUNNING') {
        const hash = latest.annotations?.[ANNOTATION_CONTAINER_HASH];
        if (hash && hash !== hashContainer(c)) {
          // containerChanged: the spec (e.g. image) was edited; replace the container now.
          await this.killContainer(pod, c, latest, undefined, `Container ${c.name} definition changed, will be restarted`);
          await start(c, false);
          continue;
        }
        const failed = this.d.probes.failedProbe(uid, c.name, latest.id);
        if (!failed) continue;
        await this.killContainer(pod, c, latest, undefined, `Container ${c.name} failed ${failed} probe, will be restarted`);
        want(1);
        continue;
      }
      if (latest && isCurrent && latest.state === 'CONTAINER_CREATED') {
        await this.rt.removeContainer(latest.id);
        await start(c, false);
        continue;
      }
      if (!latest) {
        await start(c, false);
        continue;
      }
      // Exited (in this sandbox, or a run from a previous sandbox).
      if (latest.state === 'CONTAINER_RUNNING') continue; // leftover of an old sandbox being killed
      const restart = !isCurrent || policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
      if (!restart) continue;
      if (isCurrent) {
        const wait = this.doBackOff(pod, c, latest, reasons, false);
        if (wait > 0) {
          want(wait);
          continue;
        }
      }
      await start(c, false);
    }
    // A sync adds at most one run per container name, so pruning (keep the newest two runs) can
    // only find something when a name already had two runs before it; skip the re-read otherwise.
    if (this.mutations !== m0 && hasRepeatedName(st.containers)) await this.pruneExited((await this.getPodStatus(uid)).containers, pod);
    return { requeueAfterMs: requeue, terminal: false };
  }

  /**
   * doBackOff: while the container's CrashLoopBackOff since its last exit runs, records the
   * waiting reason and returns the ms left; otherwise advances the back-off and returns 0.
   */
  private doBackOff(pod: Pod, c: Container, last: ContainerStatus, reasons: Map<string, ReasonInfo>, init: boolean): number {
    const key = `${pod.metadata!.uid}/${c.name}`;
    const ts = last.finishedAt || this.d.now();
    if (this.d.crashLoopBackOff.isInBackOffSince(key, ts)) {
      const delay = formatGoDuration(this.d.crashLoopBackOff.get(key));
      const prev = reasons.get(c.name);
      if (prev?.reason !== 'CrashLoopBackOff') {
        this.d.recorder.eventf(pod, containerFieldPath(c.name, init), 'Warning', Reasons.BackOffStartContainer, `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`);
      }
      reasons.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${delay} restarting failed container=${c.name} pod=${formatPod(pod)}` });
      return Math.max(1, this.d.crashLoopBackOff.remaining(key, ts));
    }
    this.d.crashLoopBackOff.next(key, ts);
    return 0;
  }

  /**
   * startContainer: image → config → create → start, with events Created/Started and waiting
   * reasons on failure. Returns ms after which to retry (pull back-off), or undefined.
   */
  private async startContainer(
    pod: Pod,
    c: Container,
    init: boolean,
    attempt: number,
    sandbox: PodSandboxStatus,
    sandboxConfig: ReturnType<typeof generatePodSandboxConfig>,
    volumes: Map<string, string>,
    hostsFile: string | undefined,
  ): Promise<number | undefined> {
    const uid = pod.metadata!.uid!;
    const reasons = this.reasonsOf(uid);
    const fp = containerFieldPath(c.name, init);
    const failed = (reason: string, message: string, event = true) => {
      reasons.set(c.name, { reason, message });
      if (event) this.d.recorder.eventf(pod, fp, 'Warning', Reasons.FailedToCreateContainer, `Error: ${reason === 'CreateContainerConfigError' || reason === 'CreateContainerError' ? message : reason}`);
    };
    let imageRef: string;
    try {
      imageRef = await this.d.imageManager.ensureImageExists(pod, c, fp);
    } catch (e) {
      if (e instanceof ImagePullError) {
        failed(e.reason, e.reason === 'ImagePullBackOff' ? e.message : e.message);
        const left = this.d.imageManager.backoffRemaining(uid, c.image ?? '');
        // After ErrImagePull the next sync reports ImagePullBackOff; retry once the back-off ends.
        return e.reason === 'ErrImagePull' ? 1000 : e.reason === 'ImagePullBackOff' ? Math.max(left, 500) : undefined;
      }
      throw e;
    }
    void imageRef;
    let config;
    try {
      const envs = await makeEnvironmentVariables(this.d.client, pod, c, sandbox.ip, this.d.hostIP());
      const mounts = await makeMounts(c, volumes, hostsFile);
      let termFile: string | undefined;
      if (!mounts.some((m) => m.containerPath === (c.terminationMessagePath || '/dev/termination-log'))) {
        const tm = await makeTerminationMessageMount(this.d.rootDir, pod, c, attempt);
        mounts.push(tm);
        termFile = tm.hostPath;
      }
      config = generateContainerConfig(this.d.rootDir, pod, c, attempt, envs, mounts, c.image ?? '', init, termFile);
    } catch (e) {
      if (e instanceof ContainerConfigError) {
        failed('CreateContainerConfigError', e.message);
        return 5000;
      }
      throw e;
    }
    let id: string;
    try {
      id = await this.rt.createContainer(sandbox.id, config, sandboxConfig);
    } catch (e) {
      failed('CreateContainerError', (e as Error).message);
      return 5000;
    }
    this.d.recorder.eventf(pod, fp, 'Normal', Reasons.CreatedContainer, `Created container: ${c.name}`);
    try {
      await this.rt.startContainer(id);
    } catch (e) {
      const msg = `failed to start container "${c.name}": ${(e as Error).message}`;
      reasons.set(c.name, { reason: 'RunContainerError', message: msg });
      this.d.recorder.eventf(pod, fp, 'Warning', Reasons.FailedToStartContainer, `Error: ${msg}`);
      return 5000;
    }
    this.d.recorder.eventf(pod, fp, 'Normal', Reasons.StartedContainer, `Started container ${c.name}`);
    reasons.delete(c.name);
    // postStart exec hook: a failure kills the container (restarted per policy).
    const cmd = c.lifecycle?.postStart?.exec?.command;
    if (cmd?.length) {
      const r = await this.rt.execSync(id, cmd, 30).catch((e: Error) => ({ exitCode: -1, stdout: Buffer.from(''), stderr: Buffer.from(e.message) }));
      if (r.exitCode !== 0) {
        const output = Buffer.concat([r.stdout, r.stderr]).toString();
        const msg = `Exec lifecycle hook ([${cmd.join(' ')}]) for Container "${c.name}" in Pod "${formatPod(pod)}" failed - error: command '${cmd.join(' ')}' exited with ${r.exitCode}: ${output}, message: ${JSON.stringify(output)}`;
        this.d.recorder.eventf(pod, fp, 'Warning', 'FailedPostStartHook', msg);
        const status = await this.rt.containerStatus(id);
        await this.killContainer(pod, c, status, undefined, 'FailedPostStartHook');
        return 1;
      }
    }
    return undefined;
  }

  /**
   * killContainer: optional preStop hook (exec, httpGet or sleep, within the grace period), then stopContainer with
   * the remaining grace. Event Killing with `message` (default `Stopping container <c>`).
   * @param gracePeriodSeconds undefined = the pod's terminationGracePeriodSeconds (default 30)
   */
  async killContainer(pod: Pod, spec: Container | undefined, c: ContainerStatus, gracePeriodSeconds: number | undefined, message?: string): Promise<void> {
    const name = c.metadata.name;
    const init = !!pod.spec?.initContainers?.some((x) => x.name === name) && !pod.spec?.containers.some((x) => x.name === name);
    let grace = gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.d.recorder.eventf(pod, containerFieldPath(name, init), 'Normal', Reasons.KillingContainer, message ?? `Stopping container ${name}`);
    const preStop = spec?.lifecycle?.preStop;
    if (preStop?.exec?.command?.length && c.state === 'CONTAINER_RUNNING' && grace > 0) {
      const started = this.d.now();
      await this.rt.execSync(c.id, preStop.exec.command, grace).catch(() => undefined);
      grace = Math.max(2, grace - Math.floor((this.d.now() - started) / 1000));
    } else if (preStop?.httpGet && spec && c.state === 'CONTAINER_RUNNING' && grace > 0) {
      const started = this.d.now();
      const ip = (await this.rt.podSandboxStatus(c.podSandboxId).catch(() => undefined))?.ip ?? '127.0.0.1';
      await runProbe({ httpGet: preStop.httpGet, timeoutSeconds: grace }, spec, c.id, ip, this.rt).catch(() => undefined);
      grace = Math.max(2, grace - Math.floor((this.d.now() - started) / 1000));
    } else if (preStop?.sleep?.seconds && grace > 0) {
      const secs = Math.min(preStop.sleep.seconds, grace);
      await new Promise((r) => setTimeout(r, secs * 1000));
      grace = Math.max(2, grace - secs);
    }
    await this.rt.stopContainer(c.id, grace);
  }

  /** Stops `containers` in parallel with `gracePeriodSeconds`. */
  async killContainers(pod: Pod, containers: ContainerStatus[], gracePeriodSeconds: number | undefined): Promise<void> {
    const specs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
    await Promise.all(
      containers.map((c) =>
        this.killContainer(pod, specs.find((s) => s.name === c.metadata.name), c, gracePeriodSeconds).catch((e) =>
          this.d.log('killContainer failed', { container: c.id, err: (e as Error).message }),
        ),
      ),
    );
  }

  /** KillPod: stops running containers (grace), then every sandbox (network down). */
  async killPod(pod: Pod, st: RuntimePodStatus, gracePeriodSeconds: number | undefined): Promise<void> {
    await this.killContainers(pod, st.containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED'), gracePeriodSeconds);
    for (const sb of st.sandboxes) await this.rt.stopPodSandbox(sb.id);
  }

  /** Removes every sandbox (and with it the containers) of the pod. */
  async removePod(st: RuntimePodStatus): Promise<void> {
    for (const c of st.containers) await this.rt.removeContainer(c.id).catch(() => undefined);
    for (const sb of st.sandboxes) await this.rt.removePodSandbox(sb.id);
  }

  /** Keeps the newest two runs per container name (current + previous); removes older exited ones. */
  private async pruneExited(containers: ContainerStatus[], pod: Pod): Promise<void> {
    const names = new Set(containers.map((c) => c.metadata.name));
    for (const name of names) {
      const runs = containersByName(containers, name);
      for (const old of runs.slice(2)) {
        if (old.state !== 'CONTAINER_EXITED') continue;
        await this.rt.removeContainer(old.id).catch((e) => this.d.log('removeContainer failed', { pod: formatPod(pod), err: (e as Error).message }));
      }
    }
  }

  /** Forgets per-pod state. */
  forgetPod(uid: string): void {
    this.reasons.delete(uid);
    this.d.crashLoopBackOff.resetPrefix(`${uid}/`);
    this.d.imageManager.forgetPod(uid);
  }
}

/** Whether two or more of `containers` share a container name (metadata.name). */
function hasRepeatedName(containers: ContainerStatus[]): boolean {
  const seen = new Set<string>();
  for (const c of containers) {
    if (seen.has(c.metadata.name)) return true;
    seen.add(c.metadata.name);
  }
  return false;
}
