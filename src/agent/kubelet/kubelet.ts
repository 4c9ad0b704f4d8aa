/**
 * The kubelet, after pkg/kubelet/kubelet.go + pod_workers.go + pleg/generic.go:
 * - pod source: LIST+WATCH of pods with `spec.nodeName=<node>` ({@link SourceApiserver});
 * - pod workers: one async worker per pod uid serialises that pod's lifecycle; an update that
 *   arrives while a sync runs is coalesced into one more sync afterwards;
 * - triggers: pod events, a PLEG-like relist of the runtime every `relistIntervalMs` (1 s)
 *   that wakes the worker of any pod whose containers changed state, probe result changes,
 *   back-off timers, and a periodic resync of every pod every `resyncIntervalMs` (10 s) which
 *   also runs housekeeping (orphan sandboxes and pod dirs of pods no longer bound here) and, through
 *   the volume manager, refreshes configMap/secret/downwardAPI volumes (upstream: sync period + cache TTL);
 * - eviction: every `evictionMonitoringIntervalMs` (10 s) emptyDirs over their sizeLimit evict the pod
 *   (eviction.ts; Failed / Evicted, event Evicted, grace 1 s);
 * - sync: volumes → sandbox → images → containers (kuberuntime-manager.ts), then the status is
 *   regenerated and written only when it changed (status/);
 * - termination: a pod with `deletionTimestamp` has its containers stopped with
 *   `deletionGracePeriodSeconds`, its sandboxes and volumes torn down, its final status written,
 *   and is then deleted with `gracePeriodSeconds: 0` + uid precondition. A pod that vanished from
 *   the API (force delete) is killed and cleaned up the same way, without API writes;
 * - re-adoption: everything is level-triggered from the runtime's own listing (label
 *   `io.kubernetes.pod.uid`), so after a restart running containers are found, not duplicated,
 *   and restart counts come from container annotations.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/interface.ts';
import type { KubeletConnection } from '../../apiserver/kubelet-client.ts';
import { LABEL_POD_UID, type ContainerStatus, type ImageService, type RuntimeService } from '../runtime/types.ts';
import { Backoff } from './backoff.ts';
import { newKubeletRecorder, type KubeletEventRecorder } from './events.ts';
import { ImageManager } from './images.ts';
import { ANNOTATION_TERMINATION_MESSAGE_FILE, ANNOTATION_TERMINATION_MESSAGE_POLICY, podLogDir } from './kubelet-pods.ts';
import { readLogs } from './logs.ts';
import { KubeGenericRuntimeManager, type RuntimePodStatus } from './kuberuntime-manager.ts';
import { getNodeInternalIP } from './node-status.ts';
import { SourceApiserver } from './pod-source.ts';
import { ProbeManager } from './prober/prober-manager.ts';
import { KubeletServer } from './server.ts';
import { canonicalJSON, containersByName, generateAPIPodStatus } from './status/generate.ts';
import { StatusManager } from './status/status-manager.ts';
import { podDir, VolumeError, VolumeManager } from './volumes.ts';
import { EVICTION_REASON, IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS, localStorageEviction } from './eviction.ts';

/** Options of {@link Kubelet}. */
export interface KubeletOptions {
  client: Client;
  nodeName: string;
  runtime: RuntimeService;
  images: ImageService;
  /** Pod dirs (`<rootDir>/pods/<uid>`) and logs (`<rootDir>/logs/...`). */
  rootDir: string;
  podCIDR?: string;
  /** Cluster DNS server IPs for ClusterFirst pods; without it pods use the host's resolv.conf. */
  clusterDNS?: string[];
  /** Default `cluster.local`. */
  clusterDomain?: string;
  nodeLabels?: Record<string, string>;
  /** Host resolv.conf path (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Node InternalIP used as hostIP (default: detected). */
  nodeIP?: string;
  /** Event recorder (default: Events through `client`). */
  recorder?: KubeletEventRecorder;
  /** Periodic resync of every pod, ms (default 10000). */
  resyncIntervalMs?: number;
  /** Runtime relist period, ms (default 1000). */
  relistIntervalMs?: number;
  /** Eviction manager monitoring period (emptyDir sizeLimit checks), ms (default 10000, upstream's 10 s). */
  evictionMonitoringIntervalMs?: number;
  /** CrashLoopBackOff bounds, ms (default 10000 → 300000). */
  crashLoopBackOff?: { initialMs: number; maxMs: number };
  /** ImagePullBackOff bounds, ms (default 10000 → 300000). */
  imagePullBackOff?: { initialMs: number; maxMs: number };
  /** Whether tmpfs mounts are allowed (default: running as root). */
  allowMounts?: boolean;
  /** Logger (default: console.error for warnings). */
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** Clock, Unix ms. */
  now?: () => number;
}

