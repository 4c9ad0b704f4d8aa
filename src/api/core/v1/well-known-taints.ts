/**
 * Taint keys Kubernetes itself sets on Nodes (k8s.io/api/core/v1 well_known_taints.go): the node
 * lifecycle controller's condition taints, the kubelet's pressure taints and `kubectl cordon`'s
 * unschedulable taint. Admission (DefaultTolerationSeconds), the scheduler (NodeUnschedulable,
 * TaintToleration) and the controllers all use these names.
 */

/** Node Ready condition is False. */
export const TaintNodeNotReady = 'node.kubernetes.io/not-ready';
/** Node Ready condition is Unknown (the node stopped reporting). */
export const TaintNodeUnreachable = 'node.kubernetes.io/unreachable';
/** `spec.unschedulable` is true (cordoned). */
export const TaintNodeUnschedulable = 'node.kubernetes.io/unschedulable';
/** MemoryPressure condition is True. */
export const TaintNodeMemoryPressure = 'node.kubernetes.io/memory-pressure';
/** DiskPressure condition is True. */
export const TaintNodeDiskPressure = 'node.kubernetes.io/disk-pressure';
/** NetworkUnavailable condition is True. */
export const TaintNodeNetworkUnavailable = 'node.kubernetes.io/network-unavailable';
/** PIDPressure condition is True. */
export const TaintNodePIDPressure = 'node.kubernetes.io/pid-pressure';
