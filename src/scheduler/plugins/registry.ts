/**
 * The default plugin set, after pkg/scheduler/apis/config/v1/default_plugins.go (the subset Skiff
 * implements: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit, NodeResourcesBalancedAllocation, PodTopologySpread (DoNotSchedule),
 * InterPodAffinity (required terms)), in upstream's order, with upstream's score weights: TaintToleration 3,
 * NodeAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1.
 */
import { Framework, type PluginConfig } from '../framework/runtime.ts';
import { NodeUnschedulable } from './node-unschedulable/node-unschedulable.ts';
import { NodeName } from './node-name/node-name.ts';
import { TaintToleration } from './taint-toleration/taint-toleration.ts';
import { NodeAffinity } from './node-affinity/node-affinity.ts';
import { NodePorts } from './node-ports/node-ports.ts';
import { PodTopologySpread } from './pod-topology-spread/pod-topology-spread.ts';
import { InterPodAffinity, type InterPodAffinityOptions } from './inter-pod-affinity/inter-pod-affinity.ts';
import { NodeResourcesFit } from './node-resources-fit/node-resources-fit.ts';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation/node-resources-balanced-allocation.ts';
import { VolumeBinding, type VolumeListers } from './volume-binding/volume-binding.ts';

/** Options for the default plugins. */
export interface DefaultPluginsOptions {
  /** Namespace labels lookup for InterPodAffinity's namespaceSelector terms. */
  namespaceLabels?: InterPodAffinityOptions['namespaceLabels'];
  /** PVC/PV/StorageClass lookups for VolumeBinding (without them it accepts every pod). */
  volumes?: VolumeListers;
}

/** The default plugins with weights, in extension-point order. */
export function defaultPlugins(opts: DefaultPluginsOptions = {}): PluginConfig[] {
  return [
    { plugin: new NodeUnschedulable() },
    { plugin: new NodeName() },
    { plugin: new TaintToleration(), weight: 3 },
    { plugin: new NodeAffinity(), weight: 2 },
    { plugin: new NodePorts() },
    { plugin: new NodeResourcesFit(), weight: 1 },
    { plugin: new NodeResourcesBalancedAllocation(), weight: 1 },
    { plugin: new VolumeBinding(opts.volumes) },
    { plugin: new PodTopologySpread() },
    { plugin: new InterPodAffinity({ namespaceLabels: opts.namespaceLabels }) },
  ];
}

/** A Framework with {@link defaultPlugins}. */
export function newDefaultFramework(opts: DefaultPluginsOptions = {}): Framework {
  return new Framework(defaultPlugins(opts));
}
