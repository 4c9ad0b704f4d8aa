/**
 * Job tracking with finalizers (upstream trackJobStatusAndRemoveFinalizers /
 * flushUncountedAndRemoveFinalizers / syncOrphanPod): the write order, pods deleted while
 * uncounted, and controller restarts between the writes, over the FakeClient.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../shared/test-harness.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import type { FakeAction } from '../../client/fake-client.ts';
import { newInternalError } from '../../machinery/errors.ts';
import { JobsGVR } from './job-controller.ts';
import { JobTrackingFinalizer } from './tracking.ts';
import { JobCompletionIndexAnnotation } from './indexed.ts';
import { addJobPod, createJob, getJob, jobPods, newJobTestContext, setPodPhase, syncJob } from './test-context.ts';

const podOf = (ctx: { c: { peek(g: typeof GVR.pods, ns: string, n: string): KubeObject | undefined } }, p: KubeObject) => ctx.c.peek(GVR.pods, 'default', p.metadata!.name!);
const fins = (p: KubeObject | undefined) => p?.metadata?.finalizers ?? [];

/** The job-status writes and pod patches of `actions`, in order, summarised. */
function trackingWrites(actions: FakeAction[]): string[] {
  const out: string[] = [];
  for (const a of actions) {
    if (a.resource === 'jobs' && a.verb === 'update' && a.subresource === 'status') {
      const st = (a.object as { status?: any }).status ?? {};
      const u = st.uncountedTerminatedPods ?? {};
      out.push(`status succeeded=${st.succeeded ?? 0} failed=${st.failed ?? 0} uncounted=${(u.succeeded ?? []).length}/${(u.failed ?? []).length}`);
    } else if (a.resource === 'pods' && a.verb === 'patch') {
      out.push(`patch ${a.name}`);
    }
  }
  return out;
}

