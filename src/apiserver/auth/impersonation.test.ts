import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../storage/backend.ts';
import { describeEachBackend } from '../../../test/support/each-backend.ts';
import { APIServer } from '../server.ts';
import { KubeletConnections } from '../kubelet-client.ts';
import { TokenAuthenticator } from './token.ts';

// Impersonation (k8s.io/apiserver filters/impersonation.go) and the review endpoints over HTTP,
// with the RBAC authorization mode and its bootstrap policy, on SQLite and on a private etcd.
describeEachBackend('impersonation and reviews', (store) => {
  let backend: Backend;
  let api: APIServer;
  let url: string;
  const adminH = { authorization: 'Bearer t-admin', 'content-type': 'application/json' };
  const bobH = { authorization: 'Bearer t-bob', 'content-type': 'application/json' };
  const post = (path: string, body: unknown, headers: Record<string, string>) => fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const whoami = (headers: Record<string, string>) => post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, headers);

  before(async () => {
    backend = await store.open();
    api = new APIServer({
      backend,
      kubelets: new KubeletConnections(),
      authenticator: new TokenAuthenticator().add('t-admin', { name: 'admin', groups: ['system:masters'] }).add('t-bob', { name: 'bob', groups: [] }),
      authorizationMode: 'RBAC',
    });
    ({ url } = await api.listen({ host: '127.0.0.1', port: 0 }));
    const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'impersonate-alice' }, rules: [{ apiGroups: [''], resources: ['users'], resourceNames: ['alice'], verbs: ['impersonate'] }] };
    assert.equal((await post('/apis/rbac.authorization.k8s.io/v1/clusterroles', crb, adminH)).status, 201);
    const b = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bob-impersonates-alice' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonate-alice' }, subjects: [{ kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' }] };
    assert.equal((await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', b, adminH)).status, 201);
  });
  after(async () => {
    await api.stop();
    await backend.close();
  });

  test('SelfSubjectReview shows the requester', async () => {
    const r = await whoami(bobH);
    assert.equal(r.status, 201);
    assert.deepEqual((await r.json()).status.userInfo, { username: 'bob', groups: ['system:authenticated'] });
  });

  test('system:masters may impersonate a user with groups, uid and extra (keys lower-cased)', async () => {
    const r = await whoami({ ...adminH, 'Impersonate-User': 'alice', 'Impersonate-Group': 'dev', 'Impersonate-Uid': 'u-1', 'Impersonate-Extra-Scopes': 'view' });
    assert.equal(r.status, 201);
    assert.deepEqual((await r.json()).status.userInfo, { username: 'alice', uid: 'u-1', groups: ['dev', 'system:authenticated'], extra: { scopes: ['view'] } });
  });

  test('impersonating a service account adds its groups', async () => {
    const r = await whoami({ ...adminH, 'Impersonate-User': 'system:serviceaccount:dev:builder' });
    assert.deepEqual((await r.json()).status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated']);
  });

  test('groups without a user is a bad request', async () => {
    const r = await whoami({ ...adminH, 'Impersonate-Group': 'dev' });
    assert.equal(r.status, 400);
  });

  test('bob may impersonate alice only (resourceNames), not her groups, not others', async () => {
    const ok = await whoami({ ...bobH, 'Impersonate-User': 'alice' });
    assert.equal((await ok.json()).status.userInfo.username, 'alice');
    const carol = await whoami({ ...bobH, 'Impersonate-User': 'carol' });
    assert.equal(carol.status, 403);
    assert.equal((await carol.json()).message, 'users "carol" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    const grp = await whoami({ ...bobH, 'Impersonate-User': 'alice', 'Impersonate-Group': 'dev' });
    assert.equal(grp.status, 403);
    assert.equal((await grp.json()).message, 'groups "dev" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
    const sa = await whoami({ ...bobH, 'Impersonate-User': 'system:serviceaccount:dev:builder' });
    assert.equal((await sa.json()).message, 'serviceaccounts "builder" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "dev"');
  });

  test('SubjectAccessReview / LocalSubjectAccessReview / SelfSubjectAccessReview', async () => {
    const sar = (spec: unknown) => post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }, adminH);
    const denied = await (await sar({ user: 'alice', resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' } })).json();
    assert.deepEqual(denied.status, { allowed: false });
    const masters = await (await sar({ user: 'x', groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'nodes' } })).json();
    assert.equal(masters.status.allowed, true);
    const bobImp = await (await sar({ user: 'bob', resourceAttributes: { verb: 'impersonate', resource: 'users', name: 'alice' } })).json();
    assert.deepEqual(bobImp.status, { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "bob-impersonates-alice" of ClusterRole "impersonate-alice" to User "bob"' });
    const noUser = await sar({ resourceAttributes: { verb: 'get', resource: 'pods' } });
    assert.equal(noUser.status, 422);
    assert.equal((await noUser.json()).message, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified');
    const lsar = await post('/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } } }, adminH);
    assert.equal(lsar.status, 400);
    assert.equal((await lsar.json()).message, 'spec.resourceAttributes.namespace must match namespace: dev');
    const ssar = (spec: unknown, h = bobH) => post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec }, h);
    assert.equal((await (await ssar({ nonResourceAttributes: { path: '/version', verb: 'get' } })).json()).status.allowed, true);
    assert.equal((await (await ssar({ nonResourceAttributes: { path: '/metrics', verb: 'get' } })).json()).status.allowed, false);
    const bad = await ssar({});
    assert.equal(bad.status, 422);
    assert.equal((await bad.json()).message, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
  });

  test('SelfSubjectRulesReview: system:masters gets *, others their bound rules', async () => {
    const ssrr = (h: Record<string, string>, ns = 'default') => post('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: ns } }, h);
    const admin = (await (await ssrr(adminH)).json()).status;
    assert.deepEqual(admin.resourceRules[0], { verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    assert.deepEqual(admin.nonResourceRules[0], { verbs: ['*'], nonResourceURLs: ['*'] });
    const bob = (await (await ssrr(bobH)).json()).status;
    assert.equal(bob.incomplete, false);
    assert.ok(bob.resourceRules.some((r: { resources: string[]; resourceNames?: string[] }) => r.resources.includes('users') && r.resourceNames?.includes('alice')));
    assert.ok(!bob.resourceRules.some((r: { resources: string[] }) => r.resources.includes('*')));
    const noNs = await ssrr(bobH, '');
    assert.equal(noNs.status, 400);
  });

  test('non-resource requests: bob has discovery, not arbitrary paths', async () => {
    assert.equal((await fetch(`${url}/apis`, { headers: bobH })).status, 200);
    const r = await fetch(`${url}/openapi/v2`, { method: 'POST', headers: bobH, body: '{}' });
    assert.equal(r.status, 403);
    assert.equal((await r.json()).message, 'forbidden: User "bob" cannot post path "/openapi/v2"');
  });
});
