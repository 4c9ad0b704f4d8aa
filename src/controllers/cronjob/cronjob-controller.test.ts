/**
 * CronJob controller with a FakeClient and a manual clock: schedule math (incl. time zone),
 * Job naming/annotation/ownerRef, status.active/lastScheduleTime/lastSuccessfulTime,
 * concurrencyPolicy Forbid/Replace, missed starts and startingDeadlineSeconds, history limits,
 * suspend, and the events upstream records.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClient } from '../../client/fake-client.ts';
import type { KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { setDefaultsCronJob } from '../../api/batch/v1/cronjob/defaults.ts';
import { parseStandard } from '../../api/batch/v1/cronjob/schedule.ts';
import { JobsGVR } from '../job/job-controller.ts';
import { until } from '../shared/test-harness.ts';
import { CronJobController, CronJobsGVR, formatRFC3339InZone } from './cronjob-controller.ts';
import { mostRecentScheduleTime, nextScheduleTimeDuration } from './utils.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

async function ctx(cjSpec: Record<string, unknown>, created = T0) {
  const c = new FakeClient();
  const cj: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...cjSpec,
    },
  };
  setDefaultsCronJob(cj);
  const clock = { now: T0 };
  c.now = () => created;
  await c.create(CronJobsGVR, 'default', cj);
  c.now = () => clock.now;
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const ctl = new CronJobController({ client: c, factory, recorder, now: () => clock.now });
  const ac = new AbortController();
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  const cronJob = () => c.peek(CronJobsGVR, 'default', 'hello') as any;
  const jobs = () => c.peekAll(JobsGVR, 'default') as any[];
  /** Syncs once the informers have caught up with the store. */
  const sync = async () => {
    await until(
      () =>
        ctl.cronJobInformer.lister.get('default', 'hello')?.metadata?.resourceVersion === cronJob().metadata.resourceVersion &&
        ctl.jobInformer.lister.list('default').length === jobs().length &&
        jobs().every((j) => ctl.jobInformer.lister.get('default', j.metadata.name)?.metadata?.resourceVersion === j.metadata.resourceVersion),
      'informers synced',
    );
    await ctl.sync('default/hello');
  };
  const finish = async (name: string, type: 'Complete' | 'Failed', at: number) => {
    const j = c.peek(JobsGVR, 'default', name)!;
    const t = new Date(at).toISOString().replace('.000', '');
    await c.update(JobsGVR, 'default', { ...j, status: { startTime: (j.status as any)?.startTime ?? t, ...(type === 'Complete' ? { completionTime: t } : {}), conditions: [{ type, status: 'True' }] } }, { subresource: 'status' });
  };
  return { c, ctl, recorder, clock, cronJob, jobs, sync, finish, stop: async () => { ac.abort(); await factory.shutdown(); } };
}

describe('CronJob schedule math (utils.go)', () => {
  test('mostRecentScheduleTime: none due, one due, many missed', () => {
    const sched = parseStandard('*/5 * * * *');
    const cj = { metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: {} } as any;
    assert.deepEqual(mostRecentScheduleTime(cj, T0 + 4 * MIN, sched, true), { earliestTime: T0, missed: 'none' });
    assert.deepEqual(mostRecentScheduleTime(cj, T0 + 6 * MIN, sched, true), { earliestTime: T0, mostRecentTime: T0 + 5 * MIN, missed: 'none' });
    const r = mostRecentScheduleTime(cj, T0 + 17 * MIN, sched, true);
    assert.equal(r.mostRecentTime, T0 + 15 * MIN);
    assert.equal(r.missed, 'few');
    const many = mostRecentScheduleTime(cj, T0 + 5 * 101 * MIN + 30_000, sched, true);
    assert.equal(many.missed, 'many');
    assert.equal(many.mostRecentTime, T0 + 5 * 101 * MIN);
    // startingDeadlineSeconds moves the earliest time to now - deadline
    const withDeadline = { ...cj, spec: { startingDeadlineSeconds: 60 } };
    assert.deepEqual(mostRecentScheduleTime(withDeadline, T0 + 17 * MIN, sched, true), { earliestTime: T0 + 16 * MIN, missed: 'none' });
    // next requeue: the following slot + 100 ms
    assert.equal(nextScheduleTimeDuration({ ...cj, status: { lastScheduleTime: '2026-01-01T00:15:00Z' } }, T0 + 16 * MIN, sched), 4 * MIN + 100);
  });

  test('RFC 3339 in a zone as Go formats it', () => {
    assert.equal(formatRFC3339InZone(Date.parse('2026-01-02T00:00:00Z'), 'Asia/Tokyo'), '2026-01-02T09:00:00+09:00');
    assert.equal(formatRFC3339InZone(Date.parse('2026-07-01T13:00:00Z'), 'America/New_York'), '2026-07-01T09:00:00-04:00');
    assert.equal(formatRFC3339InZone(T0, 'UTC'), '2026-01-01T00:00:00Z');
  });
});

