/**
 * Real kubectl (/usr/bin/kubectl, 1.32) against the HTTPS apiserver (SQLite in memory): wrongly typed JSON fields are
 * rejected at decode time, before validation, as upstream's typed decoding does (k8s.io/apiserver handlers
 * create.go/update.go transformDecodeError over sigs.k8s.io/json → encoding/json UnmarshalTypeError; patch.go for
 * patches). Expected texts: `ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number
 * into Go struct field ConfigMap.data of type string` (as users report it from real clusters, e.g.
 * deepfence/ThreatMapper#2331); the other messages follow encoding/json's UnmarshalTypeError.Error() (innermost
 * struct name + full field path) and runtime/converter.go for strategic merge patches.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, fetch as ufetch } from 'undici';
import { startKubectlServer, webDeploymentManifest, type KubectlRun, type KubectlServer } from '../support/kubectl.ts';

const CM_DATA_NUMBER = 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string';

describe('kubectl: wrongly typed fields are 400 at decode time', () => {
  let srv: KubectlServer;
  let dispatcher: Agent;
  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => srv.kubectl(args, input);
  const file = (name: string, text: string): string => srv.file(name, text);

  before(async () => {
    srv = await startKubectlServer({ dirPrefix: 'skiff-decode-types-' });
    dispatcher = new Agent({ connect: { ca: srv.caPem } });
  });

  after(async () => {
    await dispatcher?.close();
    await srv?.stop();
  });

  test('create --raw with a number in ConfigMap data is 400 with the decoder message, nothing stored', async () => {
    const body = file('raw.json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw"},"data":{"x":1}}');
    const r = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', body]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(`ConfigMap in version "v1" cannot be handled as a ConfigMap: ${CM_DATA_NUMBER}`), r.stderr);
    const g = await kubectl(['get', 'configmap', 'raw']);
    assert.notEqual(g.code, 0);
    assert.match(g.stderr, /NotFound|not found/);
  });

  test('apply of a ConfigMap with a number in data fails in every validation mode', async () => {
    const cm = file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: num\ndata:\n  port: 8080\n');
    for (const validate of ['strict', 'warn', 'ignore']) {
      const r = await kubectl(['apply', `--validate=${validate}`, '-f', cm]);
      assert.notEqual(r.code, 0, validate);
      assert.ok(r.stderr.includes(`Error from server (BadRequest): error when creating "${cm}": ConfigMap in version "v1" cannot be handled as a ConfigMap: ${CM_DATA_NUMBER}`), r.stderr);
    }
  });

  test('containerPort: "eighty" is a decode error, not a range validation error', async () => {
    const bad = webDeploymentManifest(80).replace('containerPort: 80', 'containerPort: "eighty"');
    const r = await kubectl(['apply', '-f', file('port.yaml', bad)]);
    assert.notEqual(r.code, 0);
    assert.ok(
      r.stderr.includes('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32'),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /between 1 and 65535/);
  });

  test('a bool label value is a decode error (same wording as kubectl\'s own Go decoder)', async () => {
    const want = 'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string';
    // kubectl apply converts metadata to a typed ObjectMeta itself, so Go's encoding/json rejects it client-side:
    // the same text Skiff produces server-side.
    const bad = webDeploymentManifest(80).replace('  labels: {app: web}\nspec:', '  labels: {app: web, canary: y}\nspec:');
    const a = await kubectl(['apply', '-f', file('label.yaml', bad)]);
    assert.notEqual(a.code, 0);
    assert.ok(a.stderr.includes(want), a.stderr);
    // A client that does not decode (create --raw) reaches the server: 400 with the decoder message.
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'boollabel', labels: { app: 'web', canary: true } }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } };
    const r = await kubectl(['create', '--raw', '/apis/apps/v1/namespaces/default/deployments', '-f', file('label.json', JSON.stringify(dep))]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(`Deployment in version "v1" cannot be handled as a Deployment: ${want}`), r.stderr);
  });

  test('int-or-string targetPort accepts a name and a number', async () => {
    const svc = (name: string, targetPort: string): string =>
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: ${targetPort}\n`;
    for (const [name, tp, want] of [['named', '"http"', 'http'], ['numbered', '8080', '8080']]) {
      const r = await kubectl(['apply', '-f', file(`${name}.yaml`, svc(name, tp))]);
      assert.equal(r.code, 0, r.stderr);
      const g = await kubectl(['get', 'service', name, '-o', 'jsonpath={.spec.ports[0].targetPort}']);
      assert.equal(g.code, 0, g.stderr);
      assert.equal(g.stdout, want);
    }
  });

  test('patches that produce a wrongly typed object are 422 on the patch', async () => {
    const c = await kubectl(['create', 'configmap', 'patched', '--from-literal=a=b']);
    assert.equal(c.code, 0, c.stderr);
    const merge = await kubectl(['patch', 'configmap', 'patched', '--type', 'merge', '-p', '{"data":{"x":1}}']);
    assert.notEqual(merge.code, 0);
    assert.match(merge.stderr, /is invalid: patch: Invalid value: ".*": json: cannot unmarshal number into Go struct field ConfigMap\.data of type string/);
    // Strategic merge patch (kubectl's default): the patch map printed with %+v, the unstructured converter's error.
    const smp = await kubectl(['patch', 'configmap', 'patched', '-p', '{"data":{"x":1}}']);
    assert.notEqual(smp.code, 0);
    assert.ok(smp.stderr.includes('is invalid: patch: Invalid value: "map[data:map[x:1]]": cannot convert int64 to string'), smp.stderr);
    const g = await kubectl(['get', 'configmap', 'patched', '-o', 'jsonpath={.data}']);
    assert.deepEqual(JSON.parse(g.stdout), { a: 'b' });
  });

  test('YAML bodies are read as sigs.k8s.io/yaml does (`y` is a bool) and decoded with the same messages', async () => {
    const post = async (path: string, yaml: string) => {
      const r = await ufetch(srv.url + path, { method: 'POST', headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/yaml' }, body: yaml, dispatcher });
      return { status: r.status, json: (await r.json()) as { reason?: string; message?: string } };
    };
    const label = await post('/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yamlbool\n  labels:\n    app: y\n');
    assert.equal(label.status, 400);
    assert.equal(label.json.reason, 'BadRequest');
    assert.equal(label.json.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string');
    const data = await post('/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yamlnum\ndata:\n  port: 8080\n');
    assert.equal(data.status, 400);
    assert.equal(data.json.message, `ConfigMap in version "v1" cannot be handled as a ConfigMap: ${CM_DATA_NUMBER}`);
    const ok = await post('/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yamlok\n  labels:\n    app: "y"\ndata:\n  port: "8080"\n  since: 2001-12-14\n');
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
  });

  test('the scale subresource decodes its Scale body the same way', async () => {
    const d = await kubectl(['apply', '-f', file('scale-dep.yaml', webDeploymentManifest(80))]);
    assert.equal(d.code, 0, d.stderr);
    const put = await kubectl(['replace', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale', '-f', file('scale.json', '{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":"3"}}')]);
    assert.notEqual(put.code, 0);
    assert.ok(put.stderr.includes('Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32'), put.stderr);
    const patch = await kubectl(['patch', 'deployment', 'web', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":1.5}}']);
    assert.notEqual(patch.code, 0);
    assert.match(patch.stderr, /is invalid: patch: Invalid value: ".*": json: cannot unmarshal number 1\.5 into Go struct field ScaleSpec\.spec\.replicas of type int32/);
    const ok = await kubectl(['scale', 'deployment', 'web', '--replicas=3']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('--validate=ignore (fieldValidation=Ignore) drops unknown fields, as typed decoding does', async () => {
    const r = await kubectl(['apply', '--validate=ignore', '-f', file('ignore.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ignored\n  labelz: {a: b}\ndata:\n  a: b\nbogus: 1\n')]);
    assert.equal(r.code, 0, r.stderr);
    const g = await kubectl(['get', 'configmap', 'ignored', '-o', 'json']);
    assert.equal(g.code, 0, g.stderr);
    const cm = JSON.parse(g.stdout);
    assert.deepEqual(cm.data, { a: 'b' });
    assert.equal(cm.bogus, undefined);
    assert.equal(cm.metadata.labelz, undefined);
  });

  test('Secret data must be base64 ([]byte), as upstream decodes it', async () => {
    const bad = file('secret.json', '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"notb64"},"data":{"k":"not base64!"}}');
    const r = await kubectl(['create', '--raw', '/api/v1/namespaces/default/secrets', '-f', bad]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3'), r.stderr);
    const ok = await kubectl(['apply', '-f', file('secret-ok.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: b64\ndata:\n  k: aGVsbG8=\nstringData:\n  s: plain text\n')]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