interface PodState {
  uid: string;
  pod: Pod;
  /** Gone from the API (DELETED event or relist). */
  deleted: boolean;
  working: boolean;
  pending: boolean;
  /** Terminated and cleaned up (waiting for the DELETED event). */
  finished: boolean;
  terminal: boolean;
  /** activeDeadlineSeconds passed: the pod was killed and is Failed/DeadlineExceeded. */
  deadlineExceeded?: boolean;
  /** Eviction message: the eviction manager asked for (or did) the eviction; the pod is Failed/Evicted. */
  evicted?: string;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  /** When the last sync of this pod finished (Unix ms, monotonic enough for ordering). */
  lastSyncEnd: number;
  idle?: Promise<void>;
  idleResolve?: () => void;
}

/** The node agent's pod lifecycle engine. */
export class Kubelet {
  readonly nodeName: string;
  readonly runtime: RuntimeService;
  readonly images: ImageService;
  readonly rootDir: string;
  readonly statusManager: StatusManager;
  readonly probes: ProbeManager;
  readonly recorder: KubeletEventRecorder;
  private readonly client: Client;
  private readonly source: SourceApiserver;
  private readonly volumes: VolumeManager;
  private readonly runtimeManager: KubeGenericRuntimeManager;
  private readonly pods = new Map<string, PodState>();
  /** uid → latest runtime view (from syncs and relists). */
  private readonly runtimeCache = new Map<string, RuntimePodStatus>();
  private readonly lastRelist = new Map<string, string>();
  /** uid → runtime state from the latest relist and when that relist started (performance.now()). */
  private readonly relistSnapshot = new Map<string, { at: number; rs: RuntimePodStatus }>();
  private readonly now: () => number;
  private readonly log: (msg: string, extra?: Record<string, unknown>) => void;
  private readonly flushEvents?: () => Promise<void>;
  private readonly hostIP: string;
  private stopped = false;
  private housekeepingRunning = false;

  constructor(private readonly opts: KubeletOptions) {
    this.client = opts.client;
    this.nodeName = opts.nodeName;
    this.runtime = opts.runtime;
    this.images = opts.images;
    this.rootDir = opts.rootDir;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((msg, extra) => console.error(`kubelet: ${msg}`, extra ?? ''));
    this.hostIP = opts.nodeIP ?? getNodeInternalIP();
    if (opts.recorder) this.recorder = opts.recorder;
    else {
      const r = newKubeletRecorder(opts.client, opts.nodeName);
      this.recorder = r.recorder;
      this.flushEvents = r.flush;
    }
    this.statusManager = new StatusManager(opts.client);
    this.volumes = new VolumeManager(opts.rootDir, opts.client, opts.allowMounts ?? process.getuid?.() === 0);
    this.probes = new ProbeManager(
      opts.runtime,
      this.recorder,
      (uid, name) => this.probeTarget(uid, name),
      (uid) => this.updatePod(uid),
      this.now,
    );
    const imageManager = new ImageManager(opts.images, this.recorder, opts.imagePullBackOff, this.now, opts.client);
    this.runtimeManager = new KubeGenericRuntimeManager({
      client: opts.client,
      runtime: opts.runtime,
      imageManager,
      recorder: this.recorder,
      probes: this.probes,
      rootDir: opts.rootDir,
      dns: { clusterDNS: opts.clusterDNS, clusterDomain: opts.clusterDomain, resolvConf: opts.resolvConf },
      hostIP: () => this.hostIP,
      crashLoopBackOff: new Backoff(opts.crashLoopBackOff?.initialMs ?? 10_000, opts.crashLoopBackOff?.maxMs ?? 300_000, this.now),
      now: this.now,
      log: this.log,
    });
    this.source = new SourceApiserver(opts.client, opts.nodeName, {
      onUpsert: (pod) => this.handlePodUpsert(pod),
      onDelete: (pod) => this.handlePodDelete(pod),
      onSynced: () => void this.housekeeping(),
    });
  }

