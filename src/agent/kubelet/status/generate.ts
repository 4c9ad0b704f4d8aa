/**
 * PodStatus as the kubelet computes it, after pkg/kubelet/kubelet_pods.go
 * (generateAPIPodStatus, getPhase, convertToAPIContainerStatuses) and pkg/kubelet/status
 * (GeneratePodReadyCondition, GenerateContainersReadyCondition, GeneratePodInitializedCondition,
 * GeneratePodReadyToStartContainersCondition) with lastTransitionTime kept while a condition's
 * status is unchanged.
 */
import type { Container, ContainerStatus as APIContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { ANNOTATION_CONTAINER_RESTART_COUNT, type ContainerStatus, type PodSandboxStatus } from '../../runtime/types.ts';

/** Per-container start failure remembered between syncs (upstream's reasonCache). */
export interface ReasonInfo {
  reason: string;
  message: string;
}

/** Everything the status generator reads. */
export interface PodStatusInput {
  pod: Pod;
  /** The pod's newest sandbox (any state), if any. */
  sandbox?: PodSandboxStatus;
  /** All runtime containers of the pod. */
  containers: ContainerStatus[];
  /** containerName → last start failure. */
  reasons: Map<string, ReasonInfo>;
  isReady(name: string, id: string): boolean;
  isStarted(name: string, id: string): boolean;
  hostIP: string;
  /** Unix ms. */
  now: number;
  /** The kubelet decided the pod is finished (no more restarts). */
  terminal?: boolean;
}

/** Metav1.Time rendering (RFC3339, seconds precision). */
export function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Restart count recorded on a runtime container (annotation `io.kubernetes.container.restartCount`, else attempt). */
export function restartCountOf(c: ContainerStatus): number {
  const v = c.annotations?.[ANNOTATION_CONTAINER_RESTART_COUNT];
  const a = v === undefined ? NaN : Number(v);
  return Number.isFinite(a) ? a : c.metadata.attempt;
}

/** Runtime containers named `name`, newest attempt first. */
export function containersByName(containers: ContainerStatus[], name: string): ContainerStatus[] {
  return containers
    .filter((c) => c.metadata.name === name)
    .sort((a, b) => restartCountOf(b) - restartCountOf(a) || b.createdAt - a.createdAt);
}

function terminatedState(c: ContainerStatus) {
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: c.startedAt ? metaTime(c.startedAt) : undefined,
      finishedAt: c.finishedAt ? metaTime(c.finishedAt) : undefined,
      containerID: `runc://${c.id}`,
    },
  };
}

/** convertToAPIContainerStatuses for one container spec. */
function containerStatus(input: PodStatusInput, spec: Container, defaultWaiting: string): APIContainerStatus {
  const all = containersByName(input.containers, spec.name);
  const latest = all[0];
  const previous = all.find((c, i) => i > 0 && c.state === 'CONTAINER_EXITED');
  const reason = input.reasons.get(spec.name);
  const out: APIContainerStatus = {
    name: spec.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: latest ? restartCountOf(latest) : 0,
    // The image the container runs (upstream convertContainerStatus: cs.Image); the spec's while none exists.
    image: latest?.image || spec.image || '',
    imageID: latest?.imageRef ?? '',
    started: false,
  };
  if (latest) out.containerID = `runc://${latest.id}`;
  if (!latest) {
    out.state = { waiting: { reason: reason?.reason ?? defaultWaiting, ...(reason?.message ? { message: reason.message } : {}) } };
    return out;
  }
  if (latest.state === 'CONTAINER_RUNNING') {
    out.state = { running: { startedAt: metaTime(latest.startedAt || latest.createdAt) } };
    if (previous) out.lastState = terminatedState(previous);
    out.started = input.isStarted(spec.name, latest.id);
    out.ready = out.started && input.isReady(spec.name, latest.id);
    return out;
  }
  if (latest.state === 'CONTAINER_EXITED' || latest.state === 'CONTAINER_UNKNOWN') {
    if (reason && !input.terminal) {
      out.state = { waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) } };
      out.lastState = terminatedState(latest);
    } else {
      out.state = terminatedState(latest);
      if (previous) out.lastState = terminatedState(previous);
    }
    return out;
  }
  // CONTAINER_CREATED
  out.state = { waiting: { reason: reason?.reason ?? 'ContainerCreating', ...(reason?.message ? { message: reason.message } : {}) } };
  if (previous) out.lastState = terminatedState(previous);
  return out;
}

/**
 * getPhase (pkg/kubelet/kubelet_pods.go): Pending while init containers are pending or any
 * container waits without a previous termination; Running while any runs; with all stopped,
 * Always → Running, all exit 0 → Succeeded, Never → Failed, OnFailure → Running.
 */
