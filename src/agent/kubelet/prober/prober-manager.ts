/**
 * Probe workers, after pkg/kubelet/prober/{prober_manager.go,worker.go} and results/.
 * One worker per (pod uid, container, probe type) ticks every `periodSeconds` (default 10):
 * - only while the container runs; a new container id resets the worker (readiness → false,
 *   startup → not started, liveness → success);
 * - liveness and readiness wait until the startup probe (if any) succeeded; each waits
 *   `initialDelaySeconds` after the container started;
 * - a result flips only after `failureThreshold` (default 3) consecutive failures or
 *   `successThreshold` (default 1) consecutive successes;
 * - every failed attempt records `Unhealthy` `<Liveness|Readiness|Startup> probe failed: <output>`;
 * - a liveness/startup failure puts the worker on hold until the container id changes (the kubelet
 *   kills and restarts it).
 * Result changes call `onChange(uid)` so the pod worker re-syncs.
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../../runtime/types.ts';
import { containerFieldPath, Reasons, type KubeletEventRecorder } from '../events.ts';
import { runProbe } from './prober.ts';

/** Probe kinds. */
export type ProbeType = 'liveness' | 'readiness' | 'startup';

/** What a worker needs to know about the container it probes. */
export interface ProbeTarget {
  containerId: string;
  running: boolean;
  /** Unix ms. */
  startedAt: number;
  podIP: string;
}

interface Worker {
  key: string;
  uid: string;
  pod: Pod;
  container: Container;
  type: ProbeType;
  probe: Probe;
  containerId?: string;
  result: boolean;
  lastResult?: boolean;
  resultRun: number;
  onHold: boolean;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  busy: boolean;
}

const TITLE: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** Manages every probe worker of the node. */
export class ProbeManager {
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly runtime: RuntimeService,
    private readonly recorder: KubeletEventRecorder,
    /** Current state of a pod's container (undefined = not known/not running). */
    private readonly getTarget: (uid: string, containerName: string) => ProbeTarget | undefined,
    private readonly onChange: (uid: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts workers for the probes of `pod`'s regular containers (idempotent). */
  addPod(pod: Pod): void {
    const uid = pod.metadata!.uid!;
    for (const c of pod.spec?.containers ?? []) {
      for (const [type, probe] of [
        ['liveness', c.livenessProbe],
        ['readiness', c.readinessProbe],
        ['startup', c.startupProbe],
      ] as [ProbeType, Probe | undefined][]) {
        if (!probe) continue;
        const key = `${uid}/${c.name}/${type}`;
        const existing = this.workers.get(key);
        if (existing) {
          existing.pod = pod;
          continue;
        }
        const w: Worker = { key, uid, pod, container: c, type, probe, result: type === 'liveness', resultRun: 0, onHold: false, stopped: false, busy: false };
        this.workers.set(key, w);
        this.schedule(w, 0);
      }
    }
  }

  /** Stops every worker of pod `uid`. */
  removePod(uid: string): void {
    for (const [k, w] of this.workers) {
      if (w.uid !== uid) continue;
      w.stopped = true;
      clearTimeout(w.timer);
      this.workers.delete(k);
    }
  }

  /** Stops everything. */
  stop(): void {
    for (const uid of new Set([...this.workers.values()].map((w) => w.uid))) this.removePod(uid);
  }

  /** Readiness of a container (true when it has no readiness probe). */
  isReady(uid: string, containerName: string, containerId: string): boolean {
    const w = this.workers.get(`${uid}/${containerName}/readiness`);
    if (!w) return this.isStarted(uid, containerName, containerId);
    return w.containerId === containerId && w.result;
  }

  /** Startup state of a container (true when it has no startup probe). */
  isStarted(uid: string, containerName: string, containerId: string): boolean {
    const w = this.workers.get(`${uid}/${containerName}/startup`);
    if (!w) return true;
    return w.containerId === containerId && w.result;
  }

  /** 'liveness' / 'startup' when that probe failed for this container id (it must be restarted). */
  failedProbe(uid: string, containerName: string, containerId: string): 'liveness' | 'startup' | undefined {
    for (const type of ['liveness', 'startup'] as const) {
      const w = this.workers.get(`${uid}/${containerName}/${type}`);
      if (w && w.containerId === containerId && w.onHold && !w.result) return type;
    }
    return undefined;
  }

  private schedule(w: Worker, ms: number): void {
    if (w.stopped) return;
    clearTimeout(w.timer);
    w.timer = setTimeout(() => void this.tick(w), ms);
    w.timer.unref?.();
  }

  private async tick(w: Worker): Promise<void> {
    if (w.stopped) return;
    const period = (w.probe.periodSeconds ?? 10) * 1000;
    if (w.busy) return this.schedule(w, period);
    w.busy = true;
    try {
      await this.doProbe(w);
    } catch {
      /* a probe error never stops the worker */
    } finally {
      w.busy = false;
    }
    this.schedule(w, period);
  }

  private async doProbe(w: Worker): Promise<void> {
    const uid = w.uid;
    const t = this.getTarget(uid, w.container.name);
    if (!t || !t.running) {
      if (w.containerId !== undefined || (w.type !== 'liveness' && w.result)) {
        w.containerId = undefined;
        const changed = w.result !== (w.type === 'liveness');
        w.result = w.type === 'liveness';
        w.resultRun = 0;
        w.lastResult = undefined;
        if (changed) this.onChange(uid);
      }
      return;
    }
    if (w.containerId !== t.containerId) {
      const changed = w.result !== (w.type === 'liveness');
      w.containerId = t.containerId;
      w.result = w.type === 'liveness';
      w.resultRun = 0;
      w.lastResult = undefined;
      w.onHold = false;
      if (changed) this.onChange(uid);
    }
    if (w.onHold) return;
    if (w.type !== 'startup' && !this.isStarted(uid, w.container.name, t.containerId)) return;
    if (w.type === 'startup' && w.result) return;
    if (this.now() - t.startedAt < (w.probe.initialDelaySeconds ?? 0) * 1000) return;
    const r = await runProbe(w.probe, w.container, t.containerId, t.podIP, this.runtime);
    if (w.stopped || w.containerId !== t.containerId) return;
    if (!r.success) {
      this.recorder.eventf(w.pod, containerFieldPath(w.container.name), 'Warning', Reasons.ContainerUnhealthy, `${TITLE[w.type]} probe failed: ${r.output}`);
    }
    if (w.lastResult === r.success) w.resultRun++;
    else {
      w.lastResult = r.success;
      w.resultRun = 1;
    }
    const threshold = r.success ? (w.probe.successThreshold ?? 1) : (w.probe.failureThreshold ?? 3);
    if (w.resultRun < threshold) return;
    const changed = w.result !== r.success;
    w.result = r.success;
    if (!r.success && (w.type === 'liveness' || w.type === 'startup')) {
      w.onHold = true;
      w.resultRun = 0;
      this.onChange(uid);
      return;
    }
    if (changed) this.onChange(uid);
  }
}
