import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../client/interface.ts';
import { fieldErrorString } from '../../../machinery/errors.ts';
import { validateRole } from './role/validation.ts';
import { validateClusterRole } from './clusterrole/validation.ts';
import { validateRoleBinding, validateRoleBindingUpdate } from './rolebinding/validation.ts';
import { validateClusterRoleBinding } from './clusterrolebinding/validation.ts';
import { roleBindingStrategy } from './rolebinding/strategy.ts';
import { roleBindingTable } from './rolebinding/printer.ts';
import { roleTable } from './role/printer.ts';

const msgs = (errs: ReturnType<typeof validateRole>) => errs.map(fieldErrorString);
const obj = (o: Record<string, unknown>) => o as unknown as KubeObject;

// Expected messages after upstream pkg/apis/rbac/validation/validation.go.
describe('Role / ClusterRole validation', () => {
  test('verbs required; resource rules need apiGroups and resources', () => {
    assert.deepEqual(msgs(validateRole(obj({ metadata: { name: 'r', namespace: 'ns' }, rules: [{}] }))), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
  });
  test('namespaced rules cannot use nonResourceURLs; mixing is invalid', () => {
    assert.deepEqual(msgs(validateRole(obj({ metadata: { name: 'r', namespace: 'ns' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] }))), [
      'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs',
      'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
    assert.deepEqual(msgs(validateClusterRole(obj({ metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }))), []);
  });
  test('names are path segment names; aggregationRule needs selectors', () => {
    assert.deepEqual(msgs(validateClusterRole(obj({ metadata: { name: 'a/b' }, aggregationRule: {} }))), [
      `metadata.name: Invalid value: "a/b": may not contain '/'`,
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
    assert.deepEqual(msgs(validateClusterRole(obj({ metadata: { name: 'system:aggregate-to-view' }, rules: [] }))), []);
  });
});

describe('RoleBinding / ClusterRoleBinding validation and defaults', () => {
  const rb = (o: Record<string, unknown>) => obj({ metadata: { name: 'b', namespace: 'ns' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [], ...o });
  test('roleRef and subject kinds', () => {
    assert.deepEqual(msgs(validateRoleBinding(rb({ roleRef: { apiGroup: 'x', kind: 'Foo' }, subjects: [{ kind: 'Robot', name: 'r2' }, { kind: 'User', name: '' }, { kind: 'ServiceAccount', name: 'Bad_Name', apiGroup: 'rbac.authorization.k8s.io' }] }))), [
      'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Foo": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[1].name: Required value',
      'subjects[1].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
      `subjects[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      'subjects[2].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""',
    ]);
  });
  test('ClusterRoleBinding: only ClusterRole, service accounts need a namespace', () => {
    assert.deepEqual(msgs(validateClusterRoleBinding(obj({ metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }))), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });
  test('roleRef is immutable', () => {
    const old = rb({ metadata: { name: 'b', namespace: 'ns', resourceVersion: '1' } });
    const cur = rb({ metadata: { name: 'b', namespace: 'ns', resourceVersion: '1' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } });
    assert.deepEqual(msgs(validateRoleBindingUpdate(cur, old)), ['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}: cannot change roleRef']);
  });
  test('defaults: roleRef.apiGroup, subject apiGroup by kind', () => {
    const o = obj({ roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'Group', name: 'g' }, { kind: 'ServiceAccount', name: 's' }] });
    roleBindingStrategy.defaults(o);
    const r = o as unknown as { roleRef: { apiGroup: string }; subjects: Array<{ apiGroup: string }> };
    assert.equal(r.roleRef.apiGroup, 'rbac.authorization.k8s.io');
    assert.deepEqual(r.subjects.map((s) => s.apiGroup), ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', '']);
  });
});

test('printers: Role NAME/CREATED AT; RoleBinding NAME/ROLE/AGE + wide USERS/GROUPS/SERVICEACCOUNTS', () => {
  assert.deepEqual(roleTable.columns.map((c) => [c.name, c.priority]), [['Name', 0], ['Created At', 0]]);
  assert.deepEqual(roleTable.cells(obj({ metadata: { name: 'r', creationTimestamp: '2026-01-01T00:00:00Z' } }), 0), ['r', '2026-01-01T00:00:00Z']);
  assert.deepEqual(roleBindingTable.columns.map((c) => [c.name, c.priority]), [['Name', 0], ['Role', 0], ['Age', 0], ['Users', 1], ['Groups', 1], ['ServiceAccounts', 1]]);
  const now = Date.parse('2026-01-01T00:05:00Z');
  const b = obj({
    metadata: { name: 'b', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
    roleRef: { kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'dev' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }],
  });
  assert.deepEqual(roleBindingTable.cells(b, now), ['b', 'ClusterRole/view', '5m', 'alice, bob', 'dev', 'ns/sa']);
});
