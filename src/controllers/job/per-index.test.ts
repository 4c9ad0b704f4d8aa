/** backoffLimitPerIndex (upstream KEP-3850 behaviour) through the Job controller over the FakeClient. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { JobCompletionIndexAnnotation, JobIndexFailureCountAnnotation, JobIndexIgnoredFailureCountAnnotation } from './indexed.ts';
import { JobTrackingFinalizer } from './tracking.ts';
import { createJob, getJob, jobPods, newJobTestContext, setPodPhase, syncJob, type JobTestContext } from './test-context.ts';

const ix = (p: KubeObject) => p.metadata!.annotations![JobCompletionIndexAnnotation];
const activeAt = (ctx: JobTestContext, job: KubeObject, i: string) => jobPods(ctx.c, job, 'active').filter((p) => ix(p) === i);
const conds = (ctx: JobTestContext, name: string) => (getJob(ctx.c, name).status?.conditions ?? []).map((c: any) => [c.type, c.reason]);

describe('backoffLimitPerIndex', () => {
  test('an index retries with its own back-off and count, then fails; the Job fails with FailedIndexes', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'pi', { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 1 });
      assert.equal(getJob(ctx.c, 'pi').spec.backoffLimit, 2147483647, 'global backoffLimit defaults to MaxInt32');
      await syncJob(ctx, 'pi');
      const [first] = activeAt(ctx, job, '0');
      assert.equal(first.metadata!.annotations![JobIndexFailureCountAnnotation], '0');
      await setPodPhase(ctx.c, first, 'Failed', ctx.clock.now);
      await syncJob(ctx, 'pi');
      // Within the 10 s back-off: no replacement, and the failed pod keeps its finalizer.
      assert.equal(activeAt(ctx, job, '0').length, 0);
      assert.deepEqual(ctx.c.peek(GVR.pods, 'default', first.metadata!.name!)?.metadata?.finalizers, [JobTrackingFinalizer]);
      assert.equal(getJob(ctx.c, 'pi').status.failedIndexes, '');
      ctx.clock.now += 10_000;
      await syncJob(ctx, 'pi');
      const [second] = activeAt(ctx, job, '0');
      assert.ok(second, 'replacement for index 0 after its back-off');
      assert.equal(second.metadata!.annotations![JobIndexFailureCountAnnotation], '1');
      // With the replacement in place the first failure is released and counted.
      await syncJob(ctx, 'pi');
      assert.deepEqual(ctx.c.peek(GVR.pods, 'default', first.metadata!.name!)?.metadata?.finalizers ?? [], []);
      assert.equal(getJob(ctx.c, 'pi').status.failed, 1);
      // The retry fails too: index 0 has used its 1 retry → failed index; index 1 succeeds.
      await setPodPhase(ctx.c, second, 'Failed', ctx.clock.now);
      await setPodPhase(ctx.c, activeAt(ctx, job, '1')[0], 'Succeeded', ctx.clock.now);
      ctx.clock.now += 60_000;
      await syncJob(ctx, 'pi');
      await syncJob(ctx, 'pi');
      const st = getJob(ctx.c, 'pi').status;
      assert.equal(st.failedIndexes, '0');
      assert.equal(st.completedIndexes, '1');
      assert.equal(st.failed, 2);
      assert.equal(st.succeeded, 1);
      assert.deepEqual(conds(ctx, 'pi'), [
        ['FailureTarget', 'FailedIndexes'],
        ['Failed', 'FailedIndexes'],
      ]);
      assert.equal(getJob(ctx.c, 'pi').status.conditions[1].message, 'Job has failed indexes');
      assert.equal(activeAt(ctx, job, '0').length, 0, 'a failed index is not recreated');
    } finally {
      await ctx.stop();
    }
  });

  test('maxFailedIndexes exceeded → Failed/MaxFailedIndexesExceeded, running pods deleted', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'mx', { completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 0, maxFailedIndexes: 0 });
      await syncJob(ctx, 'mx');
      await setPodPhase(ctx.c, activeAt(ctx, job, '2')[0], 'Failed', ctx.clock.now);
      await syncJob(ctx, 'mx');
      await syncJob(ctx, 'mx');
      const st = getJob(ctx.c, 'mx').status;
      assert.equal(st.failedIndexes, '2');
      assert.deepEqual(conds(ctx, 'mx'), [
        ['FailureTarget', 'MaxFailedIndexesExceeded'],
        ['Failed', 'MaxFailedIndexesExceeded'],
      ]);
      assert.equal(st.conditions[0].message, 'Job has exceeded the specified maximal number of failed indexes');
      assert.equal(jobPods(ctx.c, job, 'active').length, 0);
      assert.equal(st.failed, 3, 'the failed pod and the two deleted running pods');
    } finally {
      await ctx.stop();
    }
  });

  test('podFailurePolicy FailIndex fails the index at once; Ignore keeps the count in the ignored annotation', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'fi', {
        completionMode: 'Indexed',
        completions: 2,
        parallelism: 2,
        backoffLimitPerIndex: 5,
        podFailurePolicy: {
          rules: [
            { action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          ],
        },
      });
      await syncJob(ctx, 'fi');
      const fail = async (p: KubeObject, exitCode: number, conditions: { type: string; status: string }[]) => {
        const cur = ctx.c.peek(GVR.pods, 'default', p.metadata!.name!)!;
        const status = { phase: 'Failed', conditions, containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: new Date(ctx.clock.now).toISOString() } } }] };
        await ctx.c.update(GVR.pods, 'default', { ...cur, status }, { subresource: 'status' });
      };
      await fail(activeAt(ctx, job, '0')[0], 42, []);
      await fail(activeAt(ctx, job, '1')[0], 1, [{ type: 'DisruptionTarget', status: 'True' }]);
      await syncJob(ctx, 'fi');
      ctx.clock.now += 10_000;
      await syncJob(ctx, 'fi');
      const st = getJob(ctx.c, 'fi').status;
      assert.equal(st.failedIndexes, '0');
      assert.equal(activeAt(ctx, job, '0').length, 0);
      const [again] = activeAt(ctx, job, '1');
      assert.ok(again, 'index 1 retried');
      assert.equal(again.metadata!.annotations![JobIndexFailureCountAnnotation], '0');
      assert.equal(again.metadata!.annotations![JobIndexIgnoredFailureCountAnnotation], '1');
    } finally {
      await ctx.stop();
    }
  });
});
