/**
 * The bootstrap RBAC policy and its reconciliation at server start, after upstream
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (ClusterRoles, ClusterRoleBindings)
 * and pkg/registry/rbac/rest/storage_rbac.go (the `rbac/bootstrap-roles` post-start hook, which
 * creates missing roles/bindings and, for objects annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "true"`, adds missing rules, aggregation
 * selectors, labels and subjects while keeping what users added).
 *
 * admin/edit/view are aggregated ClusterRoles (aggregationRule on the
 * `rbac.authorization.k8s.io/aggregate-to-*` labels) whose rules come from
 * system:aggregate-to-{admin,edit,view}; bootstrap writes them with the aggregated rules already
 * filled in (what upstream's clusterrole-aggregation controller computes), see {@link aggregateRules}.
 */
import type { Client, KubeObject } from '../../../client/interface.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../../machinery/errors.ts';
import { RBAC_GROUP, type PolicyRule, type Subject } from '../../../api/rbac/v1/policy.ts';
import { aggregateRules, ruleKey } from './aggregation.ts';

const GVR_CLUSTERROLES = { group: RBAC_GROUP, version: 'v1', resource: 'clusterroles' };
const GVR_CLUSTERROLEBINDINGS = { group: RBAC_GROUP, version: 'v1', resource: 'clusterrolebindings' };

/** `rbac.authorization.kubernetes.io/autoupdate`. */
export const AUTO_UPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const Read = ['get', 'list', 'watch'];
const Write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const ReadWrite = [...Read, ...Write];

function rule(verbs: string[], groups: string[], resources: string[]): PolicyRule {
  return { verbs, apiGroups: groups, resources };
}
function urlRule(verbs: string[], urls: string[]): PolicyRule {
  return { verbs, nonResourceURLs: urls };
}

function clusterRole(name: string, rules: PolicyRule[], opts: { labels?: Record<string, string>; aggregateLabel?: string } = {}): KubeObject {
  const cr: Record<string, unknown> = {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...(opts.labels ?? {}) }, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } },
    rules,
  };
  if (opts.aggregateLabel) cr.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [opts.aggregateLabel]: 'true' } }] };
  return cr as KubeObject;
}

function clusterRoleBinding(name: string, role: string, subjects: Subject[]): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects,
  } as KubeObject;
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });

