/** ../shared/cases/job-backoff.json as a table test: every case kind drives the real controller or API code. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from '../../machinery/testdata.ts';
import { setDefaultsJob } from '../../api/batch/v1/job/defaults.ts';
import { getRemainingTime, newBackoffRecord, podFailureBackoffMs } from './backoff.ts';
import { addJobPod, createJob, getJob, jobPods, newJobTestContext, setPodPhase, syncJob } from './test-context.ts';
import { JobCompletionIndexAnnotation } from './indexed.ts';
import type { Pod } from 'kubernetes-types/core/v1.js';

const file = loadCases('job-backoff.json');
const byKind = (k: string) => file.cases.filter((c) => c.kind === k);

/** A Job's conditions reduced to what the cases name. */
const condSummary = (job: any) => (job.status?.conditions ?? []).map((c: any) => ({ type: c.type, status: c.status, reason: c.reason }));

/** The terminal state the cases call Running/Failed. */
function state(job: any): { state: string; reason?: string } {
  const failed = (job.status?.conditions ?? []).find((c: any) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { state: 'Failed', reason: failed.reason };
  return { state: 'Running' };
}

describe('job-backoff.json', () => {
  for (const c of byKind('podFailureBackoff')) {
    test(`${c.id} podFailureBackoff: ${c.failuresSinceLastSuccess} failures → ${c.expectedDelaySeconds}s`, () => {
      assert.equal(podFailureBackoffMs(c.failuresSinceLastSuccess), c.expectedDelaySeconds * 1000);
      // The same through the record built from pods: n failures after a success, the last at t0.
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      const pod = (phase: string, at: number): Pod => ({ status: { phase, containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, finishedAt: new Date(at).toISOString() } } }] } });
      const pods = [pod('Succeeded', t0 - 100_000), ...Array.from({ length: c.failuresSinceLastSuccess }, (_, i) => pod('Failed', t0 - (c.failuresSinceLastSuccess - 1 - i) * 1000))];
      assert.equal(getRemainingTime(newBackoffRecord(pods), t0), c.expectedDelaySeconds * 1000);
    });
  }

  for (const c of byKind('backoffLimit')) {
    test(`${c.id} backoffLimit ${c.backoffLimit}, ${c.failedPods} failed pods (${c.restartPolicy}) → ${c.expectedState}`, async () => {
      const ctx = await newJobTestContext();
      try {
        await createJob(ctx.c, 'j', { backoffLimit: c.backoffLimit, template: { spec: { restartPolicy: c.restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } } });
        for (let i = 0; i < c.failedPods; i++) await addJobPod(ctx.c, getJob(ctx.c, 'j'), 'Failed', ctx.clock.now - 1000);
        await syncJob(ctx, 'j');
        await syncJob(ctx, 'j');
        const got = state(getJob(ctx.c, 'j'));
        assert.equal(got.state, c.expectedState);
        if (c.expectedReason) assert.equal(got.reason, c.expectedReason);
        assert.equal(getJob(ctx.c, 'j').status.failed, c.failedPods);
      } finally {
        await ctx.stop();
      }
    });
  }

  for (const c of byKind('defaults')) {
    test(`${c.id} defaults ${c.field}`, () => {
      const job: any = { spec: { template: { spec: { containers: [] } } } };
      setDefaultsJob(job);
      if (c.field === 'spec.backoffLimit') assert.equal(job.spec.backoffLimit, c.expected);
      else assert.deepEqual({ completions: job.spec.completions, parallelism: job.spec.parallelism }, c.expected);
    });
  }

  for (const c of byKind('activePods')) {
    test(`${c.id} activePods ${c.completionMode} completions=${c.completions ?? 'unset'} parallelism=${c.parallelism} succeeded=${c.succeeded} → ${c.expectedActive}`, async () => {
      const ctx = await newJobTestContext();
      try {
        const spec: Record<string, unknown> = { completionMode: c.completionMode, parallelism: c.parallelism };
        if (c.completions !== undefined && c.completions !== null) spec.completions = c.completions;
        const job = await createJob(ctx.c, 'j', spec);
        for (let i = 0; i < c.succeeded; i++) await addJobPod(ctx.c, job, 'Succeeded', ctx.clock.now - 1000);
        await syncJob(ctx, 'j');
        assert.equal(jobPods(ctx.c, job, 'active').length, c.expectedActive);
        assert.equal(getJob(ctx.c, 'j').status.active, c.expectedActive);
        if (c.expectedJobComplete) {
          // Nothing is left running, so the Job completes right away.
          assert.deepEqual(condSummary(getJob(ctx.c, 'j')).map((x: any) => x.type), ['SuccessCriteriaMet', 'Complete']);
        }
      } finally {
        await ctx.stop();
      }
    });
  }

  for (const c of byKind('indexed')) {
    test(`${c.id} indexed completions=${c.completions} parallelism=${c.parallelism}`, async () => {
      const ctx = await newJobTestContext();
      try {
        const job = await createJob(ctx.c, c.jobName, { completionMode: 'Indexed', completions: c.completions, parallelism: c.parallelism });
        for (const i of c.succeededIndexes ?? []) await addJobPod(ctx.c, job, 'Succeeded', ctx.clock.now - 1000, { [JobCompletionIndexAnnotation]: String(i) });
        await syncJob(ctx, c.jobName);
        const active = jobPods(ctx.c, job, 'active');
        const idx = (p: any) => Number(p.metadata.annotations[c.podAnnotation ?? JobCompletionIndexAnnotation]);
        const indexes = active.map(idx).sort((a, b) => a - b);
        assert.deepEqual(indexes, c.expectedIndexes ?? c.expectedNextIndexes);
        for (const p of active as any[]) {
          const i = idx(p);
          assert.ok(p.metadata.name.startsWith(`${c.jobName}-${i}-`), p.metadata.name);
          assert.equal(p.metadata.labels[JobCompletionIndexAnnotation], String(i));
          if (c.expectedHostnames) assert.equal(p.spec.hostname, c.expectedHostnames[i]);
          const env = p.spec.containers[0].env.find((e: any) => e.name === (c.podEnv ?? 'JOB_COMPLETION_INDEX'));
          assert.equal(env.valueFrom.fieldRef.fieldPath, `metadata.labels['${JobCompletionIndexAnnotation}']`);
        }
        if (c.succeededIndexes) assert.equal(getJob(ctx.c, c.jobName).status.completedIndexes, c.succeededIndexes.join(','));
      } finally {
        await ctx.stop();
      }
    });
  }

  for (const c of byKind('activeDeadline')) {
    test(`${c.id} activeDeadlineSeconds ${c.activeDeadlineSeconds}, elapsed ${c.elapsedSeconds}s, backoffLimit ${c.backoffLimit}, ${c.failedPods} failed → ${c.expectedState}`, async () => {
      const ctx = await newJobTestContext();
      try {
        const start = ctx.clock.now;
        const job = await createJob(ctx.c, 'j', { activeDeadlineSeconds: c.activeDeadlineSeconds, backoffLimit: c.backoffLimit, parallelism: 1, completions: 1 });
        await syncJob(ctx, 'j'); // starts the Job (startTime = start) and creates its pod
        assert.equal(getJob(ctx.c, 'j').status.startTime, new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z'));
        for (let i = 0; i < c.failedPods; i++) await addJobPod(ctx.c, job, 'Failed', start + 1000);
        const running = jobPods(ctx.c, job, 'active');
        assert.equal(running.length, 1);
        ctx.clock.now = start + c.elapsedSeconds * 1000;
        await syncJob(ctx, 'j');
        await syncJob(ctx, 'j');
        const got = state(getJob(ctx.c, 'j'));
        assert.equal(got.state, c.expectedState);
        assert.equal(got.reason, c.expectedReason);
        if (c.expectRunningPodsTerminated) assert.equal(jobPods(ctx.c, job, 'active').length, 0);
      } finally {
        await ctx.stop();
      }
    });
  }

  for (const c of byKind('terminalConditions')) {
    test(`${c.id} terminalConditions ${c.outcome}`, async () => {
      const ctx = await newJobTestContext();
      try {
        const spec: Record<string, unknown> = c.outcome === 'backoffLimitExceeded' ? { backoffLimit: 0 } : c.outcome === 'deadlineExceeded' ? { activeDeadlineSeconds: 10 } : {};
        const job = await createJob(ctx.c, 'j', spec);
        await syncJob(ctx, 'j');
        const [pod] = jobPods(ctx.c, job, 'active');
        if (c.outcome === 'success') await setPodPhase(ctx.c, pod, 'Succeeded', ctx.clock.now);
        if (c.outcome === 'backoffLimitExceeded') await setPodPhase(ctx.c, pod, 'Failed', ctx.clock.now);
        if (c.outcome === 'deadlineExceeded') ctx.clock.now += 11_000;
        for (let i = 0; i < 3; i++) await syncJob(ctx, 'j');
        const got = condSummary(getJob(ctx.c, 'j'));
        assert.equal(got.length, c.expectedConditions.length);
        c.expectedConditions.forEach((want: any, i: number) => {
          assert.equal(got[i].type, want.type);
          assert.equal(got[i].status, want.status);
          if (want.reason) assert.equal(got[i].reason, want.reason);
        });
      } finally {
        await ctx.stop();
      }
    });
  }

  test('every case kind is covered', () => {
    const covered = new Set(['podFailureBackoff', 'backoffLimit', 'defaults', 'activePods', 'indexed', 'activeDeadline', 'terminalConditions']);
    assert.deepEqual(file.cases.filter((c) => !covered.has(c.kind)), []);
  });
});
