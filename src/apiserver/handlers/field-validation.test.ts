import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldValidationErrors, findDuplicateFields, rememberRawJSON, strictUnknownFields } from './field-validation.ts';

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

/** Upstream's test/integration/apiserver/field_validation_test.go invalidBodyJSON (name substituted). */
const INVALID_BODY_JSON = `
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "dupename",
    "name": "test-deployment",
    "labels": {"app": "nginx"},
    "unknownMeta": "metaVal"
  },
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {
        "containers": [{
          "name":  "nginx",
          "image": "nginx:latest",
          "unknownNested": "val1",
          "imagePullPolicy": "Always",
          "imagePullPolicy": "Never"
        }]
      }
    }
  }
}`;

/** Upstream's mergePatchBody from the same test. */
const MERGE_PATCH_BODY = `
{
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "template": {
      "spec": {
        "containers": [{
          "name": "nginx",
          "image": "nginx:latest",
          "unknownNested": "val1",
          "imagePullPolicy": "Always",
          "imagePullPolicy": "Never"
        }]
      }
    }
  }
}`;

function decoded(text: string): unknown {
  const v = JSON.parse(text);
  rememberRawJSON(v, text);
  return v;
}

describe('fieldValidationErrors', () => {
  test('create body: upstream post-strict-validation messages, in upstream order', () => {
    assert.deepEqual(fieldValidationErrors(DEPLOYMENT, decoded(INVALID_BODY_JSON)), [
      'duplicate field "metadata.name"',
      'unknown field "metadata.unknownMeta"',
      'unknown field "spec.unknown1"',
      'unknown field "spec.unknownDupe"',
      'duplicate field "spec.paused"',
      'unknown field "spec.template.spec.containers[0].unknownNested"',
      'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
    ]);
  });

  test('merge patch: upstream merge-patch-strict-validation messages (duplicates first, unknown sorted)', () => {
    assert.deepEqual(fieldValidationErrors(DEPLOYMENT, decoded(MERGE_PATCH_BODY), { patch: true }), [
      'duplicate field "spec.unknownDupe"',
      'duplicate field "spec.paused"',
      'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
      'unknown field "spec.template.spec.containers[0].unknownNested"',
      'unknown field "spec.unknown1"',
      'unknown field "spec.unknownDupe"',
    ]);
  });

  test('a valid Deployment has no errors; a decoded object without raw text reports no duplicates', () => {
    const d = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' }, annotations: { a: 'b' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{
              name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              resources: { limits: { cpu: '100m', memory: 1024 } }, readinessProbe: { httpGet: { path: '/', port: 'http' } },
            }],
            volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }], nodeSelector: { a: 'b' },
          },
        },
      },
      status: { replicas: 1, conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
    };
    assert.deepEqual(fieldValidationErrors(DEPLOYMENT, d), []);
  });

  test('unknown fields at any depth, with list indexes and map keys in the path', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', lables: {} },
      spec: {
        containers: [{ name: 'a', image: 'x' }, { name: 'b', imagee: 'y', livenessProbe: { exec: { commandd: [] } } }],
        volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'c', itemz: [] } }] } }],
      },
    };
    assert.deepEqual(strictUnknownFields({ group: '', version: 'v1', kind: 'Pod' }, pod), [
      'metadata.lables',
      'spec.containers[1].imagee',
      'spec.containers[1].livenessProbe.exec.commandd',
      'spec.volumes[0].projected.sources[0].configMap.itemz',
    ]);
  });

  test('prune removes exactly the unknown fields', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', lables: { a: 'b' } }, spec: { replica: 1, replicas: 2, template: { spec: { containers: [{ name: 'a', imagee: 'x' }] } } } };
    assert.equal(fieldValidationErrors(DEPLOYMENT, d, { prune: true }).length, 3);
    assert.deepEqual(d, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'a' }] } } } });
  });

  test('strategic-merge directives are not unknown fields in patches', () => {
    const p = { spec: { template: { spec: { $setElementOrder: 1, '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', $patch: 'delete' }] } } } };
    assert.deepEqual(fieldValidationErrors(DEPLOYMENT, p, { patch: true }), []);
  });

  test('RawExtension, FieldsV1 and IntOrString accept any value; wrongly typed values are not descended', () => {
    const cr = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r', managedFields: [{ fieldsV1: { 'f:spec': {} } }] }, revision: 1, data: { anything: { goes: 1 } } };
    assert.deepEqual(fieldValidationErrors({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }, cr), []);
    assert.deepEqual(fieldValidationErrors(DEPLOYMENT, { spec: 'nope', metadata: ['x'] }), []);
  });

  test('kinds without a schema: only duplicates', () => {
    assert.deepEqual(fieldValidationErrors({ group: 'example.com', version: 'v1', kind: 'Widget' }, decoded('{"a":1,"a":2,"b":{"c":1}}')), ['duplicate field "a"']);
  });
});

describe('findDuplicateFields', () => {
  test('paths of nested objects and arrays; escaped keys; strings containing braces', () => {
    const text = '{"a":{"b":[{"x":"}{[","x":2},{"y":1}]},"k\\"q":1,"k\\"q":2,"a":3}';
    assert.deepEqual(findDuplicateFields(text), [
      { path: 'a.b[0]', key: 'x' },
      { path: '', key: 'k"q' },
      { path: '', key: 'a' },
    ]);
  });
});
