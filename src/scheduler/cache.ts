/**
 * The scheduler cache, after pkg/scheduler/backend/cache/cache.go: nodes plus the pods assigned
 * to them, aggregated into {@link NodeInfo}s, including **assumed** pods — pods the scheduler has
 * decided to place but whose binding has not been observed yet — so consecutive scheduling
 * decisions see each other's resource use.
 *
 * Pod lifecycle in the cache:
 *   assumePod (decision made) → finishBinding (bind call succeeded) → addPod (informer saw the
 *   assigned pod: the assumed entry is confirmed and replaced by the real object)
 *   assumePod → forgetPod (binding failed: the reservation is released)
 *   addPod / updatePod / removePod for assigned pods seen by the informer.
 * Pods assigned to a node the cache does not know yet are kept in a NodeInfo without a node
 * object; such NodeInfos are not offered for scheduling.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo, newPodInfo, podKey } from './framework/types.ts';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
}

/** The scheduler cache; see the file comment. Synchronous; not thread-shared. */
export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();

  /** Adds or replaces a node object. */
  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const ni = this.nodes.get(name);
    if (ni) ni.setNode(node);
    else this.nodes.set(name, new NodeInfo(node));
  }

  /** Same as {@link addNode}. */
  updateNode(node: Node): void {
    this.addNode(node);
  }

  /** Removes a node; its pods stay accounted (in a node-less NodeInfo) until they are removed. */
  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const ni = this.nodes.get(name);
    if (!ni) return;
    if (ni.pods.length === 0) this.nodes.delete(name);
    else ni.node = undefined;
  }

  /** Reserves `pod` (with spec.nodeName set to the chosen node) before binding. */
  assumePod(pod: Pod): void {
    const key = podKey(pod);
    if (this.podStates.has(key)) throw new Error(`pod ${key} is in the cache, so can't be assumed`);
    const nodeName = pod.spec?.nodeName ?? '';
    this.addPodToNode(pod, nodeName);
    this.podStates.set(key, { pod, nodeName, assumed: true, bindingFinished: false });
  }

  /** Marks the binding of an assumed pod as done (the informer's add will confirm it). */
  finishBinding(pod: Pod): void {
    const st = this.podStates.get(podKey(pod));
    if (st?.assumed) st.bindingFinished = true;
  }

  /** Releases an assumed pod whose binding failed. */
  forgetPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (!st || !st.assumed) return;
    this.removePodFromNode(st.pod, st.nodeName);
    this.podStates.delete(key);
  }

  /** True when the pod is assumed and not yet confirmed by the informer. */
  isAssumedPod(pod: Pod): boolean {
    return this.podStates.get(podKey(pod))?.assumed ?? false;
  }

  /** An assigned pod observed by the informer: confirms an assumed pod or adds it. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    const nodeName = pod.spec?.nodeName ?? '';
    if (st) {
      // Assumed (or already known): replace with the real object, on the node it really landed on.
      this.removePodFromNode(st.pod, st.nodeName);
    }
    this.addPodToNode(pod, nodeName);
    this.podStates.set(key, { pod, nodeName, assumed: false, bindingFinished: true });
  }

  /** An assigned pod changed (e.g. resized); re-accounts it. */
  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  /** An assigned pod was deleted or terminated. */
  removePod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (!st) return;
    this.removePodFromNode(st.pod, st.nodeName);
    this.podStates.delete(key);
  }

  /** NodeInfos of known nodes (live objects: do not keep them across awaits), sorted by name. */
  nodeInfos(): NodeInfo[] {
    return [...this.nodes.values()].filter((n) => n.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The NodeInfo of one node, if known. */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** Number of known nodes. */
  nodeCount(): number {
    return this.nodeInfos().length;
  }

  private addPodToNode(pod: Pod, nodeName: string): void {
    let ni = this.nodes.get(nodeName);
    if (!ni) {
      ni = new NodeInfo();
      this.nodes.set(nodeName, ni);
    }
    ni.addPod(newPodInfo(pod));
  }

  private removePodFromNode(pod: Pod, nodeName: string): void {
    const ni = this.nodes.get(nodeName);
    if (!ni) return;
    ni.removePod(pod);
    if (!ni.node && ni.pods.length === 0) this.nodes.delete(nodeName);
  }
}
