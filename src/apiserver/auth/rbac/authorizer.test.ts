import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../client/interface.ts';
import type { AuthorizationAttributes } from '../authorizer.ts';
import type { PolicyRule } from '../../../api/rbac/v1/policy.ts';
import { ruleAllows } from './rule.ts';
import { newClusterAuthorizer, RBACAuthorizer } from './authorizer.ts';
import { staticRBACLister } from './resolver.ts';
import { bootstrapClusterRoleBindings, bootstrapClusterRolesAggregated } from './bootstrap-policy.ts';

const alice = { name: 'alice', groups: ['dev', 'system:authenticated'] };

function res(verb: string, group: string, resource: string, extra: Partial<AuthorizationAttributes> = {}): AuthorizationAttributes {
  return { user: alice, verb, apiGroup: group, apiVersion: 'v1', resource, subresource: '', namespace: 'ns1', name: '', ...extra };
}
function path(verb: string, p: string): AuthorizationAttributes {
  return { user: alice, verb, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', isResourceRequest: false, path: p };
}

// Cases after upstream plugin/pkg/auth/authorizer/rbac/rbac_test.go TestRuleMatches and evaluation_helpers semantics.
describe('ruleAllows', () => {
  const cases: Array<{ name: string; rule: PolicyRule; attrs: AuthorizationAttributes; want: boolean }> = [
    { name: 'star verb, exact match other', rule: { verbs: ['*'], apiGroups: [''], resources: ['pods'] }, attrs: res('get', '', 'pods'), want: true },
    { name: 'star group', rule: { verbs: ['get'], apiGroups: ['*'], resources: ['pods'] }, attrs: res('get', 'custom', 'pods'), want: true },
    { name: 'star resource', rule: { verbs: ['get'], apiGroups: [''], resources: ['*'] }, attrs: res('get', '', 'secrets'), want: true },
    { name: 'verb mismatch', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, attrs: res('list', '', 'pods'), want: false },
    { name: 'group mismatch', rule: { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, attrs: res('get', '', 'pods'), want: false },
    { name: 'resource mismatch', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, attrs: res('get', '', 'services'), want: false },
    { name: 'resource does not match subresource', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, attrs: res('get', '', 'pods', { subresource: 'log' }), want: false },
    { name: 'exact subresource', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, attrs: res('get', '', 'pods', { subresource: 'log' }), want: true },
    { name: 'subresource does not match resource', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, attrs: res('get', '', 'pods'), want: false },
    { name: 'star/subresource', rule: { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, attrs: res('get', 'apps', 'deployments', { subresource: 'scale' }), want: true },
    { name: 'star/subresource other subresource', rule: { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, attrs: res('get', 'apps', 'deployments', { subresource: 'status' }), want: false },
    { name: 'star/subresource without subresource', rule: { verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, attrs: res('get', 'apps', 'deployments'), want: false },
    { name: 'star resource matches subresource', rule: { verbs: ['get'], apiGroups: [''], resources: ['*'] }, attrs: res('get', '', 'pods', { subresource: 'exec' }), want: true },
    { name: 'resourceNames match', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }, attrs: res('get', '', 'pods', { name: 'a' }), want: true },
    { name: 'resourceNames mismatch', rule: { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }, attrs: res('get', '', 'pods', { name: 'b' }), want: false },
    { name: 'resourceNames vs list (no name)', rule: { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }, attrs: res('list', '', 'pods'), want: false },
    { name: 'resource rule does not match a path', rule: { verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, attrs: path('get', '/api'), want: false },
    { name: 'exact url', rule: { verbs: ['get'], nonResourceURLs: ['/healthz'] }, attrs: path('get', '/healthz'), want: true },
    { name: 'url mismatch', rule: { verbs: ['get'], nonResourceURLs: ['/healthz'] }, attrs: path('get', '/healthz/ping'), want: false },
    { name: 'url star suffix', rule: { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, attrs: path('get', '/apis/apps/v1'), want: true },
    { name: 'url star suffix prefix only', rule: { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, attrs: path('get', '/apis'), want: false },
    { name: 'url star', rule: { verbs: ['*'], nonResourceURLs: ['*'] }, attrs: path('post', '/anything'), want: true },
    { name: 'url verb mismatch', rule: { verbs: ['get'], nonResourceURLs: ['*'] }, attrs: path('post', '/x'), want: false },
    { name: 'url rule does not match a resource', rule: { verbs: ['*'], nonResourceURLs: ['*'] }, attrs: res('get', '', 'pods'), want: false },
  ];
  for (const c of cases) test(c.name, () => assert.equal(ruleAllows(c.attrs, c.rule), c.want));
});

const role = (ns: string, name: string, rules: PolicyRule[]): KubeObject => ({ kind: 'Role', metadata: { namespace: ns, name }, rules }) as KubeObject;
const crole = (name: string, rules: PolicyRule[]): KubeObject => ({ kind: 'ClusterRole', metadata: { name }, rules }) as KubeObject;
const rb = (ns: string, name: string, kind: string, roleName: string, subjects: unknown[]): KubeObject =>
  ({ kind: 'RoleBinding', metadata: { namespace: ns, name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects }) as KubeObject;
const crb = (name: string, roleName: string, subjects: unknown[]): KubeObject =>
  ({ kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects }) as KubeObject;

describe('RBACAuthorizer (bindings, subjects, scope)', () => {
  const podReader: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }];
  const lister = staticRBACLister({
    roles: [role('dev', 'pod-reader', podReader)],
    clusterRoles: [crole('node-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }]), crole('secret-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }])],
    roleBindings: [
      rb('dev', 'alice-pods', 'Role', 'pod-reader', [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }]),
      rb('dev', 'team-secrets', 'ClusterRole', 'secret-reader', [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'team' }]),
      rb('dev', 'sa-pods', 'Role', 'pod-reader', [{ kind: 'ServiceAccount', name: 'builder' }]),
      rb('dev', 'dangling', 'Role', 'missing', [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }]),
    ],
    clusterRoleBindings: [crb('ops-nodes', 'node-reader', [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'ops' }, { kind: 'ServiceAccount', name: 'mon', namespace: 'kube-system' }])],
  });
  const z = new RBACAuthorizer(lister);
  const u = (name: string, groups: string[] = []) => ({ name, groups: [...groups, 'system:authenticated'] });
  const a = (user: { name: string; groups: string[] }, verb: string, resource: string, namespace: string, name = ''): AuthorizationAttributes => ({
    user, verb, apiGroup: '', apiVersion: 'v1', resource, subresource: '', namespace, name,
  });
  const cases: Array<[string, AuthorizationAttributes, boolean]> = [
    ['RoleBinding grants in its namespace', a(u('alice'), 'list', 'pods', 'dev'), true],
    ['RoleBinding does not grant in another namespace', a(u('alice'), 'list', 'pods', 'default'), false],
    ['RoleBinding does not grant cluster-wide', a(u('alice'), 'list', 'pods', ''), false],
    ['verb outside the role', a(u('alice'), 'delete', 'pods', 'dev', 'p'), false],
    ['RoleBinding to a ClusterRole grants in the namespace only', a(u('carol', ['team']), 'get', 'secrets', 'dev', 's'), true],
    ['…not in other namespaces', a(u('carol', ['team']), 'get', 'secrets', 'prod', 's'), false],
    ['ServiceAccount subject defaults to the binding namespace', a(u('system:serviceaccount:dev:builder', ['system:serviceaccounts', 'system:serviceaccounts:dev']), 'get', 'pods', 'dev', 'p'), true],
    ['same SA name in another namespace', a(u('system:serviceaccount:prod:builder'), 'get', 'pods', 'dev', 'p'), false],
    ['ClusterRoleBinding grants cluster-wide (group)', a(u('dave', ['ops']), 'get', 'nodes', '', 'n1'), true],
    ['ClusterRoleBinding grants in any namespace too', a(u('dave', ['ops']), 'get', 'nodes', 'dev', 'n1'), true],
    ['ClusterRoleBinding ServiceAccount subject', a(u('system:serviceaccount:kube-system:mon'), 'get', 'nodes', '', 'n1'), true],
    ['unbound user', a(u('eve'), 'get', 'pods', 'dev', 'p'), false],
  ];
  for (const [name, attrs, want] of cases) test(name, async () => assert.equal((await z.authorize(attrs)).allowed, want));

  test('allowed reason names the binding (upstream describer wording)', async () => {
    assert.equal((await z.authorize(a(u('alice'), 'get', 'pods', 'dev', 'p'))).reason, 'RBAC: allowed by RoleBinding "alice-pods/dev" of Role "pod-reader" to User "alice"');
    assert.equal((await z.authorize(a(u('dave', ['ops']), 'get', 'nodes', '', 'n1'))).reason, 'RBAC: allowed by ClusterRoleBinding "ops-nodes" of ClusterRole "node-reader" to Group "ops"');
  });
  test('a binding to a missing role denies with the lookup error as reason', async () => {
    const d = await z.authorize(a(u('bob'), 'get', 'pods', 'dev', 'p'));
    assert.equal(d.allowed, false);
    assert.equal(d.reason, 'RBAC: role.rbac.authorization.k8s.io "missing" not found');
  });
});