  /**
   * Runs the kubelet until `signal` aborts: pod source, relist loop, resync loop. Resolves after
   * the loops stopped and in-flight syncs finished. Containers keep running (re-adopted on restart).
   */
  async start(signal: AbortSignal): Promise<void> {
    const loops: Promise<void>[] = [this.source.run(signal)];
    loops.push(this.every(this.opts.relistIntervalMs ?? 1000, () => this.relist(), signal));
    loops.push(
      this.every(
        this.opts.resyncIntervalMs ?? 10_000,
        async () => {
          for (const uid of this.pods.keys()) this.updatePod(uid);
          await this.housekeeping();
        },
        signal,
      ),
    );
    loops.push(this.every(this.opts.evictionMonitoringIntervalMs ?? 10_000, () => this.synchronizeEviction(), signal));
    await Promise.all(loops);
    this.stopped = true;
    this.probes.stop();
    for (const st of this.pods.values()) clearTimeout(st.timer);
    await Promise.all([...this.pods.values()].map((st) => st.idle));
    await this.flushEvents?.();
  }

  /** Unmounts every volume mount of every pod (node clean-up after {@link start} returned); files stay. */
  async unmountAllVolumes(): Promise<void> {
    await this.volumes.unmountAll();
  }

  /** The streaming endpoints (logs, exec, port-forward) of this kubelet. */
  connection(): KubeletConnection {
    return new KubeletServer({
      runtime: this.runtime,
      findPod: (ns, name, uid) => this.findPod(ns, name, uid),
      podStatus: (uid) => this.runtimeManager.getPodStatus(uid),
    });
  }

  /** A pod bound here by uid, or by namespace/name. */
  findPod(namespace: string, name: string, uid?: string): Pod | undefined {
    if (uid) {
      const st = this.pods.get(uid);
      if (st) return this.statusManager.get(uid) ?? st.pod;
    }
    for (const st of this.pods.values()) {
      if (st.pod.metadata?.namespace === namespace && st.pod.metadata?.name === name && !st.deleted) return this.statusManager.get(st.uid) ?? st.pod;
    }
    return undefined;
  }

  /** Resolves when no sync of `uid` is running or pending (tests). */
  async waitIdle(uid: string): Promise<void> {
    await this.pods.get(uid)?.idle;
  }

  // ---------------------------------------------------------------- pod source handlers
  private handlePodUpsert(pod: Pod): void {
    const uid = pod.metadata!.uid!;
    this.statusManager.observe(pod);
    let st = this.pods.get(uid);
    // The echo of our own status write changes nothing the kubelet acts on (upstream's config
    // source treats a status-only change as a reconcile, not a sync): record it, do not re-sync.
    const echo = !!st && !st.deleted && this.statusManager.isOwnStatus(pod) && !podsDifferSemantically(st.pod, pod);
    if (!st) {
      st = { uid, pod, deleted: false, working: false, pending: false, finished: false, terminal: false, lastSyncEnd: 0 };
      this.pods.set(uid, st);
    }
    st.pod = pod;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') st.terminal = true;
    if (pod.status?.phase === 'Failed' && pod.status.reason === 'DeadlineExceeded') st.deadlineExceeded = true;
    if (pod.status?.phase === 'Failed' && pod.status.reason === EVICTION_REASON) st.evicted ??= pod.status.message ?? '';
    if (!echo) this.updatePod(uid);
  }

