/**
 * The clusterrole-aggregation controller, after upstream
 * pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go: a ClusterRole with
 * an `aggregationRule` gets as `rules` the union of the rules of the ClusterRoles its
 * `clusterRoleSelectors` select (selectors in order, matched roles by name, duplicates dropped).
 * Any ClusterRole change re-queues every aggregated ClusterRole. This is what makes
 * `rbac.authorization.k8s.io/aggregate-to-{admin,edit,view}: "true"` labels extend the default
 * roles.
 */
import type { Client, KubeObject } from '../../client/interface.ts';
import { defaultLogger, type Logger, type SharedInformer } from '../../client/informer.ts';
import type { SharedInformerFactory } from '../../client/informer-factory.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { semanticDeepEqual } from '../../api/common/meta.ts';
import { aggregateRules } from '../../apiserver/auth/rbac/aggregation.ts';
import { BaseController } from '../shared/base-controller.ts';

/** `rbac.authorization.k8s.io/v1` clusterroles. */
export const GVR_CLUSTERROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };

/** Options for {@link ClusterRoleAggregationController}. */
export interface ClusterRoleAggregationControllerOptions {
  client: Client;
  factory: SharedInformerFactory;
  logger?: Logger;
}

const hasAggregationRule = (r: KubeObject) => Boolean((r as Record<string, unknown>).aggregationRule);

/** The controller; see the module comment. */
export class ClusterRoleAggregationController extends BaseController {
  readonly client: Client;
  readonly clusterRoleInformer: SharedInformer<KubeObject>;

  constructor(opts: ClusterRoleAggregationControllerOptions) {
    super('clusterrole-aggregation', (key) => this.syncClusterRole(key), { logger: opts.logger ?? defaultLogger });
    this.client = opts.client;
    this.clusterRoleInformer = opts.factory.forResource<KubeObject>(GVR_CLUSTERROLES);
    const enqueueAll = () => {
      for (const r of this.clusterRoleInformer.lister.list()) if (hasAggregationRule(r)) this.queue.add(String(r.metadata?.name));
    };
    this.clusterRoleInformer.addEventHandler({ onAdd: enqueueAll, onUpdate: enqueueAll, onDelete: enqueueAll });
  }

  /** Waits for the informer to sync, then runs `workers` workers until `signal` aborts. */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (!(await this.clusterRoleInformer.waitForSync(signal))) return;
    await this.runWorkers(workers, signal);
  }

  /** `syncClusterRole`: writes the aggregated rules of one ClusterRole when they differ. */
  async syncClusterRole(name: string): Promise<void> {
    const role = this.clusterRoleInformer.lister.get(undefined, name);
    if (!role || !hasAggregationRule(role)) return;
    const rules = aggregateRules(role, this.clusterRoleInformer.lister.list());
    const cur = ((role as Record<string, unknown>).rules ?? []) as unknown[];
    if (semanticDeepEqual(cur, rules)) return;
    try {
      await this.client.update(GVR_CLUSTERROLES, undefined, { ...role, rules } as KubeObject);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
