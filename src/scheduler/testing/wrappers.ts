/**
 * Test builders for pods and nodes, after pkg/scheduler/testing/wrappers.go (st.MakePod(),
 * st.MakeNode()). Used by plugin and scheduler tests only.
 */
import type { Affinity, Container, Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** Options for {@link makeNode}. */
export interface NodeSpec {
  /** Allocatable, e.g. {cpu:'4', memory:'8Gi', pods:'110'} (default cpu 4, memory 8Gi, pods 110). */
  allocatable?: Record<string, string>;
  taints?: Taint[];
  labels?: Record<string, string>;
  unschedulable?: boolean;
}

/** A Node with the given allocatable/taints/labels. */
export function makeNode(name: string, spec: NodeSpec = {}): Node {
  const allocatable = spec.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(spec.labels ?? {}) } },
    spec: { ...(spec.taints ? { taints: spec.taints } : {}), ...(spec.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable, capacity: allocatable },
  };
}

/** Options for {@link makePod}. */
export interface PodSpecOpts {
  namespace?: string;
  uid?: string;
  nodeName?: string;
  /** One container per entry: its requests (e.g. {cpu:'100m', memory:'64Mi'}); default one container without requests. */
  containers?: Record<string, string>[];
  /** Init containers' requests; `restartPolicy: 'Always'` makes a sidecar via {@link sidecar}. */
  initContainers?: (Record<string, string> | { sidecar: Record<string, string> })[];
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  schedulerName?: string;
  priority?: number;
  phase?: string;
  overhead?: Record<string, string>;
}

/** A Pod with containers requesting the given resources. */
export function makePod(name: string, o: PodSpecOpts = {}): Pod {
  const toContainer = (req: Record<string, string>, i: number, prefix: string): Container => ({
    name: `${prefix}${i}`,
    image: 'busybox',
    ...(Object.keys(req).length ? { resources: { requests: req } } : {}),
  });
  const containers = (o.containers ?? [{}]).map((r, i) => toContainer(r, i, 'c'));
  const initContainers = o.initContainers?.map((r, i) =>
    'sidecar' in r ? { ...toContainer(r.sidecar as Record<string, string>, i, 'init'), restartPolicy: 'Always' } : toContainer(r as Record<string, string>, i, 'init'),
  );
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: o.uid ?? `uid-${name}` },
    spec: {
      containers,
      ...(initContainers ? { initContainers } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.overhead ? { overhead: o.overhead } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      schedulerName: o.schedulerName ?? 'default-scheduler',
    },
    status: { phase: o.phase ?? 'Pending' },
  };
}
