import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRule } from '../../../api/rbac/v1/policy.ts';
import { breakdownRule, compactRules, compactString, confirmNoEscalation, covers, ruleCovers } from './escalation.ts';
import { DefaultRuleResolver, staticRBACLister } from './resolver.ts';

// Cases after upstream pkg/registry/rbac/validation/policy_comparator_test.go semantics.
describe('ruleCovers / covers', () => {
  const cases: Array<{ name: string; owner: PolicyRule[]; servant: PolicyRule[]; covered: boolean }> = [
    { name: 'exact', owner: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], servant: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], covered: true },
    { name: 'star verb', owner: [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }], servant: [{ verbs: ['delete', 'get'], apiGroups: [''], resources: ['pods'] }], covered: true },
    { name: 'split across owner rules', owner: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['list'], apiGroups: [''], resources: ['pods'] }], servant: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }], covered: true },
    { name: 'missing verb', owner: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], servant: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }], covered: false },
    { name: '*/subresource covers pods/scale', owner: [{ verbs: ['get'], apiGroups: ['apps'], resources: ['*/scale'] }], servant: [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments/scale'] }], covered: true },
    { name: 'resource does not cover its subresource', owner: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], servant: [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }], covered: false },
    { name: 'named owner does not cover unnamed', owner: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }], servant: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], covered: false },
    { name: 'unnamed owner covers named', owner: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], servant: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a', 'b'] }], covered: true },
    { name: 'url star suffix', owner: [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }], servant: [{ verbs: ['get'], nonResourceURLs: ['/apis/apps'] }], covered: true },
    { name: 'url missing', owner: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], servant: [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }], covered: false },
    { name: 'full authority covers everything', owner: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], servant: [{ verbs: ['escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'] }, { verbs: ['post'], nonResourceURLs: ['/x'] }], covered: true },
  ];
  for (const c of cases) test(c.name, () => assert.equal(covers(c.owner, c.servant).covered, c.covered));
  test('ruleCovers needs every sub verb/group', () => {
    assert.equal(ruleCovers({ verbs: ['get'], apiGroups: ['apps'], resources: ['*'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }), false);
  });
});

test('breakdownRule and the compact missing-rules message', async () => {
  assert.equal(breakdownRule({ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods'], resourceNames: ['a'] }).length, 4);
  const missing = covers([], [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] }, { verbs: ['get'], nonResourceURLs: ['/metrics'] }]).missing;
  assert.deepEqual(compactRules(missing).map(compactString), ['{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}', '{NonResourceURLs:["/metrics"], Verbs:["get"]}']);
  const resolver = new DefaultRuleResolver(staticRBACLister({}));
  const msg = await confirmNoEscalation(resolver, { name: 'alice', groups: ['dev', 'system:authenticated'] }, 'ns', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]);
  assert.equal(msg, 'user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}');
});
