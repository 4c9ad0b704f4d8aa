import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../shared/test-harness.ts';
import { GVR } from '../../client/interface.ts';
import { JobsGVR } from './job-controller.ts';
import { addJobPod, createJob, getJob, jobPods, newJobTestContext, setPodPhase, syncJob, type JobTestContext } from './test-context.ts';
import { JobCompletionIndexAnnotation } from './indexed.ts';

/** Touches the Job (an annotation) so the controller syncs it again after the fake clock moved. */
async function poke(ctx: JobTestContext, name: string): Promise<void> {
  const j = getJob(ctx.c, name);
  await ctx.c.update(JobsGVR, 'default', { ...j, metadata: { ...j.metadata, annotations: { poke: String(ctx.clock.now) } } });
}

const condTypes = (j: any) => (j.status?.conditions ?? []).filter((c: any) => c.status === 'True').map((c: any) => c.type);

describe('JobController', () => {
  test('completions 3, parallelism 2: never more than 2 active, completes with succeeded 3', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'work', { completions: 3, parallelism: 2 });
      let maxActive = 0;
      for (let done = 0; done < 3; done++) {
        await until(() => jobPods(ctx.c, job, 'active').length === Math.min(2, 3 - done), `${Math.min(2, 3 - done)} active pods`);
        maxActive = Math.max(maxActive, jobPods(ctx.c, job, 'active').length);
        const [p] = jobPods(ctx.c, job, 'active');
        assert.equal(p.metadata?.generateName, 'work-');
        assert.deepEqual(p.metadata?.ownerReferences?.[0], { apiVersion: 'batch/v1', kind: 'Job', name: 'work', uid: job.metadata!.uid, controller: true, blockOwnerDeletion: true });
        await setPodPhase(ctx.c, p, 'Succeeded', ctx.clock.now);
        await until(() => getJob(ctx.c, 'work').status?.succeeded === done + 1, `succeeded ${done + 1}`);
      }
      assert.equal(maxActive, 2);
      await until(() => condTypes(getJob(ctx.c, 'work')).includes('Complete'), 'Complete');
      const st = getJob(ctx.c, 'work').status;
      assert.deepEqual(condTypes(getJob(ctx.c, 'work')), ['SuccessCriteriaMet', 'Complete']);
      assert.equal(st.active, 0);
      assert.equal(st.succeeded, 3);
      assert.equal(st.failed, 0);
      assert.ok(st.startTime && st.completionTime);
      assert.equal(jobPods(ctx.c, job).length, 3);
      assert.equal(ctx.recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: work-')).length, 3);
      assert.ok(ctx.recorder.events.includes('Normal Completed Job completed'));
    } finally {
      await ctx.stop();
    }
  });

  test('failures wait out the back-off, then exceed backoffLimit → Failed/BackoffLimitExceeded', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'bad', { backoffLimit: 1 });
      await until(() => jobPods(ctx.c, job, 'active').length === 1, 'first pod');
      await setPodPhase(ctx.c, jobPods(ctx.c, job, 'active')[0], 'Failed', ctx.clock.now);
      await until(() => getJob(ctx.c, 'bad').status?.failed === 1, 'failed 1');
      // 10 s back-off after the first failure: no replacement yet, even when synced again.
      ctx.clock.now += 9_000;
      await poke(ctx, 'bad');
      await until(() => getJob(ctx.c, 'bad').metadata?.annotations?.poke !== undefined, 'poke seen');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(jobPods(ctx.c, job, 'active').length, 0);
      ctx.clock.now += 1_000;
      await poke(ctx, 'bad');
      await until(() => jobPods(ctx.c, job, 'active').length === 1, 'replacement pod after 10 s');
      await setPodPhase(ctx.c, jobPods(ctx.c, job, 'active')[0], 'Failed', ctx.clock.now);
      await until(() => condTypes(getJob(ctx.c, 'bad')).includes('Failed'), 'Failed');
      const j = getJob(ctx.c, 'bad');
      assert.deepEqual(
        j.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]),
        [
          ['FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
          ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ],
      );
      assert.equal(j.status.failed, 2);
      assert.equal(j.status.completionTime, undefined);
      assert.ok(ctx.recorder.events.includes('Warning BackoffLimitExceeded Job has reached the specified backoff limit'));
    } finally {
      await ctx.stop();
    }
  });

  test('OnFailure: container restarts count against backoffLimit', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'rs', { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } });
      await until(() => jobPods(ctx.c, job, 'active').length === 1, 'pod');
      const p = jobPods(ctx.c, job, 'active')[0];
      await setPodPhase(ctx.c, p, 'Running', ctx.clock.now, 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(condTypes(getJob(ctx.c, 'rs')), []);
      await setPodPhase(ctx.c, p, 'Running', ctx.clock.now, 2);
      await until(() => condTypes(getJob(ctx.c, 'rs')).includes('Failed'), 'Failed');
      assert.equal(getJob(ctx.c, 'rs').status.conditions.at(-1).reason, 'BackoffLimitExceeded');
      assert.equal(jobPods(ctx.c, job, 'active').length, 0, 'the running pod is deleted');
    } finally {
      await ctx.stop();
    }
  });

  test('activeDeadlineSeconds: running pods deleted, Failed/DeadlineExceeded', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 });
      await until(() => jobPods(ctx.c, job, 'active').length === 2, '2 pods');
      ctx.clock.now += 30_000;
      await poke(ctx, 'slow');
      await until(() => condTypes(getJob(ctx.c, 'slow')).includes('Failed'), 'Failed');
      const j = getJob(ctx.c, 'slow');
      assert.deepEqual(
        j.status.conditions.map((c: any) => [c.type, c.reason, c.message]),
        [
          ['FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
          ['Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
        ],
      );
      assert.equal(jobPods(ctx.c, job).length, 0);
      assert.equal(j.status.active, 0);
      assert.equal(j.status.failed, 2, 'pods removed by the deadline count as failed');
      assert.equal(ctx.recorder.events.filter((e) => e.startsWith('Normal SuccessfulDelete Deleted pod: slow-')).length, 2);
      assert.ok(ctx.recorder.events.includes('Warning DeadlineExceeded Job was active longer than specified deadline'));
    } finally {
      await ctx.stop();
    }
  });

  test('suspend deletes active pods (Suspended=True), resume recreates them (Suspended=False/JobResumed)', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'pausy', { parallelism: 2, completions: 2, suspend: true });
      await until(() => getJob(ctx.c, 'pausy').status?.conditions?.some((c: any) => c.type === 'Suspended'), 'Suspended');
      assert.equal(jobPods(ctx.c, job).length, 0);
      let c = getJob(ctx.c, 'pausy').status.conditions.find((x: any) => x.type === 'Suspended');
      assert.deepEqual([c.status, c.reason, c.message], ['True', 'JobSuspended', 'Job suspended']);
      assert.equal(getJob(ctx.c, 'pausy').status.startTime, undefined);
      const resume = async (suspend: boolean) => {
        const j = getJob(ctx.c, 'pausy');
        await ctx.c.update(JobsGVR, 'default', { ...j, spec: { ...j.spec, suspend } });
      };
      await resume(false);
      await until(() => jobPods(ctx.c, job, 'active').length === 2, '2 pods after resume');
      await until(() => getJob(ctx.c, 'pausy').status?.conditions?.find((x: any) => x.type === 'Suspended')?.status === 'False', 'resumed');
      c = getJob(ctx.c, 'pausy').status.conditions.find((x: any) => x.type === 'Suspended');
      assert.deepEqual([c.status, c.reason, c.message], ['False', 'JobResumed', 'Job resumed']);
      assert.ok(getJob(ctx.c, 'pausy').status.startTime);
      await resume(true);
      await until(() => jobPods(ctx.c, job, 'active').length === 0, 'pods deleted on suspend');
      await until(() => getJob(ctx.c, 'pausy').status?.conditions?.find((x: any) => x.type === 'Suspended')?.status === 'True', 'suspended again');
      assert.equal(getJob(ctx.c, 'pausy').status.active, 0);
      assert.ok(ctx.recorder.events.includes('Normal Suspended Job suspended'));
      assert.ok(ctx.recorder.events.includes('Normal Resumed Job resumed'));
      assert.deepEqual(condTypes(getJob(ctx.c, 'pausy')), ['Suspended']);
    } finally {
      await ctx.stop();
    }
  });

  test('ttlSecondsAfterFinished deletes the finished Job once the TTL has passed', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'short', { ttlSecondsAfterFinished: 60 });
      await until(() => jobPods(ctx.c, job, 'active').length === 1, 'pod');
      await setPodPhase(ctx.c, jobPods(ctx.c, job, 'active')[0], 'Succeeded', ctx.clock.now);
      await until(() => condTypes(getJob(ctx.c, 'short')).includes('Complete'), 'Complete');
      ctx.clock.now += 59_000;
      await poke(ctx, 'short');
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(ctx.c.peek(JobsGVR, 'default', 'short'), 'still there before the TTL');
      ctx.clock.now += 1_000;
      await poke(ctx, 'short');
      await until(() => ctx.c.peek(JobsGVR, 'default', 'short') === undefined, 'job deleted');
      assert.ok(ctx.c.actions.some((a) => a.verb === 'delete' && a.resource === 'jobs'));
    } finally {
      await ctx.stop();
    }
  });

  test('Indexed: duplicate, out-of-range and already-succeeded indexes are removed; missing ones created', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'ix', { completionMode: 'Indexed', completions: 3, parallelism: 3 });
      const at = (i: string) => ({ [JobCompletionIndexAnnotation]: i });
      await addJobPod(ctx.c, job, 'Succeeded', ctx.clock.now - 5000, at('2'));
      const keep = await addJobPod(ctx.c, job, 'Running', ctx.clock.now - 4000, at('0'));
      const dup = await addJobPod(ctx.c, job, 'Running', ctx.clock.now - 3000, at('0'));
      const out = await addJobPod(ctx.c, job, 'Running', ctx.clock.now - 2000, at('7'));
      const again = await addJobPod(ctx.c, job, 'Running', ctx.clock.now - 1000, at('2'));
      await syncJob(ctx, 'ix');
      const names = jobPods(ctx.c, job, 'active').map((p) => p.metadata!.name);
      assert.deepEqual(names, [keep.metadata!.name]);
      for (const p of [dup, out, again]) assert.ok(ctx.recorder.events.includes(`Normal SuccessfulDelete Deleted pod: ${p.metadata!.name}`));
      await syncJob(ctx, 'ix');
      const idx = jobPods(ctx.c, job, 'active').map((p) => p.metadata!.annotations![JobCompletionIndexAnnotation]).sort();
      assert.deepEqual(idx, ['0', '1']);
      assert.equal(getJob(ctx.c, 'ix').status.completedIndexes, '2');
    } finally {
      await ctx.stop();
    }
  });

  test('podFailurePolicy: Ignore rule does not count; FailJob rule fails the Job with reason PodFailurePolicy', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'pfp', {
        backoffLimit: 6,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          ],
        },
      });
      const fail = async (exitCode: number, conditions: { type: string; status: string }[]) => {
        const [p] = jobPods(ctx.c, job, 'active');
        const cur = ctx.c.peek(GVR.pods, 'default', p.metadata!.name!)!;
        const status = { phase: 'Failed', conditions, containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: new Date(ctx.clock.now).toISOString() } } }] };
        await ctx.c.update(GVR.pods, 'default', { ...cur, status }, { subresource: 'status' });
        return p.metadata!.name!;
      };
      await syncJob(ctx, 'pfp');
      await fail(1, [{ type: 'DisruptionTarget', status: 'True' }]);
      await syncJob(ctx, 'pfp');
      assert.equal(getJob(ctx.c, 'pfp').status.failed, 0, 'ignored failure not counted');
      assert.equal(jobPods(ctx.c, job, 'active').length, 1, 'replacement created without back-off');
      const name = await fail(42, []);
      await syncJob(ctx, 'pfp');
      const msg = `Container c for pod default/${name} failed with exit code 42 matching FailJob rule at index 0`;
      assert.deepEqual(
        getJob(ctx.c, 'pfp').status.conditions.map((c: any) => [c.type, c.reason, c.message]),
        [
          ['FailureTarget', 'PodFailurePolicy', msg],
          ['Failed', 'PodFailurePolicy', msg],
        ],
      );
      assert.equal(getJob(ctx.c, 'pfp').status.failed, 1);
    } finally {
      await ctx.stop();
    }
  });
});
