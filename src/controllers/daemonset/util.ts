/**
 * DaemonSet decisions that need no API, after upstream pkg/controller/daemon/util/daemonset_util.go
 * and the predicates of pkg/controller/daemon/daemon_controller.go: the tolerations every daemon pod
 * gets, which nodes should run (and keep running) a daemon pod, the node-name node affinity that
 * makes the scheduler bind the pod to its node, the target node of a pod, whether a pod is of the
 * current revision, and the ControllerRevision patch of a DaemonSet.
 */
import type { Node, Pod, PodTemplateSpec, Toleration, Affinity } from 'kubernetes-types/core/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { K } from '../../client/object-util.ts';
import { findMatchingUntoleratedTaint } from '../../scheduler/plugins/taint-toleration/toleration.ts';
import { matchesRequiredNodeAffinity } from '../../scheduler/plugins/node-affinity/node-affinity.ts';
import { ControllerRevisionHashLabel } from '../history/controller-history.ts';
import { normalizeForCompare } from '../deployment/util/deployment-util.ts';

/** A DaemonSet as stored. */
export type DSObj = K<DaemonSet>;
/** A Pod as stored. */
export type PodObj = K<Pod>;

/** Label with the DaemonSet's template generation on its pods (upstream extensions.DaemonSetTemplateGenerationKey, deprecated). */
export const DaemonSetTemplateGenerationKey = 'pod-template-generation';
/** apps/v1 annotation carrying the template generation (set by the DaemonSet strategy). */
export const DaemonSetTemplateGenerationAnnotation = 'deprecated.daemonset.template.generation';

/**
 * The tolerations `AddOrUpdateDaemonPodTolerations` gives every daemon pod: not-ready and unreachable
 * NoExecute (no tolerationSeconds, so tolerated forever), disk/memory/pid-pressure and unschedulable
 * NoSchedule, and network-unavailable NoSchedule for hostNetwork pods.
 */
export function daemonPodDefaultTolerations(hostNetwork: boolean): Toleration[] {
  const t = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });
  const out = [
    t('node.kubernetes.io/not-ready', 'NoExecute'),
    t('node.kubernetes.io/unreachable', 'NoExecute'),
    t('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    t('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    t('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    t('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (hostNetwork) out.push(t('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

/**
 * `AddOrUpdateTolerationInPodSpec` for each default daemon toleration: one that matches an existing
 * toleration (same key, operator, value, effect) replaces it, otherwise it is appended.
 * @returns a new tolerations list (the input is not modified)
 */
export function addOrUpdateDaemonPodTolerations(tolerations: readonly Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const d of daemonPodDefaultTolerations(hostNetwork)) {
    const i = out.findIndex(
      (o) => (o.key ?? '') === d.key && (o.operator ?? 'Equal') === d.operator && (o.value ?? '') === '' && (o.effect ?? '') === d.effect,
    );
    if (i >= 0) out[i] = d;
    else out.push(d);
  }
  return out;
}

/** `NewPod`: the template's pod for `nodeName` with the default daemon tolerations (used only for predicates). */
export function newPod(ds: DSObj, nodeName: string): Pod {
  const spec = structuredClone(ds.spec?.template?.spec ?? { containers: [] });
  spec.nodeName = nodeName;
  spec.tolerations = addOrUpdateDaemonPodTolerations(spec.tolerations, spec.hostNetwork === true);
  return { metadata: structuredClone(ds.spec?.template?.metadata ?? {}), spec };
}

/**
 * `NodeShouldRunDaemonPod`: `shouldRun` — a daemon pod should be created on `node` if missing;
 * `shouldContinueRunning` — an existing one may stay. The template's nodeName must be empty or the
 * node's; nodeSelector and required node affinity must match (else both false); an untolerated
 * NoSchedule/NoExecute taint (template tolerations plus the defaults) gives shouldRun false, and
 * shouldContinueRunning false only when one of them is NoExecute. PreferNoSchedule, resources and
 * host ports are left to the scheduler.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DSObj): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const name = node.metadata?.name ?? '';
  const tplNodeName = ds.spec?.template?.spec?.nodeName ?? '';
  if (tplNodeName !== '' && tplNodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod = newPod(ds, name);
  if (!matchesRequiredNodeAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  const untolerated = findMatchingUntoleratedTaint(taints, pod.spec?.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (untolerated) {
    const noExecute = findMatchingUntoleratedTaint(taints, pod.spec?.tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !noExecute };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/**
 * `ReplaceDaemonSetPodNodeNameNodeAffinity`: the required node affinity becomes the single term
 * `matchFields metadata.name In [nodeName]` (the controller has checked the template's own terms);
 * preferred terms and pod (anti-)affinity are kept.
 */
export function replaceDaemonSetPodNodeNameNodeAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const a: Affinity = structuredClone(affinity ?? {});
  a.nodeAffinity = {
    ...(a.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
    },
  };
  return a;
}

/**
 * `GetTargetNodeName`: `spec.nodeName`, or for an unscheduled pod the single value of the
 * `metadata.name In [x]` matchFields requirement the controller put in its node affinity.
 * @returns the node name, or undefined when none can be found
 */
export function getTargetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** The DaemonSet's template generation (annotation), or undefined. */
export function getTemplateGeneration(ds: DSObj): number | undefined {
  const v = ds.metadata?.annotations?.[DaemonSetTemplateGenerationAnnotation];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** `IsPodUpdated`: the pod's template-generation label equals the DaemonSet's, or its revision hash label equals `hash`. */
export function isPodUpdated(pod: Pod, hash: string, dsTemplateGeneration: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const genMatches = dsTemplateGeneration !== undefined && labels[DaemonSetTemplateGenerationKey] === String(dsTemplateGeneration);
  const hashMatches = hash !== '' && labels[ControllerRevisionHashLabel] === hash;
  return genMatches || hashMatches;
}

/**
 * `CreatePodTemplate`: the DaemonSet template with the template-generation and revision-hash labels
 * and the default daemon tolerations.
 */
export function createPodTemplate(template: PodTemplateSpec | undefined, generation: number | undefined, hash: string): PodTemplateSpec {
  const t: PodTemplateSpec = structuredClone(template ?? {});
  const labels: Record<string, string> = { ...(t.metadata?.labels ?? {}) };
  if (generation !== undefined) labels[DaemonSetTemplateGenerationKey] = String(generation);
  if (hash) labels[ControllerRevisionHashLabel] = hash;
  t.metadata = { ...(t.metadata ?? {}), labels };
  const spec = t.spec ?? { containers: [] };
  spec.tolerations = addOrUpdateDaemonPodTolerations(spec.tolerations, spec.hostNetwork === true);
  t.spec = spec;
  return t;
}

/**
 * `getPatch`: the ControllerRevision data of a DaemonSet, `{spec:{template:{…, $patch:"replace"}}}`
 * — a strategic merge patch that restores the template (what `kubectl rollout undo` applies).
 * Keys are sorted and empty values dropped, as Go's map encoding of the typed object would.
 */
export function getPatch(ds: DSObj): Record<string, unknown> {
  const template = (normalizeForCompare(ds.spec?.template ?? {}) ?? {}) as Record<string, unknown>;
  return { spec: { template: { $patch: 'replace', ...template } } };
}
