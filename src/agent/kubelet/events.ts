/**
 * The kubelet's event recorder: core/v1 Events about pods and the node, with upstream's
 * `source.component: kubelet`, `source.host: <node>` and `involvedObject.fieldPath`
 * `spec.containers{<name>}` / `spec.initContainers{<name>}` (pkg/kubelet/container/ref.go).
 * Writing and aggregation (count++) are src/client/record.ts's; a failed event never fails a sync.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/interface.ts';
import { ClientEventRecorder, getReference, type EventRecorder } from '../../client/record.ts';

/** Event reasons used by the kubelet (pkg/kubelet/events/event.go). */
export const Reasons = {
  CreatedContainer: 'Created',
  StartedContainer: 'Started',
  FailedToCreateContainer: 'Failed',
  FailedToStartContainer: 'Failed',
  KillingContainer: 'Killing',
  BackOffStartContainer: 'BackOff',
  PullingImage: 'Pulling',
  PulledImage: 'Pulled',
  FailedToPullImage: 'Failed',
  BackOffPullImage: 'BackOff',
  ErrImageNeverPull: 'ErrImageNeverPull',
  ContainerUnhealthy: 'Unhealthy',
  FailedMountVolume: 'FailedMount',
  FailedCreatePodSandBox: 'FailedCreatePodSandBox',
  SandboxChanged: 'SandboxChanged',
  NodeReady: 'NodeReady',
  StartingKubelet: 'Starting',
  RegisteredNode: 'RegisteredNode',
} as const;

/** What the kubelet calls to record an event. */
export interface KubeletEventRecorder {
  /**
   * Records an event about `obj` (a Pod or Node). `fieldPath` names a container
   * (`spec.containers{web}`); `type` is Normal|Warning.
   */
  eventf(obj: KubeObject | Pod, fieldPath: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** `spec.containers{name}` or `spec.initContainers{name}` (upstream GenerateContainerRef). */
export function containerFieldPath(name: string, init = false): string {
  return `${init ? 'spec.initContainers' : 'spec.containers'}{${name}}`;
}

/**
 * Adapter over client-go-style `EventRecorder` (src/client/record.ts): builds the pod's
 * ObjectReference with `fieldPath` and forwards. `component: kubelet`, `host: <node>`.
 */
export class KubeletRecorder implements KubeletEventRecorder {
  constructor(private readonly inner: EventRecorder) {}

  eventf(obj: KubeObject | Pod, fieldPath: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref = { ...getReference({ apiVersion: 'v1', kind: 'Pod', ...(obj as KubeObject) }) } as Record<string, string>;
    if (fieldPath) ref.fieldPath = fieldPath;
    this.inner.event(ref, type, reason, message);
  }
}

/** A recorder writing Events through `client` as `kubelet` on `nodeName`. */
export function newKubeletRecorder(client: Client, nodeName: string): { recorder: KubeletRecorder; flush(): Promise<void> } {
  const inner = new ClientEventRecorder(client, { component: 'kubelet', host: nodeName, instance: nodeName });
  return { recorder: new KubeletRecorder(inner), flush: () => inner.flush() };
}

/** Recorder that keeps events in memory (tests): `"<type> <reason> <message>"` strings. */
export class MemoryRecorder implements KubeletEventRecorder {
  readonly events: { obj: KubeObject | Pod; fieldPath?: string; type: string; reason: string; message: string }[] = [];
  eventf(obj: KubeObject | Pod, fieldPath: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ obj, fieldPath, type, reason, message });
  }
  /** Messages of events with `reason`. */
  messages(reason: string): string[] {
    return this.events.filter((e) => e.reason === reason).map((e) => e.message);
  }
}
