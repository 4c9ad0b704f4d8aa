/**
 * e2e: Deployment progress deadline on the real node (runc containers, skiff.local/web:1 imported),
 * through the real kubectl:
 * - a Deployment whose readiness probe can never pass (httpGet on a port nothing listens on), with
 *   progressDeadlineSeconds 10 → Progressing=False/ProgressDeadlineExceeded with upstream's message
 *   `ReplicaSet "<rs>" has timed out progressing.`, and `kubectl rollout status` exits non-zero
 *   with `error: deployment "<name>" exceeded its progress deadline`; a rollout to a template whose
 *   probe passes then recovers to Progressing=True/NewReplicaSetAvailable;
 * - a healthy 3-replica Deployment (maxUnavailable 1, maxSurge 1) rolled to a never-ready template
 *   stays blocked with availableReplicas never below replicas − maxUnavailable, the old
 *   ReplicaSet keeping its available pods;
 * - (Job tracking finalizers on the real kubelet) `kubectl delete job` of a Job whose pods run and
 *   carry `batch.kubernetes.io/job-tracking` still removes the pods.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

/** A Deployment on skiff.local/web:1 whose readiness probe targets `probePort` (8080 is served, 9999 is not). */
function deployYaml(name: string, replicas: number, probePort: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  progressDeadlineSeconds: 10
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1, maxSurge: 1}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: skiff.local/web:1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: ${probePort}}
          periodSeconds: 1
          failureThreshold: 1
`;
}

describe('e2e: Deployment progress deadline', { timeout: 240_000 }, () => {
  const run = useCluster({ webImages: true });
  let id: RunIdentity;
  let c: TestCluster;
  before(() => {
    ({ id, c } = run);
  });

  const getDeploy = async (name: string) => JSON.parse(await c.kubectl(['get', 'deploy', name, '-o', 'json']));
  const progressing = (d: any) => (d.status?.conditions ?? []).find((x: any) => x.type === 'Progressing');
  const newRSName = async (name: string, podPort: number) => {
    const rss = JSON.parse(await c.kubectl(['get', 'rs', '-l', `app=${name}`, '-o', 'json'])).items as any[];
    const rs = rss.find((r) => r.spec.template.spec.containers[0].readinessProbe.httpGet.port === podPort);
    assert.ok(rs, `a ReplicaSet with probe port ${podPort}`);
    return rs.metadata.name as string;
  };

  test('never-ready pods → ProgressDeadlineExceeded, rollout status fails; a good template recovers', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployYaml('stuck', 1, 9999) });
    const r = await c.kubectlRaw(['rollout', 'status', 'deploy/stuck', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.notEqual(r.code, 0, `rollout status should fail:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^error: deployment "stuck" exceeded its progress deadline$/m);
    const d = await getDeploy('stuck');
    const cond = progressing(d);
    const rsName = await newRSName('stuck', 9999);
    assert.deepEqual(
      { status: cond.status, reason: cond.reason, message: cond.message },
      { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` },
    );
    // The pod runs but is never Ready.
    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=stuck', '-o', 'json'])).items as any[];
    assert.ok(pods.some((p) => p.status.phase === 'Running' && p.status.conditions.some((x: any) => x.type === 'Ready' && x.status === 'False')));

    await c.kubectl(['apply', '-f', '-'], { input: deployYaml('stuck', 1, 8080) });
    const ok = await c.kubectl(['rollout', 'status', 'deploy/stuck', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.match(ok, /deployment "stuck" successfully rolled out/);
    const good = await waitFor('Progressing=True NewReplicaSetAvailable', async () => {
      const x = progressing(await getDeploy('stuck'));
      return x?.status === 'True' && x.reason === 'NewReplicaSetAvailable' ? x : undefined;
    }, 60_000);
    assert.equal(good.message, `ReplicaSet "${await newRSName('stuck', 8080)}" has successfully progressed.`);
    await c.kubectl(['delete', 'deploy', 'stuck']);
  });

  test('a rollout blocked mid-way keeps replicas − maxUnavailable available from the old ReplicaSet', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: deployYaml('web', 3, 8080) });
    await c.kubectl(['rollout', 'status', 'deploy/web', '--timeout=90s'], { timeoutMs: 100_000 });
    const oldRS = await newRSName('web', 8080);
    await c.kubectl(['apply', '-f', '-'], { input: deployYaml('web', 3, 9999) });
    // Sample while blocked, until the deadline is reported.
    let minAvailable = Infinity;
    let minOldAvailable = Infinity;
    let samples = 0;
    await waitFor(
      'ProgressDeadlineExceeded while blocked',
      async () => {
        const d = await getDeploy('web');
        minAvailable = Math.min(minAvailable, d.status?.availableReplicas ?? 0);
        const old = JSON.parse(await c.kubectl(['get', 'rs', oldRS, '-o', 'json']));
        minOldAvailable = Math.min(minOldAvailable, old.status?.availableReplicas ?? 0);
        samples++;
        const cond = progressing(d);
        return cond?.reason === 'ProgressDeadlineExceeded' ? cond : undefined;
      },
      90_000,
      250,
    );
    assert.ok(samples >= 5, `sampled ${samples} times`);
    assert.ok(minAvailable >= 2, `availableReplicas dropped to ${minAvailable} (replicas 3, maxUnavailable 1)`);
    assert.ok(minOldAvailable >= 2, `old ReplicaSet availableReplicas dropped to ${minOldAvailable}`);
    const d = await getDeploy('web');
    assert.ok(d.status.availableReplicas >= 2);
    assert.equal(d.status.replicas, 4, 'maxSurge 1: 3 old (one going) + new ones up to 4 pods in total');
    const r = await c.kubectlRaw(['rollout', 'status', 'deploy/web', '--timeout=30s'], { timeoutMs: 40_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error: deployment "web" exceeded its progress deadline/);
    await c.kubectl(['delete', 'deploy', 'web']);
  });

  test('kubectl delete job removes running pods that hold the job-tracking finalizer', async () => {
    await c.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata:
  name: sleeper
spec:
  completions: 2
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: skiff.local/web:1
        command: ["sh", "-c", "sleep 600"]
`,
    });
    const pods = await waitFor('2 running Job pods', async () => {
      const ps = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'job-name=sleeper', '-o', 'json'])).items as any[];
      return ps.length === 2 && ps.every((p) => p.status.phase === 'Running') ? ps : undefined;
    }, 60_000);
    for (const p of pods) assert.deepEqual(p.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.match(await c.kubectl(['delete', 'job', 'sleeper']), /job\.batch "sleeper" deleted/);
    await waitFor('Job pods gone', async () => {
      const ps = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'job-name=sleeper', '-o', 'json'])).items as any[];
      return ps.length === 0;
    }, 60_000);
  });
});