export function getPhase(pod: Pod, initStatuses: APIContainerStatus[], statuses: APIContainerStatus[], terminal: boolean): PodStatus['phase'] {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue; // sidecars count as regular for phase
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) {
      pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
      else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const c of pod.spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 && !terminal) return 'Pending';
  if (failedInit > 0 && terminal) return 'Failed';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** QoS class (pkg/apis/core/helper/qos): Guaranteed, Burstable or BestEffort. */
export function getPodQOS(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const q = req[r] ?? lim[r];
      if (q !== undefined && String(q) !== '0') any = true;
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** generateAPIPodStatus: the full status to write. */
export function generateAPIPodStatus(input: PodStatusInput): PodStatus {
  const { pod } = input;
  const old = pod.status ?? {};
  const initSpecs = pod.spec?.initContainers ?? [];
  const initStatuses = initSpecs.map((c, i) => {
    const s = containerStatus(input, c, 'PodInitializing');
    // The first init container that has not run yet is the one being created.
    if (!containersByName(input.containers, c.name).length && (i === 0 || initDone(input, initSpecs[i - 1].name))) {
      if (!input.reasons.get(c.name)) s.state = { waiting: { reason: 'PodInitializing' } };
    }
    return s;
  });
  // A sidecar (restartPolicy Always) counts once it has run; others must have exited 0.
  const initialized = initSpecs.every((c) => (c.restartPolicy === 'Always' ? containersByName(input.containers, c.name).length > 0 : initDone(input, c.name)));
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(input, c, initialized ? 'ContainerCreating' : 'PodInitializing'));
  const phase = getPhase(pod, initStatuses, statuses, !!input.terminal);

  const sandboxReady = input.sandbox?.state === 'SANDBOX_READY';
  const podIP = sandboxReady ? input.sandbox?.ip : input.terminal || phase === 'Succeeded' || phase === 'Failed' ? old.podIP : input.sandbox?.ip;
  const conds: PodCondition[] = [];
  conds.push({ type: 'PodReadyToStartContainers', status: sandboxReady && !!input.sandbox?.ip ? 'True' : 'False' });
  // Initialized
  if (!initSpecs.length) conds.push({ type: 'Initialized', status: 'True' });
  else if (phase === 'Succeeded' && initialized) conds.push({ type: 'Initialized', status: 'True', reason: 'PodCompleted' });
  else if (initialized) conds.push({ type: 'Initialized', status: 'True' });
  else {
    const incomplete = initSpecs
      .filter((c) => (c.restartPolicy === 'Always' ? !containersByName(input.containers, c.name).length : !initDone(input, c.name)))
      .map((c) => c.name);
    conds.push({ type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` });
  }
  // ContainersReady / Ready
  let ready: PodCondition;
  let containersReady: PodCondition;
  if (phase === 'Succeeded' || phase === 'Failed') {
    ready = { type: 'Ready', status: 'False', reason: 'PodCompleted' };
    containersReady = { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  } else {
    const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
    const unreadyInit = initialized ? [] : initSpecs.filter((c) => c.restartPolicy !== 'Always' && !initDone(input, c.name)).map((c) => c.name);
    if (!unready.length && initialized) {
      containersReady = { type: 'ContainersReady', status: 'True' };
      ready = { type: 'Ready', status: 'True' };
      const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
      const missing = gates.filter((g) => old.conditions?.find((c) => c.type === g)?.status !== 'True');
      if (missing.length) {
        ready = {
          type: 'Ready',
          status: 'False',
          reason: 'ReadinessGatesNotReady',
          message: `corresponding condition of pod readiness gate "${missing[0]}" does not exist.`,
        };
      }
    } else {
      const msg = !initialized && !unready.length ? `containers with incomplete status: [${unreadyInit.join(' ')}]` : `containers with unready status: [${unready.join(' ')}]`;
      containersReady = { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: msg };
      ready = { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: msg };
    }
  }
  conds.push(ready, containersReady);
  const owned = new Set(conds.map((c) => c.type));
  for (const c of old.conditions ?? []) if (!owned.has(c.type)) conds.push(c);
  const nowStr = metaTime(input.now);
  for (const c of conds) {
    if (owned.has(c.type)) {
      const prev = old.conditions?.find((o) => o.type === c.type);
      c.lastProbeTime = null as unknown as string;
      c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowStr;
    }
  }

  const status: PodStatus = {
    ...old,
    phase,
    conditions: conds,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: old.startTime ?? nowStr,
    containerStatuses: statuses,
    qosClass: old.qosClass ?? getPodQOS(pod),
  };
  if (initSpecs.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  } else {
    delete status.podIP;
    delete status.podIPs;
  }
  delete status.message;
  delete status.reason;
  return status;
}

/** An init container finished successfully (its newest run exited 0). */
export function initDone(input: Pick<PodStatusInput, 'containers'>, name: string): boolean {
  const latest = containersByName(input.containers, name)[0];
  return !!latest && latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0;
}

/** JSON with sorted keys, for change detection. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, val) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(val).sort()) if (val[k] !== undefined) o[k] = val[k];
      return o;
    }
    return val;
  });
}