  private handlePodDelete(pod: Pod): void {
    const uid = pod.metadata!.uid!;
    const st = this.pods.get(uid);
    if (!st) return;
    st.deleted = true;
    st.pod = { ...st.pod, metadata: { ...st.pod.metadata, ...pod.metadata } };
    this.updatePod(uid);
  }

  // ---------------------------------------------------------------- pod workers
  /** UpdatePod: wakes (or coalesces into) the worker of pod `uid`. */
  updatePod(uid: string): void {
    const st = this.pods.get(uid);
    if (!st || this.stopped) return;
    if (st.working) {
      st.pending = true;
      return;
    }
    st.working = true;
    st.idle = new Promise((r) => (st.idleResolve = r));
    void this.podWorkerLoop(st);
  }

  private async podWorkerLoop(st: PodState): Promise<void> {
    try {
      do {
        st.pending = false;
        try {
          await this.syncOne(st);
          st.lastSyncEnd = performance.now();
        } catch (e) {
          st.lastSyncEnd = performance.now();
          this.log('sync failed', { pod: `${st.pod.metadata?.namespace}/${st.pod.metadata?.name}`, err: (e as Error).stack ?? String(e) });
          this.requeue(st, 2000);
        }
      } while (st.pending && !this.stopped);
    } finally {
      st.working = false;
      st.idleResolve?.();
    }
  }

