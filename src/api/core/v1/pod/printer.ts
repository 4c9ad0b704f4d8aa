/**
 * Pod Table columns and cells, after upstream pkg/printers/internalversion/printers.go
 * (podColumnDefinitions, printPod): READY `ready/total` (restartable init containers count),
 * STATUS (phase/reason, SchedulingGated, Init:…, container waiting/terminated reasons,
 * Completed→Running/NotReady, Terminating), RESTARTS (`3 (5m ago)`), AGE, and wide IP, NODE,
 * NOMINATED NODE, READINESS GATES.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { TableConvertor } from '../../../resource-types.ts';
import { translateTimestampSince } from '../../../common/duration.ts';
import { ageColumn, column, nameColumn, objAge, objName } from '../../../common/table.ts';
import { arr, rec } from '../../../common/meta.ts';

/** `NodeUnreachablePodReason`. */
const NodeUnreachablePodReason = 'NodeLost';

function isRestartableInitContainer(c: Record<string, any> | undefined): boolean {
  return !!c && c.restartPolicy === 'Always';
}

function hasPodReadyCondition(conditions: unknown): boolean {
  return arr(conditions).some((c) => rec(c).type === 'Ready' && rec(c).status === 'True');
}

function isPodInitializedConditionTrue(conditions: unknown): boolean {
  for (const c of arr(conditions)) {
    if (rec(c).type !== 'Initialized') continue;
    return rec(c).status === 'True';
  }
  return false;
}

function terminatedReason(t: Record<string, any>, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

/** Later of two RFC 3339 timestamps ('' = zero time). */
function later(a: string, b: string | undefined): string {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** The computed pod row values (also useful to `kubectl`-like callers and tests). */
export interface PodInfo {
  ready: string;
  status: string;
  restarts: string;
}

/**
 * upstream `printPod`'s logic for READY, STATUS and RESTARTS.
 * @param now Unix ms (for the `(5m ago)` part of RESTARTS)
 */
export function podInfo(pod: KubeObject, now: number): PodInfo {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = arr(spec.containers).length;
  let readyContainers = 0;
  let lastRestartDate = '';
  let lastRestartableInitRestartDate = '';
  const phase = String(status.phase ?? '');
  let reason = status.reason ? String(status.reason) : phase;

  for (const c of arr(status.conditions)) {
    if (rec(c).type === 'PodScheduled' && rec(c).reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Record<string, any>>();
  for (const ic of arr(spec.initContainers)) {
    initContainers.set(String(rec(ic).name), rec(ic));
    if (isRestartableInitContainer(rec(ic))) totalContainers++;
  }

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = rec(initStatuses[i]);
    const state = rec(cs.state);
    const lastTerm = rec(rec(cs.lastState).terminated);
    restarts += Number(cs.restartCount ?? 0);
    if (cs.lastState && rec(cs.lastState).terminated) lastRestartDate = later(lastRestartDate, lastTerm.finishedAt);
    const restartable = isRestartableInitContainer(initContainers.get(String(cs.name)));
    if (restartable) {
      restartableInitRestarts += Number(cs.restartCount ?? 0);
      if (cs.lastState && rec(cs.lastState).terminated) lastRestartableInitRestartDate = later(lastRestartableInitRestartDate, lastTerm.finishedAt);
    }
    const term = state.terminated ? rec(state.terminated) : undefined;
    const waiting = state.waiting ? rec(state.waiting) : undefined;
    if (term && Number(term.exitCode ?? 0) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term) {
      reason = terminatedReason(term, 'Init:');
      initializing = true;
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${arr(spec.initContainers).length}`;
      initializing = true;
    }
    break;
  }

  if (!initializing || isPodInitializedConditionTrue(status.conditions)) {
    restarts = restartableInitRestarts;
    lastRestartDate = lastRestartableInitRestartDate;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = rec(statuses[i]);
      const state = rec(cs.state);
      restarts += Number(cs.restartCount ?? 0);
      if (cs.lastState && rec(cs.lastState).terminated) lastRestartDate = later(lastRestartDate, rec(rec(cs.lastState).terminated).finishedAt);
      const waiting = state.waiting ? rec(state.waiting) : undefined;
      const term = state.terminated ? rec(state.terminated) : undefined;
      if (waiting && waiting.reason) reason = String(waiting.reason);
      else if (term && term.reason) reason = String(term.reason);
      else if (term) reason = terminatedReason(term, '');
      else if (cs.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasPodReadyCondition(status.conditions) ? 'Running' : 'NotReady';
  }

  const deleting = !!pod.metadata?.deletionTimestamp;
  if (deleting && status.reason === NodeUnreachablePodReason) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestartDate) restartsStr = `${restarts} (${translateTimestampSince(lastRestartDate, now)} ago)`;
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsStr };
}

/** Pod Table: Name, Ready, Status, Restarts, Age, (wide) IP, Node, Nominated Node, Readiness Gates. */
export const podTable: TableConvertor = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageColumn,
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    column('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1),
  ],
  cells(obj, now) {
    const info = podInfo(obj, now);
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const podIPs = arr(status.podIPs);
    const podIP = (podIPs.length > 0 ? String(rec(podIPs[0]).ip ?? '') : '') || '<none>';
    const nodeName = String(spec.nodeName ?? '') || '<none>';
    const nominated = String(status.nominatedNodeName ?? '') || '<none>';
    let readinessGates = '<none>';
    const gates = arr(spec.readinessGates);
    if (gates.length > 0) {
      let trueConditions = 0;
      for (const g of gates) {
        const c = arr(status.conditions).find((x) => rec(x).type === rec(g).conditionType);
        if (c && rec(c).status === 'True') trueConditions++;
      }
      readinessGates = `${trueConditions}/${gates.length}`;
    }
    return [objName(obj), info.ready, info.status, info.restarts, objAge(obj, now), podIP, nodeName, nominated, readinessGates];
  },
};