describe('Job tracking finalizers', () => {
  test('created pods carry the finalizer and the job labels; a finished pod is recorded uncounted, then loses its finalizer, then is counted', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 't', { completions: 2, parallelism: 1 });
      await syncJob(ctx, 't');
      const [p] = jobPods(ctx.c, job, 'active');
      assert.deepEqual(p.metadata?.finalizers, [JobTrackingFinalizer]);
      assert.equal(p.metadata?.labels?.['job-name'], 't');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-name'], 't');
      assert.equal(p.metadata?.labels?.['controller-uid'], job.metadata!.uid);
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata!.uid);
      await setPodPhase(ctx.c, p, 'Succeeded', ctx.clock.now);
      const from = ctx.c.actions.length;
      await syncJob(ctx, 't');
      const writes = trackingWrites(ctx.c.actions.slice(from));
      // 1. uid into uncounted (pod still has its finalizer), 2. finalizer removed, 3. counted.
      assert.deepEqual(writes.slice(0, 3), ['status succeeded=0 failed=0 uncounted=1/0', `patch ${p.metadata!.name}`, 'status succeeded=1 failed=0 uncounted=0/0']);
      const first = ctx.c.actions.slice(from).find((a) => a.resource === 'jobs' && a.subresource === 'status')!;
      assert.deepEqual((first.object as any).status.uncountedTerminatedPods.succeeded, [p.metadata!.uid]);
      assert.deepEqual(fins(podOf(ctx, p)), []);
      assert.equal(getJob(ctx.c, 't').status.succeeded, 1);
      assert.deepEqual(getJob(ctx.c, 't').status.uncountedTerminatedPods, {});
      // Syncing again never counts it twice.
      await syncJob(ctx, 't');
      await syncJob(ctx, 't');
      assert.equal(getJob(ctx.c, 't').status.succeeded, 1);
    } finally {
      await ctx.stop();
    }
  });

  test('a pod deleted right after finishing is counted exactly once (its finalizer holds it until counted)', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'd', { completions: 3, parallelism: 3 });
      await until(() => jobPods(ctx.c, job, 'active').length === 3, '3 pods');
      for (const p of jobPods(ctx.c, job, 'active')) {
        await setPodPhase(ctx.c, p, 'Succeeded', ctx.clock.now);
        await ctx.c.delete(GVR.pods, 'default', p.metadata!.name!);
      }
      await until(() => getJob(ctx.c, 'd').status?.conditions?.some((c: any) => c.type === 'Complete'), 'Complete');
      const st = getJob(ctx.c, 'd').status;
      assert.equal(st.succeeded, 3);
      assert.equal(st.failed, 0);
      assert.equal(jobPods(ctx.c, job).length, 0, 'the deleted pods are gone once their finalizer is removed');
    } finally {
      await ctx.stop();
    }
  });

  test('pod deleted while uncounted: counted once, whether it is still there or already gone', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'u', { completions: 3, parallelism: 1 });
      const a = await addJobPod(ctx.c, job, 'Succeeded', ctx.clock.now - 1000);
      const b = await addJobPod(ctx.c, job, 'Succeeded', ctx.clock.now - 1000);
      // State after a first flush: both uids recorded as uncounted, finalizers still on.
      const j = getJob(ctx.c, 'u');
      await ctx.c.update(JobsGVR, 'default', { ...j, status: { ...j.status, uncountedTerminatedPods: { succeeded: [a.metadata!.uid, b.metadata!.uid] } } }, { subresource: 'status' });
      // a: deleted by a user (held by the finalizer); b: its finalizer stripped by someone and gone.
      await ctx.c.delete(GVR.pods, 'default', a.metadata!.name!);
      assert.ok(podOf(ctx, a)?.metadata?.deletionTimestamp);
      await ctx.c.patch(GVR.pods, 'default', b.metadata!.name!, 'application/merge-patch+json', { metadata: { finalizers: null } });
      await ctx.c.delete(GVR.pods, 'default', b.metadata!.name!);
      assert.equal(podOf(ctx, b), undefined);
      await syncJob(ctx, 'u');
      assert.equal(podOf(ctx, a), undefined, 'finalizer removed, the deleted pod disappears');
      await syncJob(ctx, 'u');
      const st = getJob(ctx.c, 'u').status;
      assert.equal(st.succeeded, 2);
      assert.deepEqual(st.uncountedTerminatedPods, {});
    } finally {
      await ctx.stop();
    }
  });

  test('controller restart between the writes loses nothing and counts nothing twice', async () => {
    const ctx = await newJobTestContext();
    // Which pod patches fail: 'all' (the controller dies before removing finalizers), one pod name, or none.
    let failing: 'all' | 'none' | string = 'all';
    ctx.c.prependReactor('patch', 'pods', (a) => {
      if (failing === 'all' || failing === a.name) throw newInternalError(`injected: patch of ${a.name} fails`);
    });
    const job = await createJob(ctx.c, 'r', { completions: 4, parallelism: 2 });
    const contexts = [ctx];
    try {
      await syncJob(ctx, 'r');
      const [p1, p2] = jobPods(ctx.c, job, 'active');
      await setPodPhase(ctx.c, p1, 'Succeeded', ctx.clock.now);
      await setPodPhase(ctx.c, p2, 'Failed', ctx.clock.now);
      await assert.rejects(() => syncJob(ctx, 'r'), /injected/);
      // Crash point 1: both recorded as uncounted, finalizers still on, nothing counted yet.
      let st = getJob(ctx.c, 'r').status;
      assert.deepEqual(st.uncountedTerminatedPods, { succeeded: [p1.metadata!.uid], failed: [p2.metadata!.uid] });
      assert.equal(st.succeeded, 0);
      assert.equal(st.failed, 0);
      assert.deepEqual(fins(podOf(ctx, p1)), [JobTrackingFinalizer]);
      assert.deepEqual(fins(podOf(ctx, p2)), [JobTrackingFinalizer]);
      await ctx.stop();

      // Restart; this time only p2's finalizer removal fails (crash point 2: partial progress).
      failing = p2.metadata!.name!;
      const ctx2 = await newJobTestContext(ctx.c);
      contexts.push(ctx2);
      ctx2.clock.now = ctx.clock.now;
      await assert.rejects(() => syncJob(ctx2, 'r'), /injected/);
      st = getJob(ctx.c, 'r').status;
      assert.equal(st.succeeded, 1, 'p1 counted once its finalizer went');
      assert.equal(st.failed, 0);
      assert.deepEqual(st.uncountedTerminatedPods, { failed: [p2.metadata!.uid] });
      assert.deepEqual(fins(podOf(ctx, p1)), []);
      await ctx2.stop();

      // Restart again with a working API: p2 counted once, p1 not again.
      failing = 'none';
      const ctx3 = await newJobTestContext(ctx.c);
      contexts.push(ctx3);
      ctx3.clock.now = ctx.clock.now + 60_000;
      await syncJob(ctx3, 'r');
      await syncJob(ctx3, 'r');
      st = getJob(ctx.c, 'r').status;
      assert.equal(st.succeeded, 1);
      assert.equal(st.failed, 1);
      assert.deepEqual(st.uncountedTerminatedPods, {});
      assert.deepEqual(fins(podOf(ctx, p2)), []);
    } finally {
      for (const c of contexts) await c.stop().catch(() => {});
    }
  });

  test('Indexed: a succeeded index goes to completedIndexes before the finalizer is removed', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'ix', { completionMode: 'Indexed', completions: 3, parallelism: 3 });
      await syncJob(ctx, 'ix');
      const pods = jobPods(ctx.c, job, 'active');
      assert.equal(pods.length, 3);
      const p1 = pods.find((p) => p.metadata!.annotations![JobCompletionIndexAnnotation] === '1')!;
      assert.equal(p1.metadata!.labels![JobCompletionIndexAnnotation], '1');
      assert.deepEqual(p1.metadata!.finalizers, [JobTrackingFinalizer]);
      await setPodPhase(ctx.c, p1, 'Succeeded', ctx.clock.now);
      const from = ctx.c.actions.length;
      await syncJob(ctx, 'ix');
      const acts = ctx.c.actions.slice(from).filter((a) => (a.resource === 'jobs' && a.subresource === 'status') || (a.resource === 'pods' && a.verb === 'patch'));
      assert.equal(acts[0].resource, 'jobs');
      assert.equal((acts[0].object as any).status.completedIndexes, '1');
      assert.equal((acts[0].object as any).status.succeeded, 1);
      assert.equal(acts[1].verb, 'patch');
      assert.deepEqual(fins(podOf(ctx, p1)), []);
      // Deleting the counted pod does not lose the index.
      await ctx.c.delete(GVR.pods, 'default', p1.metadata!.name!);
      await syncJob(ctx, 'ix');
      assert.equal(getJob(ctx.c, 'ix').status.completedIndexes, '1');
      assert.equal(getJob(ctx.c, 'ix').status.succeeded, 1);
      assert.equal(jobPods(ctx.c, job, 'active').length, 2, 'index 1 is not recreated');
    } finally {
      await ctx.stop();
    }
  });

  test('finalizers of pods of a deleted Job, of orphans and of a finished Job are removed', async () => {
    const ctx = await newJobTestContext();
    ctx.runWorkers();
    try {
      const job = await createJob(ctx.c, 'g', { completions: 2, parallelism: 2 });
      await until(() => jobPods(ctx.c, job, 'active').length === 2, '2 pods');
      const [a, b] = jobPods(ctx.c, job, 'active');
      // An orphan: the controller reference is dropped (GC orphaning) while it keeps the finalizer.
      await ctx.c.patch(GVR.pods, 'default', a.metadata!.name!, 'application/merge-patch+json', { metadata: { ownerReferences: null, labels: { other: 'x' } } });
      await until(() => fins(podOf(ctx, a)).length === 0, 'orphan finalizer removed');
      // The Job is deleted: its remaining pod (still running) loses the finalizer, so GC/namespace deletion is not blocked.
      await ctx.c.delete(JobsGVR, 'default', 'g');
      await until(() => fins(podOf(ctx, b)).length === 0, 'finalizer removed from the deleted Job\'s pod');
      await ctx.c.delete(GVR.pods, 'default', b.metadata!.name!);
      assert.equal(podOf(ctx, b), undefined);
    } finally {
      await ctx.stop();
    }
  });

  test('a Job deleted with Foreground propagation releases its running pods\' finalizers without counting them', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'fg', { completions: 2, parallelism: 2 });
      await syncJob(ctx, 'fg');
      const pods = jobPods(ctx.c, job, 'active');
      assert.equal(pods.length, 2);
      await setPodPhase(ctx.c, pods[0], 'Running', ctx.clock.now);
      await ctx.c.delete(JobsGVR, 'default', 'fg', { propagationPolicy: 'Foreground' });
      assert.ok(getJob(ctx.c, 'fg').metadata?.deletionTimestamp, 'held by foregroundDeletion');
      await syncJob(ctx, 'fg');
      for (const p of pods) assert.deepEqual(fins(podOf(ctx, p)), [], `${p.metadata!.name} released`);
      const st = getJob(ctx.c, 'fg').status;
      assert.equal(st.succeeded ?? 0, 0);
      assert.equal(st.failed ?? 0, 0);
      assert.equal(jobPods(ctx.c, job).length, 2, 'no replacement pods while the Job is being deleted');
    } finally {
      await ctx.stop();
    }
  });

  test('a failing Job counts its deleted running pods as failed and only then turns Failed', async () => {
    const ctx = await newJobTestContext();
    try {
      const job = await createJob(ctx.c, 'f', { completions: 3, parallelism: 2, backoffLimit: 0 });
      await syncJob(ctx, 'f');
      const [p1, p2] = jobPods(ctx.c, job, 'active');
      await setPodPhase(ctx.c, p1, 'Failed', ctx.clock.now);
      await syncJob(ctx, 'f');
      // p2 was deleted keeping its finalizer; it is failed-uncounted → finalizer removed → counted.
      let st = getJob(ctx.c, 'f').status;
      assert.deepEqual(
        st.conditions.map((c: any) => c.type),
        ['FailureTarget'],
      );
      assert.equal(st.failed, 2);
      assert.equal(podOf(ctx, p2), undefined);
      await syncJob(ctx, 'f');
      st = getJob(ctx.c, 'f').status;
      assert.deepEqual(
        st.conditions.map((c: any) => [c.type, c.reason]),
        [
          ['FailureTarget', 'BackoffLimitExceeded'],
          ['Failed', 'BackoffLimitExceeded'],
        ],
      );
      assert.equal(st.failed, 2);
    } finally {
      await ctx.stop();
    }
  });
});
