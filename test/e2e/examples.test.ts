/**
 * e2e: the manifests in examples/ run as a newcomer would run them — the image imported from the
 * offline-built tarball (`--import-images`), `kubectl apply -f examples/…`, real containers.
 * - pod.yaml: one container answering HTTP on its pod IP; `kubectl logs` shows its output.
 * - sidecar-pod.yaml: two containers share localhost and an emptyDir: the sidecar reaches the web
 *   container on 127.0.0.1 and reads its log from the shared volume.
 * - web-deployment.yaml: 3 replicas roll out and answer.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { httpGet } from '../support/http.ts';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

describe('e2e: examples/ with the imported offline image', { timeout: 600_000 }, () => {
  const run = useCluster({ webImages: true });
  let id: RunIdentity;
  let c: TestCluster;
  before(() => {
    ({ id, c } = run);
  });

  test('pod.yaml: Running, answers on its IP, then deleted gracefully', async () => {
    assert.match(await c.kubectl(['apply', '-f', path.join(examples, 'pod.yaml')]), /pod\/hello created/);
    await c.kubectl(['wait', '--for=condition=Ready', 'pod/hello', '--timeout=120s'], { timeoutMs: 130_000 });
    const pod = JSON.parse(await c.kubectl(['get', 'pod', 'hello', '-o', 'json']));
    assert.equal(pod.status.phase, 'Running');
    const r = await httpGet(pod.status.podIP, 8080);
    assert.equal(r.status, 200);
    assert.match(r.body, /hello from skiff web v1/);
    assert.match(await c.kubectl(['delete', 'pod', 'hello']), /pod "hello" deleted/);
    const get = await c.kubectlRaw(['get', 'pod', 'hello']);
    assert.equal(get.code, 1);
    assert.match(get.stderr, /Error from server \(NotFound\): pods "hello" not found/);
  });

  test('sidecar-pod.yaml: shared localhost and emptyDir', async () => {
    await c.kubectl(['apply', '-f', path.join(examples, 'sidecar-pod.yaml')]);
    await c.kubectl(['wait', '--for=condition=Ready', 'pod/web-with-sidecar', '--timeout=120s'], { timeoutMs: 130_000 });
    const logs = await waitFor('sidecar reached web on localhost and read the shared log', async () => {
      const out = await c.kubectl(['logs', 'web-with-sidecar', '-c', 'sidecar']);
      return /web answered on localhost/.test(out) && /access log has [1-9]\d* lines/.test(out) ? out : undefined;
    }, 60_000);
    assert.match(logs, /sidecar: web answered on localhost/);
    const noContainer = await c.kubectlRaw(['logs', 'web-with-sidecar', '-c', 'nope']);
    assert.notEqual(noContainer.code, 0);
    await c.kubectl(['delete', 'pod', 'web-with-sidecar', '--grace-period=1']);
  });

  test('pvc-pod.yaml: the claim binds on local-path and its data outlives the pod', async () => {
    const manifest = path.join(examples, 'pvc-pod.yaml');
    await c.kubectl(['apply', '-f', manifest]);
    await c.kubectl(['wait', '--for=condition=Ready', 'pod/data-writer', '--timeout=120s'], { timeoutMs: 130_000 });
    const pvc = JSON.parse(await c.kubectl(['get', 'pvc', 'data', '-o', 'json']));
    assert.equal(pvc.status.phase, 'Bound');
    assert.equal(pvc.spec.storageClassName, 'local-path');
    assert.equal((await c.kubectl(['exec', 'data-writer', '--', 'cat', '/data/log.txt'])).trim().split('\n').length, 1);
    await c.kubectl(['delete', 'pod', 'data-writer']);
    await c.kubectl(['apply', '-f', manifest]);
    await c.kubectl(['wait', '--for=condition=Ready', 'pod/data-writer', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.equal((await c.kubectl(['exec', 'data-writer', '--', 'cat', '/data/log.txt'])).trim().split('\n').length, 2, 'the first run\'s line is still there');
    await c.kubectl(['delete', '-f', manifest]);
    await waitFor('PV removed with the claim (reclaimPolicy Delete)', async () => JSON.parse(await c.kubectl(['get', 'pv', '-o', 'json'])).items.length === 0, 60_000);
  });

  test('web-deployment.yaml: 3 replicas roll out and answer', async () => {
    await c.kubectl(['apply', '-f', path.join(examples, 'web-deployment.yaml')]);
    const out = await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=240s'], { timeoutMs: 250_000 });
    assert.match(out, /successfully rolled out/);
    const list = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']));
    assert.equal(list.items.length, 3);
    for (const p of list.items) assert.equal((await httpGet(p.status.podIP, 8080)).status, 200);
    const table = await c.kubectl(['get', 'deploy', 'web']);
    assert.match(table, /^web\s+3\/3\s+3\s+3\s+/m);

    // web-service.yaml: the ClusterIP balances over all three replicas.
    await c.kubectl(['apply', '-f', path.join(examples, 'web-service.yaml')]);
    const svc = JSON.parse(await c.kubectl(['get', 'svc', 'web', '-o', 'json']));
    assert.ok(svc.spec.clusterIP, 'ClusterIP allocated');
    const names = new Set(list.items.map((p: any) => p.metadata.name));
    const seen = await waitFor('every replica answers on the ClusterIP', async () => {
      const hosts = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const r = await httpGet(svc.spec.clusterIP, 80);
        const m = /hostname: (\S+)/.exec(r.body);
        if (r.status === 200 && m) hosts.add(m[1]!);
      }
      return hosts.size === 3 ? hosts : undefined;
    }, 60_000);
    assert.deepEqual([...seen].sort(), [...names].sort());
    // services/proxy: the apiserver reaches a ready endpoint of the Service port.
    const proxied = await c.kubectl(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/']);
    assert.match(proxied, /hostname: web-/);
    await c.kubectl(['delete', '-f', path.join(examples, 'web-service.yaml')]);
    await c.kubectl(['delete', '-f', path.join(examples, 'web-deployment.yaml')]);
    await waitFor('pods gone', async () => JSON.parse(await c.kubectl(['get', 'pods', '-o', 'json'])).items.length === 0, 120_000);
  });
});
