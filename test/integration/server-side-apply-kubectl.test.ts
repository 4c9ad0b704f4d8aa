/**
 * Real kubectl (/usr/bin/kubectl) doing server-side apply against the real HTTPS apiserver
 * (SQLite, then a private etcd: describeEachBackend): create (201), unchanged re-apply, a conflict
 * after `kubectl scale`, --force-conflicts, `get --show-managed-fields`, shared ownership with a
 * second manager, and removal of a field that is no longer applied. Expected wording from upstream's fieldmanager (internal/conflict.go) and
 * kubectl's apply printer ("serverside-applied").
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubectlServer, type KubectlRun, type KubectlServer } from '../support/kubectl.ts';
import { describeEachBackend } from '../support/each-backend.ts';
import { GVR, type Client, type KubeObject } from '../../src/client/interface.ts';
import { StatusError } from '../../src/machinery/errors.ts';

describeEachBackend('kubectl apply --server-side', (store) => {
  let srv: KubectlServer;
  let dir: string;
  let client: Client;

  function kubectl(args: string[]): Promise<KubectlRun> {
    return srv.kubectl(args);
  }

  function manifest(name: string, opts: { replicas: number; labels: Record<string, string> }): string {
    const p = join(dir, name);
    const labels = Object.entries(opts.labels)
      .map(([k, v]) => `    ${k}: ${v}\n`)
      .join('');
    writeFileSync(
      p,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
${labels}spec:
  replicas: ${opts.replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1
`,
    );
    return p;
  }

  type Entry = { manager: string; operation: string; apiVersion: string; subresource?: string; fieldsType: string; fieldsV1: Record<string, Record<string, unknown>>; time?: string };
  async function managedFields(): Promise<Entry[]> {
    const d = await client.get<KubeObject>(GVR.deployments, 'default', 'web');
    return (d.metadata?.managedFields ?? []) as unknown as Entry[];
  }

  before(async () => {
    srv = await startKubectlServer({ dirPrefix: 'skiff-ssa-', openBackend: (d) => store.open({ sqlitePath: join(d, 'state.db') }) });
    dir = srv.dir;
    client = srv.api.inProcessClient();
  });

  after(async () => {
    await srv?.stop();
  });

  test('kubectl apply --server-side: create, re-apply, conflict after scale, force, managed fields, shared owner, removal', async () => {
    const first = manifest('web-1.yaml', { replicas: 2, labels: { app: 'web', tier: 'frontend' } });

    // create: 201 and "serverside-applied"
    let r = await kubectl(['apply', '--server-side', '-f', first, '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/web serverside-applied');
    assert.match(r.stderr, /PATCH https:\/\/\S+\/apis\/apps\/v1\/namespaces\/default\/deployments\/web\?fieldManager=kubectl&fieldValidation=Strict&force=false 201 Created/);
    let mf = await managedFields();
    assert.equal(mf.length, 1);
    assert.equal(mf[0].manager, 'kubectl');
    assert.equal(mf[0].operation, 'Apply');
    assert.equal(mf[0].apiVersion, 'apps/v1');
    assert.equal(mf[0].fieldsType, 'FieldsV1');
    assert.deepEqual(mf[0].fieldsV1['f:metadata'], { 'f:labels': { 'f:app': {}, 'f:tier': {} } });

    // unchanged re-apply: 200, same output, managedFields unchanged
    r = await kubectl(['apply', '--server-side', '-f', first, '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/web serverside-applied');
    assert.match(r.stderr, /PATCH \S+deployments\/web\?fieldManager=kubectl\S* 200 OK/);
    assert.deepEqual(await managedFields(), mf);

    // kubectl scale takes .spec.replicas (an Update entry with subresource scale) ...
    r = await kubectl(['scale', 'deployment/web', '--replicas=5']);
    assert.equal(r.code, 0, r.stderr);
    mf = await managedFields();
    const scaler = mf.find((e) => e.subresource === 'scale');
    assert.ok(scaler, JSON.stringify(mf));
    // kubectl scale sends no fieldManager: the manager is its User-Agent prefix.
    assert.equal(scaler.manager, 'kubectl');
    assert.equal(scaler.operation, 'Update');
    assert.equal(scaler.apiVersion, 'apps/v1');
    assert.deepEqual(scaler.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal((mf.find((e) => e.operation === 'Apply')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], undefined);

    // ... so applying replicas: 2 again conflicts: kubectl prints the server's message and exits 1.
    r = await kubectl(['apply', '--server-side', '-f', first]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas'),
      r.stderr,
    );
    let d = await client.get<KubeObject>(GVR.deployments, 'default', 'web');
    assert.equal((d.spec as { replicas: number }).replicas, 5);

    // --force-conflicts takes the field back; the scale entry, now empty, disappears.
    r = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', first]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/web serverside-applied');
    d = await client.get<KubeObject>(GVR.deployments, 'default', 'web');
    assert.equal((d.spec as { replicas: number }).replicas, 2);
    mf = await managedFields();
    assert.deepEqual(
      mf.map((e) => [e.manager, e.operation]),
      [['kubectl', 'Apply']],
    );

    // get -o yaml --show-managed-fields shows the entries.
    r = await kubectl(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /managedFields:\n\s+- apiVersion: apps\/v1\n\s+fieldsType: FieldsV1\n\s+fieldsV1:\n/);
    assert.match(r.stdout, /manager: kubectl\n\s+operation: Apply\n\s+time: "?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"?\n/);
    assert.match(r.stdout, /f:replicas: \{\}/);
    r = await kubectl(['get', 'deployment', 'web', '-o', 'yaml']);
    assert.doesNotMatch(r.stdout, /managedFields/);

    // A second manager applying the same value is not a conflict: both own .spec.replicas.
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n');
    r = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', other]);
    assert.equal(r.code, 0, r.stderr);
    mf = await managedFields();
    const owners = mf.filter((e) => (e.fieldsV1['f:spec'] as Record<string, unknown> | undefined)?.['f:replicas'] !== undefined).map((e) => e.manager);
    assert.deepEqual(owners.sort(), ['kubectl', 'other']);

    // Removing a field from the applied file removes it from the object (nobody else owns it) ...
    const second = manifest('web-2.yaml', { replicas: 2, labels: { app: 'web' } });
    r = await kubectl(['apply', '--server-side', '-f', second]);
    assert.equal(r.code, 0, r.stderr);
    d = await client.get<KubeObject>(GVR.deployments, 'default', 'web');
    assert.deepEqual(d.metadata?.labels, { app: 'web' });
    // ... while a field still owned by the other manager stays.
    const third = join(dir, 'web-3.yaml');
    writeFileSync(third, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1\n');
    r = await kubectl(['apply', '--server-side', '-f', third]);
    assert.equal(r.code, 0, r.stderr);
    d = await client.get<KubeObject>(GVR.deployments, 'default', 'web');
    assert.equal((d.spec as { replicas: number }).replicas, 2);
    mf = await managedFields();
    assert.deepEqual(
      mf.filter((e) => (e.fieldsV1['f:spec'] as Record<string, unknown> | undefined)?.['f:replicas'] !== undefined).map((e) => e.manager),
      ['other'],
    );
  });

  test('client-side apply records kubectl-client-side-apply; kubectl apply --server-side upgrades from it; other managers conflict', async () => {
    const p = join(dir, 'cm.yaml');
    writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n  b: "2"\n');
    let r = await kubectl(['apply', '-f', p]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/cfg created');
    let cm = await client.get<KubeObject>(GVR.configmaps, 'default', 'cfg');
    let mf = (cm.metadata?.managedFields ?? []) as unknown as Entry[];
    assert.deepEqual(
      mf.map((e) => [e.manager, e.operation, e.apiVersion]),
      [['kubectl-client-side-apply', 'Update', 'v1']],
    );
    assert.deepEqual(mf[0].fieldsV1, {
      'f:data': { '.': {}, 'f:a': {}, 'f:b': {} },
      'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
    });
    // kubectl apply --server-side first upgrades the client-side managedFields itself (csaupgrade:
    // a JSON patch of metadata.managedFields moving kubectl-client-side-apply's fields to its own
    // Apply entry, the annotation to "kubectl-last-applied"), then applies; the server keeps the
    // annotation in step with what was applied (lastAppliedUpdater).
    writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n  b: "3"\n');
    r = await kubectl(['apply', '--server-side', '-f', p]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/cfg serverside-applied');
    cm = await client.get<KubeObject>(GVR.configmaps, 'default', 'cfg');
    assert.deepEqual(cm.data, { a: '1', b: '3' });
    assert.equal(cm.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], '{"apiVersion":"v1","data":{"a":"1","b":"3"},"kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"}}\n');
    mf = (cm.metadata?.managedFields ?? []) as unknown as Entry[];
    assert.deepEqual(
      mf.map((e) => [e.manager, e.operation, e.fieldsV1]),
      [
        ['kubectl-last-applied', 'Apply', { 'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } }],
        ['kubectl', 'Apply', { 'f:data': { 'f:a': {}, 'f:b': {} } }],
      ],
    );
    // Another manager changing a field kubectl applied: kubectl prints the 409 and exits 1.
    const other = join(dir, 'cm-other.yaml');
    writeFileSync(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "9"\n');
    r = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', other]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes('Apply failed with 1 conflict: conflict with "kubectl": .data.a'), r.stderr);
    // An associative-list item without its key: upstream's typed-conversion error (500, no reason).
    const nokey = join(dir, 'nokey.yaml');
    writeFileSync(nokey, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: nokey\nspec:\n  containers:\n  - image: busybox\n');
    r = await kubectl(['apply', '--server-side', '-f', nokey]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes('Error from server: failed to create typed patch object (default/nokey; /v1, Kind=Pod): .spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)'),
      r.stderr,
    );
    // A non-apply patch with force is rejected as upstream's ValidatePatchOptions does (422).
    await assert.rejects(
      client.patch(GVR.configmaps, 'default', 'cfg', 'application/merge-patch+json', { data: { c: '4' } }, { force: true }),
      (e: unknown) => e instanceof StatusError && e.code === 422 && e.message === 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    // Client-side apply keeps working on top.
    writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n');
    r = await kubectl(['apply', '-f', p]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/cfg configured');
    cm = await client.get<KubeObject>(GVR.configmaps, 'default', 'cfg');
    assert.deepEqual(cm.data, { a: '1' });
  });

  test('a wrongly typed value in an applied file is refused (upstream 500 "failed to create typed patch object") and nothing is stored', async () => {
    const p = join(dir, 'typed.yaml');
    writeFileSync(p, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typed\nspec:\n  replicas: "3"\n  selector: {matchLabels: {app: t}}\n  template:\n    metadata: {labels: {app: t}}\n    spec:\n      containers: [{name: c, image: x}]\n');
    const r = await kubectl(['apply', '--server-side', '-f', p]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server: failed to create typed patch object (default/typed; apps/v1, Kind=Deployment): json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
    await assert.rejects(client.get(GVR.deployments, 'default', 'typed'), (e: unknown) => e instanceof StatusError && e.code === 404);
  });
});
