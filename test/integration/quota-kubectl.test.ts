/**
 * Real kubectl against the HTTPS apiserver (SQLite, then a private etcd: describeEachBackend) with
 * the resourcequota controller running in-process: a `pods: 2` ResourceQuota refuses the third pod
 * with upstream's message, `kubectl get/describe quota` show used/hard, LimitRange defaults land on
 * a created pod, PodTemplate CRUD, and events read and written through both core/v1 and
 * events.k8s.io/v1 (`kubectl events`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startKubectlServer, type KubectlRun, type KubectlServer } from '../support/kubectl.ts';
import { describeEachBackend } from '../support/each-backend.ts';
import { startControllers } from '../../src/controllers/manager.ts';

describeEachBackend('kubectl with ResourceQuota, LimitRange, PodTemplate and Events', (store) => {
  let srv: KubectlServer;
  const stop = new AbortController();

  function kubectl(args: string[], input?: string): Promise<KubectlRun> {
    return srv.kubectl(args, input);
  }

  async function until(what: string, f: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (await f()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out: ${what}`);
  }

  const podYaml = (name: string, ns: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - {name: web, image: nginx:1}
`;

  before(async () => {
    srv = await startKubectlServer({ dirPrefix: 'skiff-quota-kubectl-', openBackend: (dir) => store.open({ sqlitePath: join(dir, 'state.db') }) });
    await startControllers(srv.api.inProcessClient(), stop.signal, { controllers: ['resourcequota', 'namespace'], syncTimeoutMs: 30_000 });
    for (const ns of ['team', 'limits']) {
      const r = await kubectl(['create', 'namespace', ns]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    stop.abort();
    await srv?.stop();
  });

  test('a pods=2 quota refuses the third pod; get and describe show used/hard', async () => {
    let r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team}
spec:
  hard: {pods: "2", count/configmaps: "10"}
`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resourcequota\/q created/);
    // Admission reads quotas from the watch cache first: wait until the cache has the controller's status.
    await until('controller filled status', async () => (await kubectl(['get', '--raw', '/api/v1/namespaces/team/resourcequotas?resourceVersion=0'])).stdout.includes('"used":{"count/configmaps":"0","pods":"0"}'));
    for (const name of ['p1', 'p2']) {
      r = await kubectl(['apply', '-f', '-'], podYaml(name, 'team'));
      assert.equal(r.code, 0, r.stderr);
    }
    r = await kubectl(['apply', '-f', '-'], podYaml('p3', 'team'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): error when creating "STDIN": pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2/);

    r = await kubectl(['get', 'quota', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    assert.match(lines[1], /^q\s+\S+\s+count\/configmaps: 0\/10, pods: 2\/2\s*$/);

    r = await kubectl(['describe', 'quota', 'q', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name:\s+q$/m);
    assert.match(r.stdout, /^Namespace:\s+team$/m);
    assert.match(r.stdout, /^Resource\s+Used\s+Hard$/m);
    assert.match(r.stdout, /^pods\s+2\s+2$/m);

    // Deleting a pod is replenished by the controller, after which a new pod fits.
    r = await kubectl(['delete', 'pod', 'p1', '-n', 'team', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, r.stderr);
    await until('usage replenished', async () => (await kubectl(['get', '--raw', '/api/v1/namespaces/team/resourcequotas?resourceVersion=0'])).stdout.includes('"pods":"1"'));
    r = await kubectl(['apply', '-f', '-'], podYaml('p3', 'team'));
    assert.equal(r.code, 0, r.stderr);

    // Re-applying a changed quota (strategic merge patch) raises the limit; the controller copies it to status.hard.
    r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team}
spec:
  hard: {pods: "4", count/configmaps: "10"}
`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resourcequota\/q configured/);
    await until('status.hard follows', async () => (await kubectl(['get', 'quota', 'q', '-n', 'team', '-o', 'jsonpath={.status.hard.pods}/{.status.used.pods}'])).stdout === '4/2');
  });

  test('a quota on requests.cpu needs every container to request cpu', async () => {
    let r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: limits}
spec:
  hard: {requests.cpu: "1", limits.cpu: "2"}
`);
    assert.equal(r.code, 0, r.stderr);
    await until('compute status', async () => (await kubectl(['get', '--raw', '/api/v1/namespaces/limits/resourcequotas?resourceVersion=0'])).stdout.includes('"used":{"limits.cpu":"0","requests.cpu":"0"}'));
    r = await kubectl(['apply', '-f', '-'], podYaml('bare', 'limits'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "bare" is forbidden: failed quota: compute: must specify limits\.cpu for: web; requests\.cpu for: web/);
  });

  test('LimitRange defaults appear on a created pod, with the limit-ranger annotation', async () => {
    let r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
    defaultRequest: {cpu: 250m}
    max: {cpu: "1"}
`);
    assert.equal(r.code, 0, r.stderr);
    // LimitRanger reads the watch cache (as upstream's lister reads its informer): wait until it has the LimitRange.
    await until('LimitRange in the watch cache', async () => (await kubectl(['get', '--raw', '/api/v1/namespaces/limits/limitranges?resourceVersion=0'])).stdout.includes('"defaults"'));
    r = await kubectl(['get', 'limitrange', '-n', 'limits']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+CREATED AT\ndefaults\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    // The pod that the compute quota refused now gets its cpu request and limit from the LimitRange.
    r = await kubectl(['apply', '-f', '-'], podYaml('defaulted', 'limits'));
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['get', 'pod', 'defaulted', '-n', 'limits', '-o', 'json']);
    const pod = JSON.parse(r.stdout);
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m' }, requests: { cpu: '250m' } });
    assert.equal(pod.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu request for container web; cpu limit for container web');
    r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: greedy, namespace: limits}
spec:
  containers:
  - name: web
    image: nginx:1
    resources: {limits: {cpu: "2"}}
`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "greedy" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
  });

  test('PodTemplate create, get, update, delete', async () => {
    let r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: PodTemplate
metadata: {name: tmpl, namespace: team}
template:
  metadata:
    labels: {app: web}
  spec:
    containers:
    - {name: web, image: nginx:1}
`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /podtemplate\/tmpl created/);
    r = await kubectl(['get', 'podtemplates', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+CONTAINERS\s+IMAGES\s+POD LABELS\ntmpl\s+web\s+nginx:1\s+app=web\n$/);
    r = await kubectl(['patch', 'podtemplate', 'tmpl', '-n', 'team', '--type=merge', '-p', '{"template":{"metadata":{"labels":{"app":"web2"}}}}']);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['get', 'podtemplate', 'tmpl', '-n', 'team', '-o', 'jsonpath={.template.metadata.labels.app} {.metadata.generation}']);
    assert.equal(r.stdout, 'web2 2');
    r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: PodTemplate
metadata: {name: bad, namespace: team}
template:
  spec:
    containers: []
`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /PodTemplate "bad" is invalid: template\.spec\.containers: Required value/);
    r = await kubectl(['delete', 'podtemplate', 'tmpl', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /podtemplate "tmpl" deleted/);
  });

  test('events through core/v1 and events.k8s.io/v1 are one set; kubectl events lists them', async () => {
    let r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Event
metadata: {name: core-ev, namespace: team}
involvedObject: {kind: Pod, name: p2, namespace: team}
reason: Pulled
message: pulled the image
type: Normal
source: {component: kubelet, host: node-1}
count: 2
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:10Z"
`);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['apply', '-f', '-'], `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: new-ev, namespace: team}
eventTime: "2026-01-01T00:00:20.000000Z"
reportingController: example.com/scaler
reportingInstance: scaler-1
action: Scale
reason: Scaled
regarding: {kind: Deployment, name: web, namespace: team, apiVersion: apps/v1}
note: scaled to 3
type: Normal
`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /event\.events\.k8s\.io\/new-ev created/);

    // The core event read through events.k8s.io/v1.
    r = await kubectl(['get', 'events.v1.events.k8s.io', 'core-ev', '-n', 'team', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v1 = JSON.parse(r.stdout);
    assert.equal(v1.apiVersion, 'events.k8s.io/v1');
    assert.deepEqual(v1.regarding, { kind: 'Pod', name: 'p2', namespace: 'team' });
    assert.equal(v1.note, 'pulled the image');
    assert.equal(v1.deprecatedCount, 2);
    assert.deepEqual(v1.deprecatedSource, { component: 'kubelet', host: 'node-1' });
    // The events.k8s.io event read through core/v1.
    r = await kubectl(['get', 'events', 'new-ev', '-n', 'team', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const core = JSON.parse(r.stdout);
    assert.equal(core.apiVersion, 'v1');
    assert.equal(core.message, 'scaled to 3');
    assert.equal(core.reportingComponent, 'example.com/scaler');
    assert.equal(core.involvedObject.name, 'web');

    r = await kubectl(['get', 'events.v1.events.k8s.io', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    assert.match(r.stdout, /Normal\s+Pulled\s+pod\/p2\s+pulled the image/);
    assert.match(r.stdout, /Normal\s+Scaled\s+deployment\/web\s+scaled to 3/);
    r = await kubectl(['get', 'events.events.k8s.io', '-n', 'team', '--field-selector', 'regarding.kind=Deployment', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'event.events.k8s.io/new-ev\n');

    // Strategic merge patch (kubectl patch's default) and a re-apply work on events.k8s.io/v1 too.
    r = await kubectl(['patch', 'events.v1.events.k8s.io', 'new-ev', '-n', 'team', '-p', '{"metadata":{"labels":{"seen":"yes"}}}']);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['get', 'events', 'new-ev', '-n', 'team', '-o', 'jsonpath={.metadata.labels.seen}']);
    assert.equal(r.stdout, 'yes');

    r = await kubectl(['events', '-n', 'team']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    assert.match(r.stdout, /Normal\s+Pulled\s+Pod\/p2\s+pulled the image/);
    assert.match(r.stdout, /Normal\s+Scaled\s+Deployment\/web\s+scaled to 3/);
    r = await kubectl(['events', '-n', 'team', '--for', 'deployment/web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Scaled/);
    assert.doesNotMatch(r.stdout, /Pulled/);
  });

  test('deleting a namespace removes its quotas, limit ranges, pod templates and events', async () => {
    let r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: PodTemplate
metadata: {name: t2, namespace: limits}
template:
  spec:
    containers:
    - {name: web, image: nginx:1}
`);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['delete', 'namespace', 'limits', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    await until('namespace gone', async () => (await kubectl(['get', 'namespace', 'limits'])).code !== 0);
    for (const res of ['resourcequotas', 'limitranges', 'podtemplates', 'pods']) {
      r = await kubectl(['get', res, '-n', 'limits', '-o', 'name']);
      assert.equal(r.stdout, '', res);
    }
  });
});
