/**
 * e2e (issue 5 item 7): traffic through Services with a real `skiff server`, real kubectl and runc pods,
 * one server for all scenarios:
 * - a client pod reaches a 3-replica Deployment through its Service by DNS name (FQDN and short name,
 *   busybox `nc` inside the pod) and every replica answers across 30 requests;
 * - blue/green: the Service selector is patched from color=blue to color=green while the host sends
 *   requests to the ClusterIP: none fails, and after the switch only v2 answers;
 * - a rolling update (readiness probe, minReadySeconds 1, maxUnavailable 0, preStop sleep as upstream
 *   users do) behind a Service loses no request; both versions answer;
 * - emptyDir data survives a container crash (restartPolicy Always) and its directory disappears with the pod.
 * Prints one JSON line with the measured Service-change-to-traffic latencies (`kubectl expose` → first
 * answer, selector patch → first answer from the new backend). Traffic goes only to the run's service
 * CIDR and pod IPs. After stop nothing of the run is left on the host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { leftovers, newRunIdentity, removeRunDir, startCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';
import { buildWebImages } from '../support/registry.ts';
import { deploymentYaml } from '../support/http.ts';

/** GET over a fresh connection (no keep-alive); resolves with the body, rejects on error or non-200. */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const hostnameOf = (body: string) => /hostname: (\S+)/.exec(body)?.[1];
const versionOf = (body: string) => /hello from skiff web (v\d)/.exec(body)?.[1];

const CLIENT = `apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

/** A Deployment `<color>` in namespace `ns` (labels app=web,color=<color>) running `image`. */
function colorDeployment(ns: string, color: string, image: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${color}
  namespace: ${ns}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web, color: ${color}}
  template:
    metadata:
      labels: {app: web, color: ${color}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: ${image}
        imagePullPolicy: IfNotPresent
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
`;
}

/** A Service `web` in `ns` on port 80 → 8080 with `selector`. */
function serviceYaml(ns: string, selector: Record<string, string>): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector: ${JSON.stringify(selector)}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;
}

const ROLLING = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: rolling
spec:
  replicas: 3
  minReadySeconds: 1
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: skiff.local/web:1
        imagePullPolicy: IfNotPresent
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
        lifecycle:
          preStop:
            exec: {command: ["sleep", "2"]}
`;

const CRASHER = `apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: skiff.local/web:1
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "n=$(cat /data/counter 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/counter; echo run $n; sleep 2; exit 1"]
    volumeMounts: [{name: scratch, mountPath: /data}]
  volumes:
  - name: scratch
    emptyDir: {}
