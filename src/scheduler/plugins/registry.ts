/**
 * The default plugin set, after pkg/scheduler/apis/config/v1/default_plugins.go (the subset Skiff
 * implements: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit, NodeResourcesBalancedAllocation), in upstream's order, with upstream's score weights: TaintToleration 3,
 * NodeAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation 1.
 */
import { Framework, type PluginConfig } from '../framework/runtime.ts';
import { NodeUnschedulable } from './node-unschedulable/node-unschedulable.ts';
import { NodeName } from './node-name/node-name.ts';
import { TaintToleration } from './taint-toleration/taint-toleration.ts';
import { NodeAffinity } from './node-affinity/node-affinity.ts';
import { NodePorts } from './node-ports/node-ports.ts';
import { NodeResourcesFit } from './node-resources-fit/node-resources-fit.ts';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation/node-resources-balanced-allocation.ts';

/** The default plugins with weights, in extension-point order. */
export function defaultPlugins(): PluginConfig[] {
  return [
    { plugin: new NodeUnschedulable() },
    { plugin: new NodeName() },
    { plugin: new TaintToleration(), weight: 3 },
    { plugin: new NodeAffinity(), weight: 2 },
    { plugin: new NodePorts() },
    { plugin: new NodeResourcesFit(), weight: 1 },
    { plugin: new NodeResourcesBalancedAllocation(), weight: 1 },
  ];
}

/** A Framework with {@link defaultPlugins}. */
export function newDefaultFramework(): Framework {
  return new Framework(defaultPlugins());
}
