import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFINITIONS_FILE, KUBERNETES_TYPES_DIR, definitionNameForGVK, loadDefinitions, serializeDefinitions } from './definitions.ts';
import { generateDefinitions, INT_OR_STRING } from './generate.ts';

test('the committed definitions.json is what scripts/gen-openapi.ts generates (re-run it after changing the inputs)', () => {
  const generated = serializeDefinitions(generateDefinitions(KUBERNETES_TYPES_DIR));
  assert.ok(generated === readFileSync(DEFINITIONS_FILE, 'utf8'), 'definitions.json is stale: run node --import tsx scripts/gen-openapi.ts');
});

test('definitions carry upstream names, descriptions, required, GVKs and patch extensions', () => {
  const d = loadDefinitions();
  const strategy = d['io.k8s.api.apps.v1.DeploymentStrategy'];
  assert.equal(strategy.description, 'DeploymentStrategy describes how to replace existing pods with new ones.');
  assert.deepEqual(Object.keys(strategy.properties!), ['rollingUpdate', 'type']);
  assert.deepEqual(strategy.properties!.rollingUpdate.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.RollingUpdateDeployment' }]);
  assert.deepEqual(d['io.k8s.api.apps.v1.RollingUpdateDeployment'].properties!.maxSurge.allOf, [{ $ref: `#/components/schemas/${INT_OR_STRING}` }]);
  assert.equal(d[INT_OR_STRING].format, 'int-or-string');
  assert.equal(d['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
  assert.deepEqual(d['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
  assert.deepEqual(d['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.deepEqual(d['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  const containers = d['io.k8s.api.core.v1.PodSpec'].properties!.containers;
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers['x-kubernetes-list-type'], 'map');
  assert.equal(d['io.k8s.api.apps.v1.DeploymentSpec'].properties!.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.equal(d['io.k8s.api.core.v1.PodSpec'].properties!.terminationGracePeriodSeconds.format, 'int64');
  assert.equal(definitionNameForGVK('autoscaling', 'v1', 'Scale'), 'io.k8s.api.autoscaling.v1.Scale');
  assert.equal(definitionNameForGVK('example.com', 'v1', 'Widget'), undefined);
});
