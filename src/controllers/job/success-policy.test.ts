/** successPolicy: unit cases of matchSuccessPolicy and the controller flow SuccessCriteriaMet → lingering pods removed → Complete. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { matchSuccessPolicy } from './success-policy.ts';
import { JobCompletionIndexAnnotation } from './indexed.ts';
import { createJob, getJob, jobPods, newJobTestContext, setPodPhase, syncJob } from './test-context.ts';

describe('successPolicy', () => {
  test('matchSuccessPolicy: succeededIndexes (all, or succeededCount of them) and succeededCount alone; first matching rule wins', () => {
    const rules = (r: any[]) => ({ rules: r });
    assert.equal(matchSuccessPolicy(rules([{ succeededIndexes: '0-2' }]), 5, [0, 1]), undefined);
    assert.equal(matchSuccessPolicy(rules([{ succeededIndexes: '0-2' }]), 5, [0, 1, 2]), 'Matched rules at index 0');
    assert.equal(matchSuccessPolicy(rules([{ succeededIndexes: '0-2', succeededCount: 2 }]), 5, [1, 2, 4]), 'Matched rules at index 0');
    assert.equal(matchSuccessPolicy(rules([{ succeededIndexes: '3' }, { succeededCount: 2 }]), 5, [0, 4]), 'Matched rules at index 1');
    assert.equal(matchSuccessPolicy(rules([{ succeededIndexes: '7-9' }, { succeededCount: 3 }]), 5, [0, 4]), undefined, 'out-of-range rule skipped');
    assert.equal(matchSuccessPolicy(undefined, 5, [0]), undefined);
    assert.equal(matchSuccessPolicy(rules([{ succeededCount: 1 }]), 5, []), undefined);
  });

  test('index 0 succeeding meets the policy: the other pods are removed (not counted as failed), then Complete/SuccessPolicy', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'leader', { completionMode: 'Indexed', completions: 3, parallelism: 3, successPolicy: { rules: [{ succeededIndexes: '0' }] } });
      await syncJob(ctx, 'leader');
      const pods = jobPods(ctx.c, job, 'active');
      assert.equal(pods.length, 3);
      const leader = pods.find((p) => p.metadata!.annotations![JobCompletionIndexAnnotation] === '0')!;
      await setPodPhase(ctx.c, leader, 'Succeeded', ctx.clock.now);
      await syncJob(ctx, 'leader');
      await syncJob(ctx, 'leader');
      const st = getJob(ctx.c, 'leader').status;
      assert.deepEqual(
        st.conditions.map((c: any) => [c.type, c.reason, c.message]),
        [
          ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 0'],
          ['Complete', 'SuccessPolicy', 'Matched rules at index 0'],
        ],
      );
      assert.equal(st.succeeded, 1);
      assert.equal(st.failed, 0);
      assert.equal(st.completedIndexes, '0');
      assert.ok(st.completionTime);
      assert.equal(jobPods(ctx.c, job, 'active').length, 0);
    } finally {
      await ctx.stop();
    }
  });
});