/** Upstream's `ClusterRoles()` subset Skiff serves, admin/edit/view with empty rules (filled by aggregation). */
export function bootstrapClusterRoles(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urlRule(['*'], ['*'])]),
    clusterRole('system:discovery', [urlRule(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
    clusterRole('system:basic-user', [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ]),
    clusterRole('system:public-info-viewer', [urlRule(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    // ServiceAccount issuer discovery (upstream's ServiceAccountIssuerDiscovery bootstrap role).
    clusterRole('system:service-account-issuer-discovery', [urlRule(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])]),
    clusterRole('admin', [], { aggregateLabel: 'rbac.authorization.k8s.io/aggregate-to-admin' }),
    clusterRole('edit', [], { aggregateLabel: 'rbac.authorization.k8s.io/aggregate-to-edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }),
    clusterRole('view', [], { aggregateLabel: 'rbac.authorization.k8s.io/aggregate-to-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }),
    clusterRole(
      'system:aggregate-to-admin',
      [
        rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
        rule(ReadWrite, [RBAC_GROUP], ['rolebindings', 'roles']),
      ],
      { labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } },
    ),
    clusterRole(
      'system:aggregate-to-edit',
      [
        rule(['impersonate'], [''], ['serviceaccounts']),
        rule(Write, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
        rule(['create'], [''], ['pods/eviction']),
        rule(Write, [''], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
        rule(['create'], [''], ['serviceaccounts/token']),
        rule(Write, ['apps'], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
        rule(Write, ['autoscaling'], ['horizontalpodautoscalers']),
        rule(Write, ['batch'], ['jobs', 'cronjobs']),
        rule(Write, ['extensions'], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(Write, ['policy'], ['poddisruptionbudgets']),
        rule(Write, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
        rule(Write, ['coordination.k8s.io'], ['leases']),
        rule(Read, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
      ],
      { labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } },
    ),
    clusterRole(
      'system:aggregate-to-view',
      [
        rule(Read, [''], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
        rule(Read, [''], ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
        rule(Read, [''], ['namespaces']),
        rule(Read, ['discovery.k8s.io'], ['endpointslices']),
        rule(Read, ['apps'], ['controllerrevisions', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status']),
        rule(Read, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
        rule(Read, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
        rule(Read, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(Read, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
        rule(Read, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
      ],
      { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
    ),
  ];
}

/** Upstream's `ClusterRoleBindings()` subset: cluster-admin to system:masters, discovery/basic-user to system:authenticated, public-info-viewer to everyone. */
export function bootstrapClusterRoleBindings(): KubeObject[] {
  return [
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    clusterRoleBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
  ];
}

/**
 * Bootstrap ClusterRoles with admin/edit/view (and any other aggregated role) filled in by
 * aggregation, iterated until stable (view → edit → admin).
 */
export function bootstrapClusterRolesAggregated(): KubeObject[] {
  const roles = bootstrapClusterRoles();
  for (let pass = 0; pass < 4; pass++) {
    for (const r of roles) if ((r as Record<string, unknown>).aggregationRule) (r as Record<string, unknown>).rules = aggregateRules(r, roles);
  }
  return roles;
}

/**
 * Reconciles the bootstrap policy through `client` (an in-process client): creates missing
 * ClusterRoles/ClusterRoleBindings; for existing ones with autoupdate "true" (or absent),
 * adds missing rules, labels, aggregation selectors and subjects. Objects with autoupdate
 * "false" are left alone. Retries conflicts. Throws on other errors.
 */
export async function ensureBootstrapPolicy(client: Client): Promise<void> {
  for (const want of bootstrapClusterRolesAggregated()) await reconcile(client, GVR_CLUSTERROLES, want, mergeRole);
  for (const want of bootstrapClusterRoleBindings()) await reconcile(client, GVR_CLUSTERROLEBINDINGS, want, mergeBinding);
}

function mergeRole(cur: Record<string, any>, want: Record<string, any>): boolean {
  let changed = mergeLabels(cur, want);
  const keys = new Set(((cur.rules ?? []) as PolicyRule[]).map(ruleKey));
  for (const r of (want.rules ?? []) as PolicyRule[]) {
    if (keys.has(ruleKey(r))) continue;
    cur.rules = [...(cur.rules ?? []), r];
    changed = true;
  }
  if (want.aggregationRule) {
    const sels = (cur.aggregationRule?.clusterRoleSelectors ?? []) as unknown[];
    const have = new Set(sels.map((s) => JSON.stringify(s)));
    for (const s of want.aggregationRule.clusterRoleSelectors as unknown[]) {
      if (have.has(JSON.stringify(s))) continue;
      cur.aggregationRule = { clusterRoleSelectors: [...sels, s] };
      changed = true;
    }
  }
  return changed;
}

function mergeBinding(cur: Record<string, any>, want: Record<string, any>): boolean {
  let changed = mergeLabels(cur, want);
  const have = new Set(((cur.subjects ?? []) as Subject[]).map((s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`));
  for (const s of want.subjects as Subject[]) {
    if (have.has(`${s.kind}/${s.namespace ?? ''}/${s.name}`)) continue;
    cur.subjects = [...(cur.subjects ?? []), s];
    changed = true;
  }
  return changed;
}

function mergeLabels(cur: Record<string, any>, want: Record<string, any>): boolean {
  let changed = false;
  cur.metadata.labels ??= {};
  for (const [k, v] of Object.entries(want.metadata.labels ?? {})) {
    if (cur.metadata.labels[k] !== v) {
      cur.metadata.labels[k] = v;
      changed = true;
    }
  }
  return changed;
}

async function reconcile(client: Client, gvr: { group: string; version: string; resource: string }, want: KubeObject, merge: (cur: Record<string, any>, want: Record<string, any>) => boolean): Promise<void> {
  const name = want.metadata!.name!;
  for (let attempt = 0; attempt < 5; attempt++) {
    let cur: KubeObject | undefined;
    try {
      cur = await client.get(gvr, undefined, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      if (!cur) {
        await client.create(gvr, undefined, want);
        return;
      }
      if (cur.metadata?.annotations?.[AUTO_UPDATE_ANNOTATION] === 'false') return;
      const c = structuredClone(cur) as Record<string, any>;
      if (!merge(c, want as Record<string, any>)) return;
      await client.update(gvr, undefined, c as KubeObject);
      return;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) continue;
      throw err;
    }
  }
}
