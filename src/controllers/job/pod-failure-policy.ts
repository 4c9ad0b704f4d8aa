/**
 * `spec.podFailurePolicy`, after upstream pkg/controller/job/pod_failure_policy.go
 * (matchPodFailurePolicy): the rules are tried in order against a Failed pod; the first match
 * decides — FailJob (the Job fails with reason PodFailurePolicy), Ignore (the failure counts
 * neither against backoffLimit nor in status.failed), Count (the default handling). FailIndex
 * (backoffLimitPerIndex) is treated as Count here.
 *
 * onExitCodes matches a terminated container (init or regular; optionally only `containerName`)
 * with a non-zero exit code In / NotIn the values; onPodConditions matches a pod condition of the
 * given type and status (default True).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodFailurePolicy } from 'kubernetes-types/batch/v1.js';

/** Condition reason of a Job failed by a FailJob rule. */
export const JobReasonPodFailurePolicy = 'PodFailurePolicy';

/** Outcome of {@link matchPodFailurePolicy}. */
export interface PodFailurePolicyMatch {
  action: 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';
  /** Upstream's message naming the container/condition, the action and the rule index. */
  message: string;
}

/**
 * The first rule matching the Failed `pod`, or undefined when none does (the failure is then
 * counted as usual).
 */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailurePolicyMatch | undefined {
  const rules = policy?.rules ?? [];
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    const action = r.action as PodFailurePolicyMatch['action'];
    if (r.onExitCodes) {
      const req = r.onExitCodes;
      for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        if (req.containerName && req.containerName !== cs.name) continue;
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0) continue;
        const inValues = req.values.includes(code);
        if (req.operator === 'In' ? inValues : !inValues) {
          return { action, message: `Container ${cs.name} for pod ${ns}/${name} failed with exit code ${code} matching ${action} rule at index ${i}` };
        }
      }
    }
    for (const pattern of r.onPodConditions ?? []) {
      const want = pattern.status ?? 'True';
      if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === want)) {
        return { action, message: `Pod ${ns}/${name} has condition ${pattern.type} matching ${action} rule at index ${i}` };
      }
    }
  }
  return undefined;
}
