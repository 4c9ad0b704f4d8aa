/**
 * Real kubectl (/usr/bin/kubectl, the 1.32 dispatcher) against the real HTTPS apiserver with the
 * real resource table, stored in SQLite (temp dir) or etcd. A fake kubelet serves pods/log and
 * pods/exec for node "node-1" and finishes graceful pod deletions (grace 0 delete), as a kubelet would.
 * Runs once on SQLite and once on a private etcd (describeEachBackend).
 */
import { runKubectl, webDeploymentManifest, type KubectlRun } from '../support/kubectl.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Backend } from '../../src/storage/backend.ts';
import { APIServer } from '../../src/apiserver/server.ts';
import { KubeletConnections, type KubeletConnection, type PodExecOptions, type PodLogOptions, type ExecStreams } from '../../src/apiserver/kubelet-client.ts';
import { TokenAuthenticator } from '../../src/apiserver/auth/token.ts';
import { ensurePKI, ensureAdminToken, writeKubeconfig } from '../../src/apiserver/pki.ts';
import { GVR, type Client, type KubeObject } from '../../src/client/interface.ts';
import { describeEachBackend } from '../support/each-backend.ts';
import { EtcdBackend } from '../../src/storage/etcd/etcd-backend.ts';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels: {app: p}
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 30
  containers:
  - name: main
    image: busybox
