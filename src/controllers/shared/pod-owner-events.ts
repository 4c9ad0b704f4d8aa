/**
 * Pod event handling shared by the controllers that own pods through a controllerRef and count
 * creations/deletions with {@link ControllerExpectations} (ReplicaSet, Job), after upstream
 * pkg/controller/replicaset/replica_set.go and pkg/controller/job/job_controller.go
 * (resolveControllerRef, getPodReplicaSets / getPodJobs, addPod, deletePod). Each controller keeps
 * its own updatePod, which differs between them.
 */
import type { KubeObject } from '../../client/interface.ts';
import { DeletedFinalStateUnknown, type Lister } from '../../client/informer.ts';
import type { Selector } from '../../client/selectors.ts';
import { getControllerOf } from '../../client/object-util.ts';
import type { ControllerExpectations } from './expectations.ts';
import { keyOf } from './controller-utils.ts';

/**
 * `resolveControllerRef`: the object of `kind` in `lister` that a controllerRef names, or undefined
 * when the kind differs, it is not in the cache, or its uid differs from `ref.uid`.
 */
export function resolveControllerRef<T extends KubeObject>(
  lister: Lister<T>,
  kind: string,
  namespace: string | undefined,
  ref: { kind: string; name: string; uid: string },
): T | undefined {
  if (ref.kind !== kind) return undefined;
  const obj = lister.get(namespace, ref.name);
  return obj && obj.metadata?.uid === ref.uid ? obj : undefined;
}

/** What {@link PodOwnerEvents} needs from its controller. */
export interface PodOwnerEventsOptions<T extends KubeObject> {
  /** The owners' informer lister (ReplicaSets, Jobs). */
  lister: Lister<T>;
  /** The owner kind a pod's controllerRef must name (`ReplicaSet`, `Job`). */
  kind: string;
  /** The owner's pod selector; may throw for an invalid selector (the owner is then skipped). */
  getSelector: (owner: T) => Selector;
  expectations: ControllerExpectations;
  /** Enqueues an owner key (`ns/name`). */
  enqueue: (key: string) => void;
}

/** The pod add/delete handlers and owner lookups of a pod-owning controller; see module comment. */
export class PodOwnerEvents<T extends KubeObject> {
  constructor(private readonly o: PodOwnerEventsOptions<T>) {}

  /** The owner a pod's controllerRef points at, if it is of our kind and the uid matches. */
  resolveControllerRef(namespace: string | undefined, ref: { kind: string; name: string; uid: string }): T | undefined {
    return resolveControllerRef(this.o.lister, this.o.kind, namespace, ref);
  }

  /**
   * `getPodReplicaSets` / `getPodJobs`: owners in the pod's namespace whose selector matches its
   * labels. An empty selector (matches everything) matches nothing here; an invalid one is skipped.
   */
  getPodOwners(pod: KubeObject): T[] {
    const out: T[] = [];
    for (const owner of this.o.lister.list(pod.metadata?.namespace)) {
      let sel: Selector;
      try {
        sel = this.o.getSelector(owner);
      } catch {
        continue;
      }
      if (sel.empty) continue;
      if (sel.matches(pod.metadata?.labels)) out.push(owner);
    }
    return out;
  }

  /**
   * `addPod`: a pod already being deleted counts as a deletion ({@link deletePod}); a pod with a
   * controllerRef to one of our owners is an observed creation and enqueues that owner; an orphan
   * enqueues every owner whose selector matches it, so one can adopt it.
   */
  addPod(pod: KubeObject): void {
    if (pod.metadata?.deletionTimestamp) {
      // Restarted controller seeing a pod already being deleted: don't count it as a creation.
      this.deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const owner = this.resolveControllerRef(pod.metadata?.namespace, ref);
      if (!owner) return;
      this.o.expectations.creationObserved(keyOf(owner));
      this.o.enqueue(keyOf(owner));
      return;
    }
    for (const owner of this.getPodOwners(pod)) this.o.enqueue(keyOf(owner));
  }

  /** `deletePod`: for a pod of one of our owners, an observed deletion; enqueues the owner. Tombstones are unwrapped. */
  deletePod(obj: KubeObject | DeletedFinalStateUnknown<KubeObject>): void {
    const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    const ref = getControllerOf(pod);
    if (!ref) return;
    const owner = this.resolveControllerRef(pod.metadata?.namespace, ref);
    if (!owner) return;
    const key = keyOf(owner);
    this.o.expectations.deletionObserved(key, keyOf(pod));
    this.o.enqueue(key);
  }
}