  private requeue(st: PodState, ms: number): void {
    if (this.stopped) return;
    const at = this.now() + ms;
    if (st.timer && st.timerAt !== undefined && st.timerAt <= at) return;
    clearTimeout(st.timer);
    st.timerAt = at;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      st.timerAt = undefined;
      this.updatePod(st.uid);
    }, ms);
    st.timer.unref?.();
  }

  private async syncOne(st: PodState): Promise<void> {
    const uid = st.uid;
    if (st.deleted) {
      // Gone from the API: kill (force-deleted pods get no grace) and clean up, no API writes.
      const rs = await this.runtimeManager.getPodStatus(uid);
      await this.teardown(st.pod, rs, st.finished ? 0 : (st.pod.metadata?.deletionGracePeriodSeconds ?? 0));
      this.forget(uid);
      return;
    }
    if (st.finished) return;
    const pod = st.pod;
    if (pod.metadata?.deletionTimestamp) {
      await this.syncTerminatingPod(st);
      return;
    }
    await this.syncPod(st);
  }

  /** SyncPod for a live pod. */
  private async syncPod(st: PodState): Promise<void> {
    const pod = st.pod;
    const uid = st.uid;
    this.probes.addPod(pod);
    // A relist snapshot taken after this pod's last sync ended already reflects every action of
    // that sync, so it can stand in for a fresh read (saves runtime listings on steady pods).
    const snap = this.relistSnapshot.get(uid);
    let rs = snap && snap.at > st.lastSyncEnd ? snap.rs : await this.runtimeManager.getPodStatus(uid);
    const m0 = this.runtimeManager.mutations;
    let requeueAfterMs: number | undefined;
    if (st.terminal && rs.sandboxes.some((sb) => sb.state === 'SANDBOX_READY')) {
      // A finished pod (e.g. seen as Succeeded after a restart) keeps no network.
      for (const sb of rs.sandboxes) if (sb.state === 'SANDBOX_READY') await this.runtime.stopPodSandbox(sb.id);
      rs = await this.runtimeManager.getPodStatus(uid);
    }
    if (st.evicted !== undefined && !st.terminal) {
      // evictPod: event, kill with the eviction grace period; the pod ends Failed/Evicted.
      this.recorder.eventf(pod, undefined, 'Warning', EVICTION_REASON, st.evicted);
      await this.runtimeManager.killPod(pod, rs, IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS);
      await this.volumes.tearDownEmptyDirs(pod);
      st.terminal = true;
      this.probes.removePod(uid);
      rs = await this.runtimeManager.getPodStatus(uid);
    }
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && !st.terminal) {
      // activeDeadlineHandler: counted from status.startTime.
      const startedAt = Date.parse(this.statusManager.get(uid)?.status?.startTime ?? pod.status?.startTime ?? '') || this.now();
      const left = startedAt + deadline * 1000 - this.now();
      if (left <= 0) {
        const message = 'Pod was active on the node longer than the specified deadline';
        this.recorder.eventf(pod, undefined, 'Normal', 'DeadlineExceeded', message);
        await this.runtimeManager.killPod(pod, rs, undefined);
        st.terminal = true;
        st.deadlineExceeded = true;
        this.probes.removePod(uid);
        rs = await this.runtimeManager.getPodStatus(uid);
      } else requeueAfterMs = left;
    }
    if (!st.terminal) {
      let volumes: Map<string, string> | undefined;
      try {
        volumes = await this.volumes.mountPodVolumes(pod);
      } catch (e) {
        if (!(e instanceof VolumeError)) throw e;
        this.recorder.eventf(pod, undefined, 'Warning', 'FailedMount', e.message);
        requeueAfterMs = 5000;
      }
      if (volumes) {
        const r = await this.runtimeManager.syncPod(pod, rs, volumes);
        if (r.requeueAfterMs !== undefined && (requeueAfterMs === undefined || r.requeueAfterMs < requeueAfterMs)) requeueAfterMs = r.requeueAfterMs;
        if (r.terminal) st.terminal = true;
        if (this.runtimeManager.mutations !== m0) rs = await this.runtimeManager.getPodStatus(uid);
        if (r.terminal) {
          // Stop the network of a finished pod (containers stay for logs).
          for (const sb of rs.sandboxes) if (sb.state === 'SANDBOX_READY') await this.runtime.stopPodSandbox(sb.id);
          rs = await this.runtimeManager.getPodStatus(uid);
          this.probes.removePod(uid);
        }
      }
    }
    this.runtimeCache.set(uid, rs);
    this.lastRelist.set(uid, relistSignature(rs));
    await this.writeStatus(st, rs);
    if (requeueAfterMs !== undefined) this.requeue(st, requeueAfterMs);
  }

  private async writeStatus(st: PodState, rs: RuntimePodStatus): Promise<void> {
    const pod = this.statusManager.get(st.uid) ?? st.pod;
    const status = generateAPIPodStatus({
      pod,
      sandbox: rs.sandboxes[0],
      containers: await this.withTerminationMessages(rs.containers),
      reasons: this.runtimeManager.reasonsOf(st.uid),
      isReady: (name, id) => this.probes.isReady(st.uid, name, id),
      isStarted: (name, id) => this.probes.isStarted(st.uid, name, id),
      hostIP: this.hostIP,
      now: this.now(),
      terminal: st.terminal,
    });
    if (st.deadlineExceeded) {
      status.phase = 'Failed';
      status.reason = 'DeadlineExceeded';
      status.message = 'Pod was active on the node longer than the specified deadline';
    }
    if (st.evicted !== undefined) {
      status.phase = 'Failed';
      status.reason = EVICTION_REASON;
      status.message = st.evicted;
    }
    await this.statusManager.setPodStatus(pod, status);
  }

  /**
   * Fills `message` of exited containers from their termination-message file (≤4096 bytes) or,
   * with `FallbackToLogsOnError` and a non-zero exit, the last 80 log lines (≤2048 bytes), as
   * upstream's kuberuntime getTerminationMessage / readLastStringFromContainerLogs.
   */
  private async withTerminationMessages(containers: ContainerStatus[]): Promise<ContainerStatus[]> {
    return Promise.all(
      containers.map(async (c) => {
        if (c.state !== 'CONTAINER_EXITED') return c;
        let msg = '';
        const file = c.annotations?.[ANNOTATION_TERMINATION_MESSAGE_FILE];
        if (file) msg = (await readFile(file).catch(() => Buffer.alloc(0))).subarray(0, 4096).toString();
        if (!msg && c.exitCode !== 0 && c.annotations?.[ANNOTATION_TERMINATION_MESSAGE_POLICY] === 'FallbackToLogsOnError') {
          const chunks: Buffer[] = [];
          const out = new Writable({ write(chunk, _e, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
          await readLogs(c.logPath, { tailLines: 80 }, out, new AbortController().signal).catch(() => undefined);
          const all = Buffer.concat(chunks);
          msg = all.subarray(Math.max(0, all.length - 2048)).toString();
        }
        return msg ? { ...c, message: msg } : c;
      }),
    );
  }

  /** syncTerminatingPod + syncTerminatedPod: stop, tear down, final status, DELETE grace 0. */
  private async syncTerminatingPod(st: PodState): Promise<void> {
    const pod = st.pod;
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.probes.removePod(st.uid);
    let rs = await this.runtimeManager.getPodStatus(st.uid);
    await this.runtimeManager.killPod(pod, rs, grace);
    rs = await this.runtimeManager.getPodStatus(st.uid);
    st.terminal = true;
    for (const name of this.runtimeManager.reasonsOf(st.uid).keys()) this.runtimeManager.reasonsOf(st.uid).delete(name);
    await this.writeStatus(st, rs).catch((e) => this.log('final status write failed', { err: (e as Error).message }));
    await this.teardown(pod, rs, 0);
    st.finished = true;
    await this.statusManager.deletePod(pod);
  }

  /** Kills whatever still runs, removes sandboxes, volumes and logs of the pod. */
  private async teardown(pod: Pod, rs: RuntimePodStatus, grace: number): Promise<void> {
    const uid = pod.metadata!.uid!;
    this.probes.removePod(uid);
    if (rs.containers.some((c) => c.state === 'CONTAINER_RUNNING') || rs.sandboxes.some((s) => s.state === 'SANDBOX_READY')) {
      await this.runtimeManager.killPod(pod, rs, grace);
    }
    await this.runtimeManager.removePod(rs);
    await this.volumes.unmountPodVolumes(uid);
    if (pod.metadata?.namespace && pod.metadata?.name) {
      await rm(podLogDir(this.rootDir, pod.metadata.namespace, pod.metadata.name, uid), { recursive: true, force: true });
    }
  }

  private forget(uid: string): void {
    const st = this.pods.get(uid);
    if (st) clearTimeout(st.timer);
    this.pods.delete(uid);
    this.runtimeCache.delete(uid);
    this.lastRelist.delete(uid);
    this.relistSnapshot.delete(uid);
    this.statusManager.forget(uid);
    this.runtimeManager.forgetPod(uid);
    this.probes.removePod(uid);
  }

  // ---------------------------------------------------------------- PLEG, housekeeping
  /** GenericPLEG.Relist: wakes the worker of every pod whose runtime state changed. */
  private async relist(): Promise<void> {
    const at = performance.now();
    const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandbox(), this.runtime.listContainers()]);
    const byUid = new Map<string, RuntimePodStatus>();
    const get = (uid: string) => {
      let v = byUid.get(uid);
      if (!v) byUid.set(uid, (v = { sandboxes: [], containers: [] }));
      return v;
    };
    for (const s of sandboxes) if (s.labels[LABEL_POD_UID]) get(s.labels[LABEL_POD_UID]).sandboxes.push(s);
    for (const c of containers) if (c.labels[LABEL_POD_UID]) get(c.labels[LABEL_POD_UID]).containers.push(c);
    this.relistSnapshot.clear();
    for (const uid of this.pods.keys()) this.relistSnapshot.set(uid, { at, rs: byUid.get(uid) ?? { sandboxes: [], containers: [] } });
    for (const [uid, rs] of byUid) {
      rs.sandboxes.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt);
      const sig = relistSignature(rs);
      if (this.lastRelist.get(uid) === sig) continue;
      this.lastRelist.set(uid, sig);
      this.runtimeCache.set(uid, rs);
      if (this.pods.has(uid)) this.updatePod(uid);
    }
    for (const uid of [...this.runtimeCache.keys()]) {
      if (!byUid.has(uid) && !this.pods.has(uid)) {
        // Gone from both the runtime and the API: nothing left to track.
        this.runtimeCache.delete(uid);
        this.lastRelist.delete(uid);
        continue;
      }
      if (!byUid.has(uid)) {
        this.runtimeCache.set(uid, { sandboxes: [], containers: [] });
        if (this.lastRelist.get(uid) !== '') {
          this.lastRelist.set(uid, '');
          this.updatePod(uid);
        }
      }
    }
  }

  /**
   * The eviction manager's local-storage pass (eviction.ts): measures the sizeLimit'ed emptyDirs of
   * every running pod and hands a pod over its limit to its worker for eviction.
   */
  private async synchronizeEviction(): Promise<void> {
    for (const st of [...this.pods.values()]) {
      if (this.stopped) return;
      if (st.deleted || st.finished || st.terminal || st.evicted !== undefined || st.pod.metadata?.deletionTimestamp) continue;
      if (!(st.pod.spec?.volumes ?? []).some((v) => v.emptyDir?.sizeLimit !== undefined)) continue;
      const msg = await localStorageEviction(st.pod, path.join(podDir(this.rootDir, st.uid), 'volumes'));
      if (msg === undefined) continue;
      this.log('evicting pod', { pod: `${st.pod.metadata?.namespace}/${st.pod.metadata?.name}`, message: msg });
      st.evicted = msg;
      this.updatePod(st.uid);
    }
  }

  /** HandlePodCleanups: kills and removes sandboxes/dirs of pods no longer bound to this node. */
  private async housekeeping(): Promise<void> {
    if (!this.source.hasSynced() || this.housekeepingRunning || this.stopped) return;
    this.housekeepingRunning = true;
    try {
      const sandboxes = await this.runtime.listPodSandbox();
      const orphans = new Set<string>();
      for (const s of sandboxes) {
        const uid = s.labels[LABEL_POD_UID];
        if (uid && !this.pods.has(uid)) orphans.add(uid);
      }
      for (const uid of orphans) {
        const rs = await this.runtimeManager.getPodStatus(uid);
        const sb = rs.sandboxes[0];
        const fake: Pod = { metadata: { uid, name: sb?.metadata.name, namespace: sb?.metadata.namespace }, spec: { containers: [] } };
        this.log('cleaning up orphaned pod', { uid });
        await this.teardown(fake, rs, 0).catch((e) => this.log('orphan cleanup failed', { uid, err: (e as Error).message }));
      }
      for (const uid of await this.volumes.listPodDirs()) {
        if (!this.pods.has(uid) && !orphans.has(uid)) await this.volumes.unmountPodVolumes(uid).catch(() => undefined);
      }
    } catch (e) {
      this.log('housekeeping failed', { err: (e as Error).message });
    } finally {
      this.housekeepingRunning = false;
    }
  }

  private probeTarget(uid: string, name: string) {
    const rs = this.runtimeCache.get(uid);
    if (!rs) return undefined;
    const sb = rs.sandboxes[0];
    const latest: ContainerStatus | undefined = containersByName(rs.containers, name)[0];
    if (!latest || !sb) return undefined;
    return {
      containerId: latest.id,
      running: latest.state === 'CONTAINER_RUNNING',
      startedAt: latest.startedAt || latest.createdAt,
      podIP: sb.ip ?? '127.0.0.1',
    };
  }

  private async every(ms: number, fn: () => Promise<void>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) break;
      try {
        await fn();
      } catch (e) {
        this.log('periodic task failed', { err: (e as Error).message });
      }
    }
  }
}

/**
 * Whether two versions of a pod differ in what the kubelet acts on: spec, labels, annotations,
 * deletionTimestamp, deletionGracePeriodSeconds (pkg/kubelet/config/config.go podsDifferSemantically).
 */
export function podsDifferSemantically(existing: Pod, ref: Pod): boolean {
  const pick = (p: Pod) =>
    canonicalJSON([
      p.spec ?? null,
      p.metadata?.labels ?? {},
      p.metadata?.annotations ?? {},
      p.metadata?.deletionTimestamp ?? null,
      p.metadata?.deletionGracePeriodSeconds ?? null,
    ]);
  return pick(existing) !== pick(ref);
}

function relistSignature(rs: RuntimePodStatus): string {
  return [
    ...rs.sandboxes.map((s) => `s:${s.id}:${s.state}`),
    ...rs.containers.map((c) => `c:${c.id}:${c.state}`).sort(),
  ].join(',');
}