describe('bootstrap policy', () => {
  const z = newClusterAuthorizer(staticRBACLister({ clusterRoles: bootstrapClusterRolesAggregated(), clusterRoleBindings: bootstrapClusterRoleBindings() }));
  const user = (name: string, groups: string[]) => ({ name, groups });
  test('system:masters may do anything', async () => {
    const d = await z.authorize({ ...res('delete', 'apps', 'deployments'), user: user('admin', ['system:masters', 'system:authenticated']) });
    assert.equal(d.allowed, true);
  });
  test('authenticated users get discovery, basic-user and public info; nothing else', async () => {
    const u = user('alice', ['system:authenticated']);
    for (const p of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/version', '/healthz', '/openapi/v3', '/openapi/v3/apis/apps/v1']) {
      assert.equal((await z.authorize({ ...path('get', p), user: u })).allowed, true, p);
    }
    assert.equal((await z.authorize({ ...res('create', 'authorization.k8s.io', 'selfsubjectaccessreviews'), namespace: '', user: u })).allowed, true);
    assert.equal((await z.authorize({ ...res('create', 'authentication.k8s.io', 'selfsubjectreviews'), namespace: '', user: u })).allowed, true);
    assert.equal((await z.authorize({ ...res('list', '', 'pods'), user: u })).allowed, false);
    assert.equal((await z.authorize({ ...path('post', '/api'), user: u })).allowed, false);
  });
  test('unauthenticated users get only public info', async () => {
    const anon = user('system:anonymous', ['system:unauthenticated']);
    assert.equal((await z.authorize({ ...path('get', '/version'), user: anon })).allowed, true);
    assert.equal((await z.authorize({ ...path('get', '/livez'), user: anon })).allowed, true);
    assert.equal((await z.authorize({ ...path('get', '/api'), user: anon })).allowed, false);
  });
  test('admin ⊇ edit ⊇ view by aggregation; view reads pods but not secrets; only admin has roles', () => {
    const roles = new Map(bootstrapClusterRolesAggregated().map((r) => [r.metadata!.name!, (r as Record<string, any>).rules as PolicyRule[]]));
    const can = (r: string, verb: string, group: string, resource: string) => roles.get(r)!.some((rule) => ruleAllows(res(verb, group, resource), rule));
    assert.equal(can('view', 'list', '', 'pods'), true);
    assert.equal(can('view', 'get', '', 'secrets'), false);
    assert.equal(can('edit', 'create', 'apps', 'deployments'), true);
    assert.equal(can('edit', 'list', '', 'pods'), true);
    assert.equal(can('edit', 'get', '', 'secrets'), true);
    assert.equal(can('edit', 'create', 'rbac.authorization.k8s.io', 'roles'), false);
    assert.equal(can('admin', 'create', 'rbac.authorization.k8s.io', 'rolebindings'), true);
    assert.equal(can('admin', 'delete', 'batch', 'jobs'), true);
    assert.equal(can('admin', 'list', '', 'namespaces'), true);
    assert.equal(can('admin', 'delete', '', 'namespaces'), false);
  });
});
