/**
 * Pod scheme defaulting. Upstream: pkg/apis/core/v1/defaults.go SetDefaults_Pod (+ PodSpec,
 * Container, … via src/api/common/pod-spec-defaults.ts).
 */
import type { KubeObject } from '../../../../client/interface.ts';
import { setDefaultsPod } from '../../../common/pod-spec-defaults.ts';

/**
 * Defaults a Pod in place: enableServiceLinks, restartPolicy Always, dnsPolicy ClusterFirst,
 * schedulerName, terminationGracePeriodSeconds 30, securityContext {}, container defaults
 * (terminationMessagePath/Policy, imagePullPolicy, port protocol, probes), requests from limits.
 */
export function setDefaultsPodObject(obj: KubeObject): void {
  setDefaultsPod(obj as Record<string, any>);
}
