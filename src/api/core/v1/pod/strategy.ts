/**
 * Pod registry policy, after upstream pkg/registry/core/pod/strategy.go: on create the status
 * is reset to `{phase: Pending, qosClass}` (plus a SchedulingGated condition when gates are
 * set) and priority defaults to 0; the main endpoint keeps the old status; `/status` keeps the
 * old spec and ownerReferences; field selectors as `pod.ToSelectableFields`.
 */
import type { KubeObject } from '../../../../client/interface.ts';
import type { Strategy, StatusStrategy } from '../../../resource-types.ts';
import { newConflict, StatusError } from '../../../../machinery/errors.ts';
import { arr, deepCopy, meta, objectMetaFieldsSet, rec } from '../../../common/meta.ts';
import { setDefaultsPodObject } from './defaults.ts';
import { getPodQOS } from './qos.ts';
import { validatePod, validatePodStatusUpdate, validatePodUpdate } from './validation.ts';

/**
 * Field-selector attributes of a Pod: metadata.name/namespace, spec.nodeName,
 * spec.restartPolicy, spec.schedulerName, spec.serviceAccountName, spec.hostNetwork,
 * status.phase, status.podIP (first of podIPs), status.nominatedNodeName.
 */
export function getPodAttrs(obj: KubeObject): Record<string, string> {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const podIPs = arr(status.podIPs);
  return {
    ...objectMetaFieldsSet(obj),
    'spec.nodeName': String(spec.nodeName ?? ''),
    'spec.restartPolicy': String(spec.restartPolicy ?? ''),
    'spec.schedulerName': String(spec.schedulerName ?? ''),
    'spec.serviceAccountName': String(spec.serviceAccountName ?? ''),
    'spec.hostNetwork': String(spec.hostNetwork === true),
    'status.phase': String(status.phase ?? ''),
    'status.podIP': podIPs.length > 0 ? String(rec(podIPs[0]).ip ?? '') : '',
    'status.nominatedNodeName': String(status.nominatedNodeName ?? ''),
  };
}

/** Field selector keys served for pods, besides metadata.name/namespace. */
export const podSelectableFields = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];

/**
 * `podStrategy.PrepareForCreate`: status `{phase: 'Pending', qosClass}`; a PodScheduled=False
 * condition with reason SchedulingGated when `spec.schedulingGates` is non-empty; `spec.priority`
 * 0 when unset and no priorityClassName and `spec.preemptionPolicy` PreemptLowerPriority (what
 * the Priority admission plugin does without a default PriorityClass).
 */
export function preparePodForCreate(obj: KubeObject): void {
  const status: Record<string, unknown> = { phase: 'Pending', qosClass: getPodQOS(obj as Record<string, any>) };
  const spec = rec(obj.spec);
  if (arr(spec.schedulingGates).length > 0) {
    status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
        lastProbeTime: null,
        lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    ];
  }
  obj.status = status;
  if ((spec.priority === undefined || spec.priority === null) && !spec.priorityClassName) spec.priority = 0;
  if (!spec.preemptionPolicy) spec.preemptionPolicy = 'PreemptLowerPriority';
}

/**
 * `podStrategy.PrepareForUpdate` plus the Priority admission plugin's update rule: the old
 * status is kept, and a request without `spec.priority` / `spec.preemptionPolicy` keeps the
 * values set at creation (so a `replace` of the original manifest is not a spec change).
 */
export function preparePodForUpdate(obj: KubeObject, old: KubeObject): void {
  obj.status = deepCopy(old.status);
  const spec = rec(obj.spec);
  const oldSpec = rec(old.spec);
  if ((spec.priority === undefined || spec.priority === null) && oldSpec.priority !== undefined && oldSpec.priority !== null) spec.priority = oldSpec.priority;
  if (!spec.preemptionPolicy && oldSpec.preemptionPolicy) spec.preemptionPolicy = oldSpec.preemptionPolicy;
  obj.spec = spec;
}

/** The Pod strategy (namespaced; unconditional updates allowed; no create-on-update). */
export const podStrategy: Strategy = {
  defaults: setDefaultsPodObject,
  prepareForCreate: preparePodForCreate,
  prepareForUpdate: preparePodForUpdate,
  validate: validatePod,
  validateUpdate: validatePodUpdate,
  getAttrs: getPodAttrs,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
};

/**
 * `podStatusStrategy`: spec and ownerReferences come from the old object, a deletionTimestamp
 * in the request is ignored, qosClass is back-filled from the old status.
 */
export const podStatusStrategy: StatusStrategy = {
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
    const m = meta(obj);
    m.ownerReferences = deepCopy(old.metadata?.ownerReferences);
    if (m.ownerReferences === undefined) delete m.ownerReferences;
    m.deletionTimestamp = old.metadata?.deletionTimestamp;
    if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
    const st = rec(obj.status);
    if (obj.status && !st.qosClass && rec(old.status).qosClass) st.qosClass = rec(old.status).qosClass;
  },
  validateUpdate: validatePodStatusUpdate,
};

/**
 * Applies a Binding to a pod the way upstream's BindingREST.setPodNodeAndMetadata does:
 * sets `spec.nodeName`, merges the binding's annotations, sets condition PodScheduled=True.
 * @param pod the stored pod (mutated and returned)
 * @param binding v1 Binding (metadata.uid/resourceVersion are optional preconditions)
 * @param now Unix ms for lastTransitionTime
 * @throws StatusError 409 Conflict on `pods/binding` when the pod is being deleted, already
 *   assigned (`pod x is already assigned to node "n"`), has scheduling gates, or the uid /
 *   resourceVersion preconditions fail.
 */
export function applyPodBinding(pod: KubeObject, binding: KubeObject, now: number = Date.now()): KubeObject {
  const name = pod.metadata?.name ?? '';
  const gr = { group: '', resource: 'pods/binding' };
  const fail = (detail: string): StatusError => newConflict(gr, name, detail);
  if (pod.metadata?.deletionTimestamp) throw fail(`pod ${name} is being deleted, cannot be assigned to a host`);
  const uid = binding.metadata?.uid;
  if (uid && pod.metadata?.uid !== uid) throw fail(`pod.UID=${pod.metadata?.uid ?? ''}, expected ${uid}`);
  const rv = binding.metadata?.resourceVersion;
  if (rv && pod.metadata?.resourceVersion !== rv) {
    throw fail(`pod.ResourceVersion=${pod.metadata?.resourceVersion ?? ''}, expected ${rv}`);
  }
  const spec = rec(pod.spec);
  if (spec.nodeName) throw fail(`pod ${name} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
  if (arr(spec.schedulingGates).length > 0) throw fail(`pod ${name} has non-empty .spec.schedulingGates`);
  spec.nodeName = rec(binding.target).name;
  pod.spec = spec;
  const annotations = binding.metadata?.annotations;
  if (annotations && Object.keys(annotations).length) {
    const m = meta(pod);
    m.annotations = { ...(m.annotations ?? {}), ...annotations };
  }
  const status = rec(pod.status);
  const conditions = arr(status.conditions);
  const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const idx = conditions.findIndex((c) => rec(c).type === 'PodScheduled');
  const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ts };
  if (idx < 0) conditions.push(cond);
  else {
    // UpdatePodCondition replaces the condition, keeping lastTransitionTime when status is unchanged.
    if (rec(conditions[idx]).status === 'True') cond.lastTransitionTime = rec(conditions[idx]).lastTransitionTime ?? ts;
    conditions[idx] = cond;
  }
  status.conditions = conditions;
  pod.status = status;
  return pod;
}