`;

describeEachBackend('kubectl against the HTTPS apiserver', (store) => {
  let dir: string;
  let backend: Backend;
  let api: APIServer;
  let kubeconfig: string;
  let badKubeconfig: string;
  let client: Client;
  const kubeletAbort = new AbortController();

  const fakeKubelet: KubeletConnection = {
    async getContainerLogs(_ns: string, pod: string, _uid: string, o: PodLogOptions, out: Writable): Promise<void> {
      let lines = [`hello from ${pod}/${o.container}`, 'line 2', 'line 3'];
      if (o.tailLines !== undefined) lines = lines.slice(-o.tailLines);
      await new Promise<void>((resolve) => out.write(lines.join('\n') + '\n', () => resolve()));
      if (o.follow) {
        // A followed container writes more later, then exits.
        await new Promise((r) => setTimeout(r, 300));
        await new Promise<void>((resolve) => out.write('later line\n', () => resolve()));
      }
    },
    async exec(_ns: string, _pod: string, _uid: string, o: PodExecOptions, s: ExecStreams): Promise<number> {
      const [cmd, ...args] = o.command;
      if (cmd === 'echo') {
        s.stdout?.write(`${args.join(' ')}\n`);
        return 0;
      }
      if (cmd === 'cat' && s.stdin) {
        for await (const chunk of s.stdin as AsyncIterable<Buffer>) s.stdout?.write(chunk);
        return 0;
      }
      if (cmd === 'sh') {
        s.stderr?.write('failing\n');
        return 3;
      }
      return 127;
    },
    async portForward() {
      throw new Error('not supported by the fake kubelet');
    },
  };

  type Run = KubectlRun;

  function kubectl(args: string[], opts: { input?: string; config?: string } = {}): Promise<Run> {
    return runKubectl(opts.config ?? kubeconfig, dir, args, opts.input);
  }

  function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  const DEPLOYMENT = webDeploymentManifest(80);


  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
    const pki = ensurePKI(dir);
    const token = ensureAdminToken(dir);
    backend = await store.open({ sqlitePath: join(dir, 'state.db') });
    const kubelets = new KubeletConnections();
    kubelets.register('node-1', fakeKubelet);
    api = new APIServer({ backend, kubelets, authenticator: new TokenAuthenticator().add(token, { name: 'admin', groups: ['system:masters'] }) });
    const { url } = await api.listen({ host: '127.0.0.1', port: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
    kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfig, { server: url, caPem: pki.caPem, token });
    badKubeconfig = join(dir, 'bad-kubeconfig');
    writeKubeconfig(badKubeconfig, { server: url, caPem: pki.caPem, token: 'wrong' });
    client = api.inProcessClient();
    await client.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await client.create(GVR.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0+skiff' } },
    });
    // The fake kubelet's termination: a pod on node-1 being deleted gracefully is removed at once (grace 0).
    void client
      .watch(GVR.pods, undefined, { fieldSelector: 'spec.nodeName=node-1' }, (ev) => {
        const m = ev.object.metadata;
        if (ev.type === 'MODIFIED' && m?.deletionTimestamp && m.deletionGracePeriodSeconds) {
          client.delete(GVR.pods, m.namespace, m.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: m.uid } }).catch(() => undefined);
        }
      }, kubeletAbort.signal)
      .catch(() => undefined);
  });

  after(async () => {
    kubeletAbort.abort();
    await api?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('version reports the server', async () => {
    const r = await kubectl(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server Version: v1\.32\.0\+skiff\n/);
    assert.doesNotMatch(r.stderr, /WARNING: version difference/);
  });

  test('get nodes prints the node printer columns', async () => {
    const r = await kubectl(['get', 'nodes']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trim().split('\n');
    assert.deepEqual(header.split(/\s+/), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.match(row, /^node-1\s+Ready\s+control-plane\s+\S+\s+v1\.32\.0\+skiff$/);
  });

  test('create -f, AlreadyExists, get -o json, get pods columns', async () => {
    const f = file('deploy.yaml', DEPLOYMENT);
    const c = await kubectl(['create', '-f', f]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), 'deployment.apps/web created');
    const again = await kubectl(['create', '-f', f]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), `Error from server (AlreadyExists): error when creating "${f}": deployments.apps "web" already exists`);
    const j = await kubectl(['get', 'deploy', 'web', '-o', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const obj = JSON.parse(j.stdout);
    assert.equal(obj.kind, 'Deployment');
    assert.equal(obj.spec.replicas, 2);
    assert.equal(obj.metadata.generation, 1);
    const p = await kubectl(['apply', '-f', file('pod.yaml', POD)]);
    assert.equal(p.code, 0, p.stderr);
    const g = await kubectl(['get', 'pods', '-o', 'wide']);
    assert.equal(g.code, 0, g.stderr);
    const header = g.stdout.split('\n')[0].split(/\s{2,}/);
    assert.deepEqual(header.slice(0, 8), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE']);
    assert.match(g.stdout, /\np1\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+node-1\s/);
    const all = await kubectl(['get', 'deploy,po', '-A']);
    assert.match(all.stdout, /NAMESPACE\s+NAME/);
    assert.match(all.stdout, /default\s+deployment\.apps\/web/);
    assert.match(all.stdout, /default\s+pod\/p1/);
  });

  test('typed generators (protobuf bodies): create namespace/configmap/secret/deployment', async () => {
    const ns = await kubectl(['create', 'namespace', 'dev']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(ns.stdout.trim(), 'namespace/dev created');
    const cm = await kubectl(['create', 'configmap', 'gen', '-n', 'dev', '--from-literal=a=b']);
    assert.equal(cm.stdout.trim(), 'configmap/gen created', cm.stderr);
    const sec = await kubectl(['create', 'secret', 'generic', 'sec', '-n', 'dev', '--from-literal=k=v']);
    assert.equal(sec.stdout.trim(), 'secret/sec created', sec.stderr);
    const dep = await kubectl(['create', 'deployment', 'gen', '-n', 'dev', '--image=nginx', '--replicas=2']);
    assert.equal(dep.stdout.trim(), 'deployment.apps/gen created', dep.stderr);
    const got = await client.get<KubeObject & { data?: Record<string, string> }>(GVR.secrets, 'dev', 'sec');
    assert.equal(got.data?.k, Buffer.from('v').toString('base64'));
    const d = await client.get<KubeObject & { spec: { replicas: number } }>(GVR.deployments, 'dev', 'gen');
    assert.equal(d.spec.replicas, 2);
  });

  test('apply: created, unchanged, configured', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: "${v}"\n`;
    const f = file('cm.yaml', cm('1'));
    const a = await kubectl(['apply', '-f', f]);
    assert.equal(a.stdout.trim(), 'configmap/settings created', a.stderr);
    const b = await kubectl(['apply', '-f', f]);
    assert.equal(b.stdout.trim(), 'configmap/settings unchanged', b.stderr);
    file('cm.yaml', cm('2'));
    const c = await kubectl(['apply', '-f', f]);
    assert.equal(c.stdout.trim(), 'configmap/settings configured', c.stderr);
    const got = await client.get<KubeObject & { data?: Record<string, string> }>(GVR.configmaps, 'default', 'settings');
    assert.equal(got.data?.level, '2');
    const ss = await kubectl(['apply', '--server-side', '-f', file('ss.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: v\n')]);
    assert.equal(ss.stdout.trim(), 'configmap/ssa serverside-applied', ss.stderr);
  });

  test('label, scale, patch (json, merge, strategic)', async () => {
    const l = await kubectl(['label', 'pod', 'p1', 'tier=backend']);
    assert.equal(l.stdout.trim(), 'pod/p1 labeled', l.stderr);
    const s = await kubectl(['scale', 'deploy/web', '--replicas=5']);
    assert.equal(s.stdout.trim(), 'deployment.apps/web scaled', s.stderr);
    let d = await client.get<KubeObject & { spec: { replicas: number; template: any } }>(GVR.deployments, 'default', 'web');
    assert.equal(d.spec.replicas, 5);
    const jp = await kubectl(['patch', 'deploy', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]']);
    assert.equal(jp.stdout.trim(), 'deployment.apps/web patched', jp.stderr);
    const mp = await kubectl(['patch', 'deploy', 'web', '--type=merge', '-p', '{"metadata":{"annotations":{"note":"x"}}}']);
    assert.equal(mp.code, 0, mp.stderr);
    const sp = await kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}']);
    assert.equal(sp.code, 0, sp.stderr);
    d = await client.get(GVR.deployments, 'default', 'web');
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.metadata?.annotations?.note, 'x');
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:2');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
  });

  test('replace with a stale resourceVersion is a Conflict; delete namespace --wait=false marks it Terminating', async () => {
    const cur = await client.get(GVR.configmaps, 'default', 'settings');
    await client.patch(GVR.configmaps, 'default', 'settings', 'application/merge-patch+json', { data: { level: '3' } });
    const f = file('stale.yaml', JSON.stringify({ ...cur, data: { level: '4' } }));
    const r = await kubectl(['replace', '-f', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(Conflict\): error when replacing ".*stale\.yaml": Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again/);
    assert.equal((await kubectl(['create', 'namespace', 'gone'])).code, 0);
    const d = await kubectl(['delete', 'namespace', 'gone', '--wait=false']);
    assert.equal(d.stdout.trim(), 'namespace "gone" deleted', d.stderr);
    const ns = await kubectl(['get', 'namespace', 'gone', '--no-headers']);
    assert.match(ns.stdout, /^gone\s+Terminating\s/);
  });

  test('get --chunk-size pages through the list', async () => {
    for (const n of ['c1', 'c2', 'c3']) await client.create(GVR.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } });
    const r = await kubectl(['get', 'cm', '--chunk-size=1', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    for (const n of ['c1', 'c2', 'c3', 'settings', 'ssa']) assert.ok(r.stdout.includes(`configmap/${n}\n`), r.stdout);
  });

  test('get -w prints changes as they happen', async () => {
    const child = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'cm', '-w'], { env: { ...process.env, HOME: dir } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('settings') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await client.create(GVR.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' } });
      while (!out.includes('watched') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /^NAME\s+DATA\s+AGE\n/);
      assert.match(out, /\nwatched\s+0\s+\S+\n/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('describe pod shows the object and its events', async () => {
    await client.create(GVR.events, 'default', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'p1.1' },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: 'default', uid: (await client.get(GVR.pods, 'default', 'p1')).metadata?.uid },
      reason: 'Scheduled',
      message: 'Successfully assigned default/p1 to node-1',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      count: 1,
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    const r = await kubectl(['describe', 'pod', 'p1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name:\s+p1$/m);
    assert.match(r.stdout, /^Node:\s+node-1/m);
    assert.match(r.stdout, /Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/p1 to node-1/);
  });

  test('logs and exec reach the kubelet', async () => {
    const l = await kubectl(['logs', 'p1', '--tail=2']);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.stdout, 'line 2\nline 3\n');
    const lf = await kubectl(['logs', '-f', 'p1']);
    assert.equal(lf.code, 0, lf.stderr);
    assert.equal(lf.stdout, 'hello from p1/main\nline 2\nline 3\nlater line\n');
    const e = await kubectl(['exec', 'p1', '--', 'echo', 'hi', 'there']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.stdout, 'hi there\n');
    const i = await kubectl(['exec', '-i', 'p1', '--', 'cat'], { input: 'piped input\n' });
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, 'piped input\n');
    const f = await kubectl(['exec', 'p1', '--', 'sh', '-c', 'exit 3']);
    assert.equal(f.code, 3);
    assert.match(f.stderr, /command terminated with exit code 3/);
  });

  test('errors: NotFound wording, invalid name with causes, unauthenticated', async () => {
    const nf = await kubectl(['get', 'pod', 'nope']);
    assert.equal(nf.code, 1);
    assert.equal(nf.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
    const bad = await kubectl(['create', '-f', file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const unauth = await kubectl(['get', 'pods'], { config: badKubeconfig });
    assert.equal(unauth.code, 1);
    assert.match(unauth.stderr, /You must be logged in to the server \(Unauthorized\)/);
  });

  test('error wording as upstream: AlreadyExists from a generator, unsupported field selector, strict unknown field, malformed JSON, 405', async () => {
    assert.equal((await kubectl(['create', 'cm', 'dup', '--from-literal=a=b'])).code, 0);
    const dup = await kubectl(['create', 'cm', 'dup', '--from-literal=a=b']);
    assert.equal(dup.stderr.trim(), 'error: failed to create configmap: configmaps "dup" already exists');
    const fs = await kubectl(['get', 'pods', '--field-selector', 'spec.foo=x']);
    assert.equal(fs.stderr.trim(), 'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=x": field label not supported: spec.foo');
    const unk = file('unknown-field.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\nfoo: bar\n');
    const u = await kubectl(['create', '-f', unk]);
    assert.equal(u.stderr.trim(), `Error from server (BadRequest): error when creating "${unk}": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "foo"`);
    const raw = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', file('hello.txt', 'hello')]);
    assert.equal(raw.stderr.trim(), "Error from server (BadRequest): couldn't get version/kind; json parse error: invalid character 'h' looking for beginning of value");
    const post = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps/dup', '-f', file('cm.json', '{}')]);
    assert.equal(post.stderr.trim(), 'Error from server (MethodNotAllowed): the server does not allow this method on the requested resource');
    await client.delete(GVR.configmaps, 'default', 'dup');
  });

  test('a list at an exact resourceVersion reads that snapshot; once compacted it is 410 Expired', async () => {
    const before = await client.get(GVR.configmaps, 'default', 'settings');
    const oldRV = before.metadata!.resourceVersion!;
    await client.patch(GVR.configmaps, 'default', 'settings', 'application/merge-patch+json', { data: { level: '5' } });
    const exact = `/api/v1/namespaces/default/configmaps?resourceVersion=${oldRV}&resourceVersionMatch=Exact`;
    const ok = await kubectl(['get', '--raw', exact]);
    assert.equal(ok.code, 0, ok.stderr);
    const list = JSON.parse(ok.stdout);
    assert.equal(list.metadata.resourceVersion, oldRV);
    assert.equal(list.items.find((i: KubeObject & { data: Record<string, string> }) => i.metadata?.name === 'settings').data.level, '3');
    await backend.compact(await backend.currentRevision());
    const gone = await kubectl(['get', '--raw', exact]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error from server \(Expired\): The resourceVersion for the provided list is too old\./);
  });

  if (store.kind === 'etcd') {
    test('resourceVersion is the etcd mod_revision of /registry/configmaps/default/settings', async () => {
      const obj = await client.get<KubeObject & { data: Record<string, string> }>(GVR.configmaps, 'default', 'settings');
      const raw = await EtcdBackend.connect({ endpoints: [store.etcdEndpoint()!] });
      try {
        const kv = await raw.get('/registry/configmaps/default/settings');
        assert.ok(kv);
        assert.equal(String(kv.modRevision), obj.metadata?.resourceVersion);
        assert.equal(JSON.parse(kv.value).data.level, obj.data.level);
      } finally {
        await raw.close();
      }
    });
  }

  test('delete waits for graceful pod deletion; delete -f removes the deployment', async () => {
    const d = await kubectl(['delete', 'pod', 'p1']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'pod "p1" deleted');
    await assert.rejects(client.get(GVR.pods, 'default', 'p1'), (e: { code?: number }) => e.code === 404);
    const df = await kubectl(['delete', '-f', join(dir, 'deploy.yaml')]);
    assert.equal(df.code, 0, df.stderr);
    assert.equal(df.stdout.trim(), 'deployment.apps "web" deleted');
    const nf = await kubectl(['delete', 'cm', 'nope']);
    assert.equal(nf.stderr.trim(), 'Error from server (NotFound): configmaps "nope" not found');
  });
});
