/**
 * e2e: Jobs on real runc containers (skiff.local/web:1, busybox) through the real kubectl: a Job
 * whose container exits 0 completes (`kubectl wait --for=condition=complete`), and one whose
 * container exits 1 with backoffLimit 1 fails after one replacement (`--for=condition=failed`,
 * BackoffLimitExceeded); `kubectl get jobs` prints STATUS / COMPLETIONS / DURATION.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, waitFor, type RunIdentity, type TestCluster } from '../support/cluster.ts';

const jobYaml = (name: string, exitCode: number, backoffLimit: number) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  backoffLimit: ${backoffLimit}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: skiff.local/web:1
        command: ["sh", "-c", "exit ${exitCode}"]
`;

describe('e2e: Jobs with real containers', { timeout: 300_000 }, () => {
  const run = useCluster({ webImages: true });
  let id: RunIdentity;
  let c: TestCluster;
  before(() => {
    ({ id, c } = run);
  });

  test('a succeeding Job and a Job exhausting backoffLimit', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: jobYaml('ok', 0, 6) + '---\n' + jobYaml('bad', 1, 1) });
    const done = await c.kubectl(['wait', '--for=condition=complete', 'job/ok', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.match(done, /job\.batch\/ok condition met/);
    const failed = await c.kubectl(['wait', '--for=condition=failed', 'job/bad', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.match(failed, /job\.batch\/bad condition met/);

    const ok = JSON.parse(await c.kubectl(['get', 'job', 'ok', '-o', 'json']));
    assert.equal(ok.status.succeeded, 1);
    assert.deepEqual(ok.status.conditions.map((x: any) => x.type), ['SuccessCriteriaMet', 'Complete']);
    assert.ok(ok.status.completionTime);
    assert.equal(ok.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], ok.metadata.uid);
    const bad = JSON.parse(await c.kubectl(['get', 'job', 'bad', '-o', 'json']));
    assert.equal(bad.status.failed, 2);
    assert.deepEqual(bad.status.conditions.map((x: any) => [x.type, x.reason]), [
      ['FailureTarget', 'BackoffLimitExceeded'],
      ['Failed', 'BackoffLimitExceeded'],
    ]);

    const table = await c.kubectl(['get', 'jobs']);
    assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s*$/m);
    assert.match(table, /^bad\s+Failed\s+0\/1\s+\S+\s+\S+\s*$/m);
    assert.match(table, /^ok\s+Complete\s+1\/1\s+\d+s\s+\S+\s*$/m);
    const wide = await c.kubectl(['get', 'jobs', '-o', 'wide']);
    assert.match(wide, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\s*$/m);
    assert.match(wide, /^ok\s.*\smain\s+skiff\.local\/web:1\s+batch\.kubernetes\.io\/controller-uid=/m);

    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'job-name=bad', '-o', 'json']));
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) assert.equal(p.status.phase, 'Failed');
    const events = await c.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=bad', '-o', 'json']);
    assert.ok(JSON.parse(events).items.some((e: any) => e.reason === 'BackoffLimitExceeded'));

    const desc = await c.kubectl(['describe', 'job', 'ok']);
    assert.match(desc, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
    assert.match(desc, /Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: ok-/);
    assert.match(desc, /Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);
    assert.match(await c.kubectl(['get', 'all']), /^job\.batch\/ok\s+Complete\s+1\/1\s/m);

    // Invalid restartPolicy is refused with upstream's wording.
    const r = await c.kubectlRaw(['apply', '-f', '-'], { input: jobYaml('always', 0, 1).replace('restartPolicy: Never', 'restartPolicy: Always') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
  });

  test('an Indexed Job: each pod sees its JOB_COMPLETION_INDEX; completedIndexes 0-2', async () => {
    const yaml = `apiVersion: batch/v1
kind: Job
metadata:
  name: idx
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: skiff.local/web:1
        command: ["sh", "-c", "echo index=$JOB_COMPLETION_INDEX; test \\"$JOB_COMPLETION_INDEX\\" -ge 0 && test \\"$JOB_COMPLETION_INDEX\\" -lt 3"]
`;
    await c.kubectl(['apply', '-f', '-'], { input: yaml });
    await c.kubectl(['wait', '--for=condition=complete', 'job/idx', '--timeout=120s'], { timeoutMs: 130_000 });
    const job = JSON.parse(await c.kubectl(['get', 'job', 'idx', '-o', 'json']));
    assert.equal(job.status.completedIndexes, '0-2');
    assert.equal(job.status.succeeded, 3);
    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'job-name=idx', '-o', 'json'])).items;
    const seen = new Set<string>();
    for (const p of pods) {
      const i = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
      assert.ok(p.metadata.name.startsWith(`idx-${i}-`), p.metadata.name);
      const log = await c.kubectl(['logs', p.metadata.name]);
      assert.equal(log.trim(), `index=${i}`);
      seen.add(i);
    }
    assert.deepEqual([...seen].sort(), ['0', '1', '2']);
    assert.match(await c.kubectl(['get', 'job', 'idx']), /^idx\s+Complete\s+3\/3\s/m);

    // Deleting the Job garbage-collects its pods (Background propagation through ownerReferences).
    await c.kubectl(['delete', 'job', 'idx']);
    await waitFor('Job pods collected', async () => JSON.parse(await c.kubectl(['get', 'pods', '-l', 'job-name=idx', '-o', 'json'])).items.length === 0, 60_000);
  });
});