`;

describe('e2e: traffic through Services (DNS, blue/green, rolling update, emptyDir)', { timeout: 300_000 }, () => {
  let id: RunIdentity;
  let c: TestCluster;
  const latency: Record<string, number> = {};
  const requests: Record<string, number> = {};

  before(async () => {
    const { archive } = buildWebImages();
    id = newRunIdentity();
    c = await startCluster(id, { extraArgs: ['--import-images', archive] });
    // Start every workload at once so the pods come up in parallel.
    await c.kubectl(['create', 'namespace', 'bluegreen']);
    await c.kubectl(['create', 'namespace', 'rolling']);
    const web = deploymentYaml('skiff.local/web:1', 3).replace('image: skiff.local/web:1', 'image: skiff.local/web:1\n        imagePullPolicy: IfNotPresent');
    await c.kubectl(['apply', '-f', '-'], {
      input: [web, CLIENT, colorDeployment('bluegreen', 'blue', 'skiff.local/web:1', 2), colorDeployment('bluegreen', 'green', 'skiff.local/web:2', 2), ROLLING, CRASHER].join('\n---\n'),
    });
  });

  after(async () => {
    try {
      if (Object.keys(latency).length) console.log(JSON.stringify({ serviceChangeToTrafficMs: latency, requestsSent: requests }));
      await c?.stop();
    } finally {
      const left = id ? await leftovers(id) : [];
      if (id && execFileSync('ip', ['-o', 'route', 'show', 'exact', id.serviceCIDR]).toString().trim()) left.push(`route ${id.serviceCIDR}`);
      if (id) removeRunDir(id);
      assert.deepEqual(left, [], `host resources left behind:\n${left.join('\n')}`);
    }
  });

  const clusterIPOf = async (ns: string, name: string): Promise<string> => JSON.parse(await c.kubectl(['get', 'service', '-n', ns, name, '-o', 'json'])).spec.clusterIP;

  test('a client pod reaches every replica through the Service DNS name (FQDN and short name)', async () => {
    await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=120s'], { timeoutMs: 130_000 });
    const pods: string[] = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items.map((p: { metadata: { name: string } }) => p.metadata.name).sort();
    assert.equal(pods.length, 3);

    const t0 = performance.now();
    assert.match(await c.kubectl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080']), /service\/web exposed/);
    const clusterIP = await clusterIPOf('default', 'web');
    await waitFor('the exposed Service answers on its ClusterIP', () => get(`http://${clusterIP}/`).then(hostnameOf, () => undefined), 60_000, 20);
    latency.exposeToFirstResponse = Math.round(performance.now() - t0);

    await c.kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s'], { timeoutMs: 130_000 });
    const seen = new Map<string, number>();
    for (const name of ['web.default.svc.cluster.local', 'web']) {
      const script = `for i in $(seq 1 15); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${name} 80; echo; echo END; done`;
      const r = await c.kubectlRaw(['exec', 'client', '--', 'sh', '-c', script], { timeoutMs: 60_000 });
      const answers = r.stdout.split('END').map((s) => s.trim()).filter(Boolean);
      assert.equal(answers.length, 15, `15 answers for ${name}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      for (const a of answers) {
        assert.match(a, /^HTTP\/1\.[01] 200/, `status line for ${name}: ${a}`);
        const h = hostnameOf(a);
        assert.ok(h, `answer names its pod: ${a}`);
        seen.set(h, (seen.get(h) ?? 0) + 1);
      }
    }
    assert.deepEqual([...seen.keys()].sort(), pods, `answers across 30 requests: ${JSON.stringify([...seen])}`);
  });

  test('blue/green: switching the Service selector moves traffic, no request fails', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: serviceYaml('bluegreen', { app: 'web', color: 'blue' }) });
    await c.kubectl(['rollout', 'status', '-n', 'bluegreen', 'deploy/blue', '--timeout=120s'], { timeoutMs: 130_000 });
    await c.kubectl(['rollout', 'status', '-n', 'bluegreen', 'deploy/green', '--timeout=120s'], { timeoutMs: 130_000 });
    const ip = await clusterIPOf('bluegreen', 'web');
    await waitFor('blue answers', () => get(`http://${ip}/`).then((b) => versionOf(b) === 'v1', () => false), 60_000, 50);

    let ok = 0;
    const failures: string[] = [];
    const versions: (string | undefined)[] = [];
    let patchedAt = 0;
    let firstGreen = 0;
    let stop = false;
    const loop = (async () => {
      const deadline = Date.now() + 30_000;
      while (!stop && Date.now() < deadline) {
        try {
          const b = await get(`http://${ip}/`);
          ok++;
          const v = versionOf(b);
          versions.push(v);
          if (v === 'v2' && patchedAt && !firstGreen) firstGreen = performance.now();
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const beforePatch = versions.length;
    patchedAt = performance.now();
    await c.kubectl(['patch', 'service', '-n', 'bluegreen', 'web', '-p', '{"spec":{"selector":{"app":"web","color":"green"}}}']);
    await waitFor('green answers', () => firstGreen > 0, 20_000, 20);
    const switchedAt = versions.length;
    // Keep going after the switch: only green may answer from here on.
    await waitFor('30 more answers', () => versions.length >= switchedAt + 30 || failures.length > 0, 20_000, 20);
    stop = true;
    await loop;
    latency.selectorPatchToNewBackend = Math.round(firstGreen - patchedAt);
    requests.blueGreen = ok + failures.length;

    assert.deepEqual(failures, [], `failed requests (of ${ok + failures.length})`);
    assert.ok(beforePatch > 0 && versions.slice(0, beforePatch).every((v) => v === 'v1'), `before the patch only blue answers: ${versions.slice(0, beforePatch)}`);
    // The first green answer is at index switchedAt-1 or earlier; everything after it is green.
    const firstV2 = versions.indexOf('v2');
    assert.ok(firstV2 >= beforePatch, 'green answers only after the patch');
    assert.deepEqual(versions.slice(firstV2).filter((v) => v !== 'v2'), [], `after the switch only v2 answers: ${versions.slice(firstV2)}`);
    assert.ok(versions.length - firstV2 >= 30);
  });

  test('a rolling update behind a Service with readiness probes loses no request', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: serviceYaml('rolling', { app: 'web' }) });
    await c.kubectl(['rollout', 'status', '-n', 'rolling', 'deploy/web', '--timeout=120s'], { timeoutMs: 130_000 });
    const ip = await clusterIPOf('rolling', 'web');
    await waitFor('the Service answers', () => get(`http://${ip}/`).then(hostnameOf, () => undefined), 60_000, 50);

    let ok = 0;
    const failures: string[] = [];
    const versions = new Map<string, number>();
    let stop = false;
    const loop = (async () => {
      const deadline = Date.now() + 60_000;
      while (!stop && Date.now() < deadline) {
        try {
          const v = versionOf(await get(`http://${ip}/`)) ?? '?';
          ok++;
          versions.set(v, (versions.get(v) ?? 0) + 1);
        } catch (e) {
          failures.push(`${new Date().toISOString()} ${(e as Error).message}`);
        }
      }
    })();
    try {
      await c.kubectl(['set', 'image', '-n', 'rolling', 'deploy/web', 'web=skiff.local/web:2']);
      await c.kubectl(['rollout', 'status', '-n', 'rolling', 'deploy/web', '--timeout=60s'], { timeoutMs: 70_000 });
    } finally {
      stop = true;
      await loop;
    }
    requests.rollingUpdate = ok + failures.length;
    assert.deepEqual(failures, [], `failed requests (of ${ok + failures.length})`);
    assert.ok((versions.get('v1') ?? 0) > 0 && (versions.get('v2') ?? 0) > 0, `both versions answered: ${JSON.stringify([...versions])}`);
    // After the rollout only v2 answers.
    for (let i = 0; i < 10; i++) assert.equal(versionOf(await get(`http://${ip}/`)), 'v2');
  });

  test('emptyDir data survives a container crash and disappears with the pod', async () => {
    const pod = await waitFor('crasher restarted', async () => {
      const p = JSON.parse(await c.kubectl(['get', 'pod', 'crasher', '-o', 'json']));
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p;
    }, 90_000, 500);
    const uid: string = pod.metadata.uid;
    const dir = path.join(id.dataDir, 'agent', 'kubelet', 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch');
    // The second run read the first run's counter from the emptyDir and wrote 2.
    const counter = await waitFor('counter ≥ 2', () => {
      const n = Number(readFileSync(path.join(dir, 'counter'), 'utf8').trim());
      return n >= 2 && n;
    }, 60_000, 200);
    assert.ok(counter >= 2);
    const logs = await waitFor('logs of a restarted run', async () => {
      const r = await c.kubectlRaw(['logs', 'crasher', '--previous']);
      return r.code === 0 && /^run \d+$/m.test(r.stdout) && r.stdout;
    }, 30_000, 500);
    assert.match(logs, /^run \d+$/m);

    await c.kubectl(['delete', 'pod', 'crasher', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    await waitFor('emptyDir directory removed', () => !existsSync(dir), 30_000, 200);
    assert.equal(existsSync(dir), false);
  });
});
