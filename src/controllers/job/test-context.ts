/**
 * Test helpers for the Job controller: a FakeClient-backed controller with a settable clock,
 * Job/Pod builders, and a fake "kubelet" that moves pods to Running/Succeeded/Failed.
 */
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import { rfc3339 } from '../../client/object-util.ts';
import { setDefaultsJob } from '../../api/batch/v1/job/defaults.ts';
import { generateSelector } from '../../api/batch/v1/job/validation.ts';
import { JobController, JobsGVR } from './job-controller.ts';
import { JobTrackingFinalizer } from './tracking.ts';

/** A controller over a FakeClient with a manual clock (`ctx.clock.now`, ms). */
export interface JobTestContext {
  c: FakeClient;
  ctl: JobController;
  recorder: FakeRecorder;
  clock: { now: number };
  /** Starts the workers (for end-to-end controller tests); table tests call `ctl.syncJob` directly. */
  runWorkers(): void;
  stop(): Promise<void>;
}

/**
 * Builds the context; informers are started and synced. With `client`, a new controller runs over
 * an existing FakeClient (a controller restart: fresh caches and expectations, same stored state).
 */
export async function newJobTestContext(client?: FakeClient): Promise<JobTestContext> {
  const c = client ?? new FakeClient();
  const factory = new SharedInformerFactory(c);
  const recorder = new FakeRecorder();
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const ctl = new JobController({ client: c, factory, recorder, now: () => clock.now });
  const ac = new AbortController();
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  let run: Promise<void> | undefined;
  return {
    c,
    ctl,
    recorder,
    clock,
    runWorkers() {
      run = ctl.run(2, ac.signal);
    },
    async stop() {
      ac.abort();
      ctl.queue.shutDown();
      await run;
      await factory.shutdown();
    },
  };
}

/**
 * Creates a Job as the apiserver would store it: defaults applied, selector generated from the
 * uid, optional initial status written through `/status`.
 */
export async function createJob(c: FakeClient, name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): Promise<KubeObject> {
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
  };
  setDefaultsJob(job);
  let created = await c.create(JobsGVR, 'default', job);
  generateSelector(created);
  created = await c.update(JobsGVR, 'default', created);
  if (status) created = await c.update(JobsGVR, 'default', { ...created, status }, { subresource: 'status' });
  return created;
}

/** Pods of the Job (controller ownerRef uid), optionally filtered by phase ('active' = not terminal). */
export function jobPods(c: FakeClient, job: KubeObject, phase?: 'active' | 'Succeeded' | 'Failed'): KubeObject[] {
  return c.peekAll(GVR.pods, 'default').filter((p) => {
    if (!p.metadata?.ownerReferences?.some((r) => r.uid === job.metadata?.uid && r.controller)) return false;
    const ph = (p.status as { phase?: string } | undefined)?.phase;
    if (phase === 'active') return ph !== 'Succeeded' && ph !== 'Failed';
    return phase === undefined || ph === phase;
  });
}

/**
 * Creates a pod of the Job already in `phase`, finished at `finishedAtMs` (for Succeeded/Failed),
 * with the tracking finalizer as the controller creates its pods (so it is still to be counted).
 */
export async function addJobPod(c: FakeClient, job: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed', finishedAtMs: number, annotations?: Record<string, string>): Promise<KubeObject> {
  const tmpl = (job.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
  const pod = await c.create(GVR.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${job.metadata!.name}-`,
      labels: { ...tmpl.metadata.labels },
      ...(annotations ? { annotations } : {}),
      finalizers: [JobTrackingFinalizer],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata!.name!, uid: job.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  return setPodPhase(c, pod, phase, finishedAtMs);
}

/** Moves a pod to `phase` through `/status` (terminated containers carry `finishedAt`). */
export async function setPodPhase(c: FakeClient, pod: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed', atMs: number, restartCount = 0): Promise<KubeObject> {
  const cur = c.peek(GVR.pods, 'default', pod.metadata!.name!)!;
  const state =
    phase === 'Running'
      ? { running: { startedAt: rfc3339(atMs) } }
      : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', finishedAt: rfc3339(atMs) } };
  const status = {
    phase,
    conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: rfc3339(atMs) }],
    containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: phase === 'Running', restartCount, state }],
  };
  return c.update(GVR.pods, 'default', { ...cur, status }, { subresource: 'status' });
}

/** The stored Job. */
export function getJob(c: FakeClient, name: string): KubeObject & { status?: any; spec?: any } {
  return c.peek(JobsGVR, 'default', name)!;
}

/** Enqueues and syncs the Job `name` directly (no workers). */
export async function syncJob(ctx: JobTestContext, name: string): Promise<void> {
  await ctx.ctl.syncJob(`default/${name}`);
}
