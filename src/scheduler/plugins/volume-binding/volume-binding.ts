/**
 * VolumeBinding, after pkg/scheduler/framework/plugins/volumebinding (volume_binding.go and
 * binder.go), PreFilter + Filter only:
 * - PreFilter: every `persistentVolumeClaim` volume's claim must exist
 *   (`persistentvolumeclaim "x" not found`) and not be deleting (`persistentvolumeclaim "x" is
 *   being deleted`); an unbound claim whose class binds Immediately makes the pod wait
 *   (`pod has unbound immediate PersistentVolumeClaims`). All UnschedulableAndUnresolvable.
 * - Filter: a bound claim's PV must admit the node by its node affinity (`node(s) had volume node
 *   affinity conflict`); an unbound WaitForFirstConsumer claim needs either an available PV that
 *   fits on the node or a class with a real provisioner (`kubernetes.io/no-provisioner` cannot
 *   provision: `node(s) didn't find available persistent volumes to bind`).
 * Departure: there is no PreBind; the PersistentVolume controller sets
 * `volume.kubernetes.io/selected-node` once the pod is bound to a node, and the kubelet waits for
 * the claim to bind. Without a {@link VolumeListers} the plugin accepts every pod.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../client/interface.ts';
import { Code, Status, type CycleState, type FilterPlugin, type NodeInfo, type PreFilterPlugin } from '../../framework/types.ts';
import { checkNodeAffinity, findMatchingVolume, isDelayBindingMode, type Obj } from '../../../controllers/volume/util.ts';

/** Plugin name. */
export const Name = 'VolumeBinding';
/** Upstream ErrReasonNodeConflict. */
export const ErrReasonNodeConflict = 'node(s) had volume node affinity conflict';
/** Upstream ErrReasonBindConflict. */
export const ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind";
/** PreFilter reason for unbound claims of an Immediate class. */
export const ErrReasonUnboundImmediate = 'pod has unbound immediate PersistentVolumeClaims';

/** Synchronous lookups from informer caches. */
export interface VolumeListers {
  claim(namespace: string, name: string): KubeObject | undefined;
  volume(name: string): KubeObject | undefined;
  volumes(): KubeObject[];
  storageClass(name: string): KubeObject | undefined;
}

interface ClaimState {
  bound: Obj[];
  unboundDelayed: Obj[];
}

const stateKey = 'PreFilter' + Name;

/** The VolumeBinding plugin. */
export class VolumeBinding implements PreFilterPlugin, FilterPlugin {
  constructor(private readonly listers?: VolumeListers) {}

  name(): string {
    return Name;
  }

  /** Sorts the pod's claims into bound and delayed-unbound ones; rejects missing/deleting/unbound-immediate claims. */
  preFilter(state: CycleState, pod: Pod): Status | undefined {
    const s: ClaimState = { bound: [], unboundDelayed: [] };
    state.write(stateKey, s);
    if (!this.listers) return undefined;
    const ns = pod.metadata?.namespace ?? '';
    let unboundImmediate = false;
    for (const v of pod.spec?.volumes ?? []) {
      const name = v.persistentVolumeClaim?.claimName;
      if (!name) continue;
      const claim = this.listers.claim(ns, name) as Obj | undefined;
      if (!claim) return new Status(Code.UnschedulableAndUnresolvable, `persistentvolumeclaim "${name}" not found`);
      if (claim.metadata?.deletionTimestamp) return new Status(Code.UnschedulableAndUnresolvable, `persistentvolumeclaim "${name}" is being deleted`);
      if (claim.spec?.volumeName) s.bound.push(claim);
      else if (isDelayBindingMode(claim, (n) => this.listers!.storageClass(n))) s.unboundDelayed.push(claim);
      else unboundImmediate = true;
    }
    if (unboundImmediate) return new Status(Code.UnschedulableAndUnresolvable, ErrReasonUnboundImmediate);
    return undefined;
  }

  /** Checks bound PVs' node affinity and whether delayed claims can be satisfied on the node. */
  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status | undefined {
    const s = state.read<ClaimState>(stateKey);
    if (!s || !this.listers || !nodeInfo.node) return undefined;
    const node = nodeInfo.node as Node;
    for (const claim of s.bound) {
      const pv = this.listers.volume(claim.spec!.volumeName) as Obj | undefined;
      if (pv && !checkNodeAffinity(pv, node)) return new Status(Code.UnschedulableAndUnresolvable, ErrReasonNodeConflict);
    }
    for (const claim of s.unboundDelayed) {
      if (findMatchingVolume(claim, this.listers.volumes() as Obj[], node, true)) continue;
      const cls = this.listers.storageClass(String(claim.spec?.storageClassName ?? '')) as (KubeObject & { provisioner?: string }) | undefined;
      if (!cls?.provisioner || cls.provisioner === 'kubernetes.io/no-provisioner') return new Status(Code.UnschedulableAndUnresolvable, ErrReasonBindConflict);
    }
    return undefined;
  }
}