describe('CronJobController', () => {
  test('creates the Job for the due schedule: name, annotation, ownerRef, labels, status', async () => {
    const h = await ctx({ schedule: '*/5 * * * *' });
    try {
      h.clock.now = T0 + 4 * MIN;
      await h.sync();
      assert.equal(h.jobs().length, 0);
      h.clock.now = T0 + 5 * MIN + 10_000;
      await h.sync();
      const jobs = h.jobs();
      assert.equal(jobs.length, 1);
      const j = jobs[0];
      assert.equal(j.metadata.name, `hello-${(T0 + 5 * MIN) / MIN}`);
      assert.equal(j.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T00:05:00Z');
      assert.deepEqual(j.metadata.labels, { team: 'a' });
      const cj = h.cronJob();
      assert.deepEqual(j.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(j.spec.template.spec.containers[0].image, 'busybox');
      assert.equal(cj.status.lastScheduleTime, '2026-01-01T00:05:00Z');
      assert.deepEqual(cj.status.active.map((r: any) => [r.kind, r.name, r.uid]), [['Job', j.metadata.name, j.metadata.uid]]);
      assert.deepEqual(h.recorder.events, [`Normal SuccessfulCreate Created job ${j.metadata.name}`]);
      // same slot again: nothing new
      await h.sync();
      assert.equal(h.jobs().length, 1);
      // the Job completes: removed from active, lastSuccessfulTime set, SawCompletedJob
      await h.finish(j.metadata.name, 'Complete', T0 + 6 * MIN);
      await h.sync();
      assert.deepEqual(h.cronJob().status.active, []);
      // upstream sets lastSuccessfulTime from Jobs no longer in the active list: the next sync (the status write's echo)
      await h.sync();
      assert.equal(h.cronJob().status.lastSuccessfulTime, '2026-01-01T00:06:00Z');
      assert.ok(h.recorder.events.includes(`Normal SawCompletedJob Saw completed job: ${j.metadata.name}, condition: Complete`));
    } finally {
      await h.stop();
    }
  });

  test('time zone: 09:00 Asia/Tokyo is 00:00 UTC, annotation carries +09:00', async () => {
    const h = await ctx({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }, T0 + 30 * MIN);
    try {
      h.clock.now = Date.parse('2026-01-01T09:30:00Z'); // 18:30 JST: nothing due since 09:30 JST
      await h.sync();
      assert.equal(h.jobs().length, 0);
      h.clock.now = Date.parse('2026-01-02T00:00:30Z');
      await h.sync();
      const j = h.jobs()[0];
      assert.equal(j.metadata.name, `hello-${Date.parse('2026-01-02T00:00:00Z') / MIN}`);
      assert.equal(j.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-02T09:00:00+09:00');
    } finally {
      await h.stop();
    }
  });

  test('Forbid skips while a Job is active; Replace deletes it and starts a new one', async () => {
    for (const policy of ['Forbid', 'Replace']) {
      const h = await ctx({ schedule: '* * * * *', concurrencyPolicy: policy });
      try {
        h.clock.now = T0 + MIN + 1000;
        await h.sync();
        const first = h.jobs()[0].metadata.name;
        h.clock.now = T0 + 2 * MIN + 1000;
        await h.sync();
        const names = h.jobs().map((j) => j.metadata.name);
        if (policy === 'Forbid') {
          assert.deepEqual(names, [first]);
          assert.ok(h.recorder.events.includes('Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid'));
          assert.equal(h.cronJob().status.lastScheduleTime, '2026-01-01T00:01:00Z');
        } else {
          assert.deepEqual(names, [`hello-${(T0 + 2 * MIN) / MIN}`]);
          assert.ok(h.recorder.events.includes(`Normal SuccessfulDelete Deleted job ${first}`));
          assert.deepEqual(h.cronJob().status.active.map((r: any) => r.name), [names[0]]);
        }
      } finally {
        await h.stop();
      }
    }
  });

  test('Allow runs concurrently', async () => {
    const h = await ctx({ schedule: '* * * * *' });
    try {
      h.clock.now = T0 + MIN + 1000;
      await h.sync();
      h.clock.now = T0 + 2 * MIN + 1000;
      await h.sync();
      assert.equal(h.jobs().length, 2);
      assert.equal(h.cronJob().status.active.length, 2);
    } finally {
      await h.stop();
    }
  });

  test('missed starts: > 100 gives TooManyMissedTimes and starts only the most recent; startingDeadlineSeconds skips a stale slot', async () => {
    const h = await ctx({ schedule: '* * * * *' });
    try {
      h.clock.now = T0 + 150 * MIN + 5000;
      await h.sync();
      assert.ok(h.recorder.events.some((e) => e.startsWith('Warning TooManyMissedTimes too many missed start times:')));
      assert.deepEqual(h.jobs().map((j) => j.metadata.name), [`hello-${(T0 + 150 * MIN) / MIN}`]);
    } finally {
      await h.stop();
    }
    const d = await ctx({ schedule: '*/10 * * * *', startingDeadlineSeconds: 30 });
    try {
      d.clock.now = T0 + 10 * MIN + 40_000; // 40 s late with a 30 s deadline
      await d.sync();
      assert.equal(d.jobs().length, 0);
      assert.ok(!d.recorder.events.some((e) => e.includes('TooManyMissedTimes')));
      d.clock.now = T0 + 20 * MIN + 20_000; // 20 s late: still inside the window
      await d.sync();
      assert.deepEqual(d.jobs().map((j) => j.metadata.name), [`hello-${(T0 + 20 * MIN) / MIN}`]);
    } finally {
      await d.stop();
    }
  });

  test('history limits delete the oldest finished Jobs; suspend starts nothing', async () => {
    const h = await ctx({ schedule: '* * * * *', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    try {
      for (let i = 1; i <= 4; i++) {
        h.clock.now = T0 + i * MIN + 1000;
        await h.sync();
        const name = `hello-${(T0 + i * MIN) / MIN}`;
        await h.finish(name, i === 2 ? 'Failed' : 'Complete', T0 + i * MIN + 2000);
      }
      h.clock.now = T0 + 4 * MIN + 30_000;
      await h.sync();
      const names = h.jobs().map((j) => j.metadata.name).sort();
      assert.deepEqual(names, [`hello-${(T0 + 2 * MIN) / MIN}`, `hello-${(T0 + 4 * MIN) / MIN}`]);
      assert.ok(h.recorder.events.includes(`Normal SuccessfulDelete Deleted job hello-${(T0 + MIN) / MIN}`));
      assert.ok(h.recorder.events.includes(`Normal SuccessfulDelete Deleted job hello-${(T0 + 3 * MIN) / MIN}`));
      // suspend
      const cj = h.cronJob();
      await h.c.update(CronJobsGVR, 'default', { ...cj, spec: { ...cj.spec, suspend: true } });
      h.clock.now = T0 + 6 * MIN + 1000;
      await h.sync();
      assert.equal(h.jobs().length, 2);
    } finally {
      await h.stop();
    }
  });
});

test('through the in-process apiserver: an @every CronJob creates a valid Job and records it in status', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { SqliteBackend } = await import('../../storage/sqlite/sqlite-backend.ts');
  const { APIServer } = await import('../../apiserver/server.ts');
  const { KubeletConnections } = await import('../../apiserver/kubelet-client.ts');
  const { TokenAuthenticator } = await import('../../apiserver/auth/token.ts');
  const { startControllers } = await import('../manager.ts');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cj-'));
  const backend = SqliteBackend.open(join(dir, 'state.db'));
  const api = new APIServer({ backend, kubelets: new KubeletConnections(), authenticator: new TokenAuthenticator() });
  const ac = new AbortController();
  try {
    const c = api.inProcessClient();
    await startControllers(c, ac.signal, { workers: 2, controllers: ['namespace', 'cronjob'] });
    const cj: KubeObject = await c.create(CronJobsGVR, 'default', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: { schedule: '@every 1s', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    });
    let jobs: KubeObject[] = [];
    await until(async () => (jobs = (await c.list(JobsGVR, 'default')).items).length >= 1, 'a Job', 30_000);
    const j = jobs[0] as any;
    assert.match(j.metadata.name, /^tick-\d+$/);
    assert.equal(j.metadata.ownerReferences[0].uid, cj.metadata?.uid);
    assert.ok(j.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], 'Job strategy generated the selector');
    await until(async () => ((await c.get(CronJobsGVR, 'default', 'tick')).status as any)?.lastScheduleTime !== undefined, 'lastScheduleTime', 30_000);
  } finally {
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    await api.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
