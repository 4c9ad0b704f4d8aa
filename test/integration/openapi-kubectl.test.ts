/**
 * Real kubectl (/usr/bin/kubectl, 1.32) against the HTTPS apiserver (SQLite in memory): `kubectl explain` reads
 * the OpenAPI v3 schemas generated from kubernetes-types, and `kubectl apply` gets server-side strict field
 * validation (fieldValidation=Strict by default, Warn with --validate=warn) from the same schemas.
 * Expected texts are upstream's (field descriptions from k8s.io/api, messages from strict decoding).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startKubectlServer, webDeploymentManifest, type KubectlRun, type KubectlServer } from '../support/kubectl.ts';

describe('kubectl explain and strict field validation from generated OpenAPI', () => {
  let srv: KubectlServer;
  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => srv.kubectl(args, input);
  const file = (name: string, text: string): string => srv.file(name, text);

  before(async () => {
    srv = await startKubectlServer({ dirPrefix: 'skiff-openapi-' });
  });

  after(async () => {
    await srv?.stop();
  });

  test('explain deployment.spec.strategy prints the upstream description and fields', async () => {
    const r = await kubectl(['explain', 'deployment.spec.strategy']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.replace(/\s+/g, ' ');
    assert.match(out, /GROUP: apps KIND: Deployment VERSION: v1/);
    assert.match(out, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(out, /The deployment strategy to use to replace existing pods with new ones\./);
    assert.match(out, /FIELDS: rollingUpdate <RollingUpdateDeployment> Rolling update config params\. Present only if DeploymentStrategyType = RollingUpdate\./);
    assert.match(out, /type <string> Type of deployment\. Can be "Recreate" or "RollingUpdate"\. Default is RollingUpdate\./);
  });

  test('explain deployment.spec.strategy.rollingUpdate shows IntOrString fields', async () => {
    const r = await kubectl(['explain', 'deployment.spec.strategy.rollingUpdate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /maxSurge\s+<IntOrString>/);
    assert.match(r.stdout, /maxUnavailable\s+<IntOrString>/);
  });

  test('explain pods.spec.containers --recursive lists nested fields with required markers', async () => {
    const r = await kubectl(['explain', 'pods.spec.containers', '--recursive']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIELD: containers <\[\]Container>/);
    assert.match(r.stdout, /^\s+name\s+<string> -required-$/m);
    assert.match(r.stdout, /^\s+image\s+<string>$/m);
    assert.match(r.stdout, /^\s+livenessProbe\s+<Probe>$/m);
    assert.match(r.stdout, /^\s+httpGet\s+<HTTPGetAction>$/m);
    assert.match(r.stdout, /^\s+port\s+<IntOrString> -required-$/m);
    assert.match(r.stdout, /^\s+resources\s+<ResourceRequirements>$/m);
    assert.match(r.stdout, /^\s+limits\s+<map\[string\]Quantity>$/m);
  });

  test('explain --output plaintext-openapiv2 reads the protobuf /openapi/v2', async () => {
    const r = await kubectl(['explain', '--output', 'plaintext-openapiv2', 'deployment.spec.strategy']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.replace(/\s+/g, ' ');
    assert.match(out, /KIND: Deployment VERSION: apps\/v1 RESOURCE: strategy <Object>/);
    assert.match(out, /rollingUpdate <Object> Rolling update config params\./);
  });

  test('apply with a typo deep in the pod template fails with the strict decoding error', async () => {
    const bad = webDeploymentManifest(80).replace('        image: nginx:1\n', '        imagee: nginx:1\n');
    const r = await kubectl(['apply', '-f', file('typo.yaml', bad)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(BadRequest\): error when creating ".*typo\.yaml": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/);
  });

  test('several unknown fields are reported together, comma-joined', async () => {
    const bad = webDeploymentManifest(80)
      .replace('  replicas: 2\n', '  replica: 2\n')
      .replace('        - containerPort: 80\n', '        - containerPort: 80\n          hostPortt: 8080\n');
    const r = await kubectl(['create', '-f', file('typos.yaml', bad)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec\.replica", unknown field "spec\.template\.spec\.containers\[0\]\.ports\[0\]\.hostPortt"/);
  });

  test('apply --validate=warn prints the warning and creates the object', async () => {
    const bad = webDeploymentManifest(80).replace('        image: nginx:1\n', '        image: nginx:1\n        imagee: nginx:1\n');
    const r = await kubectl(['apply', '--validate=warn', '-f', file('warn.yaml', bad)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/);
    assert.match(r.stdout, /deployment\.apps\/web created/);
    const g = await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0]}']);
    assert.equal(g.code, 0, g.stderr);
    const c = JSON.parse(g.stdout);
    assert.equal(c.image, 'nginx:1');
    assert.equal(c.imagee, undefined, 'the unknown field is dropped, as upstream decoding does');
  });

  test('apply of an existing object with a typo fails on the patch', async () => {
    const bad = webDeploymentManifest(80).replace('  replicas: 2\n', '  replicas: 3\n  paused: false\n  pausd: true\n');
    const r = await kubectl(['apply', '-f', file('patch-typo.yaml', bad)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec\.pausd"/);
  });
});
