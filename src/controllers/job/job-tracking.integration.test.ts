/**
 * Job tracking finalizers against the real apiserver pipeline with simulated nodes (in-process):
 * a Job of completions 5 / parallelism 2 whose pods are deleted as soon as they succeed still ends
 * with exactly succeeded 5, failed 0; deleting a Job (background propagation, as kubectl does) and
 * deleting a namespace still remove pods that carry the tracking finalizer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startInProcessCluster, type InProcessCluster } from '../../../test/support/in-process-cluster.ts';
import { GVR, type Client, type KubeObject } from '../../client/interface.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { JobsGVR } from './job-controller.ts';
import { JobTrackingFinalizer } from './tracking.ts';

let c: Client;
let cluster: InProcessCluster;

before(async () => {
  cluster = await startInProcessCluster({
    nodes: { count: 2, clusterCIDR: '10.78.0.0/16', leaseRenewIntervalMs: 1000 },
    controllers: { controllers: ['job', 'garbagecollector', 'namespace'] },
  });
  c = cluster.client;
});

after(async () => {
  await cluster?.stop();
});

function jobObj(ns: string, name: string, completions: number, parallelism: number, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      completions,
      parallelism,
      template: {
        metadata: annotations ? { annotations } : {},
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
      },
    },
  };
}

const podsOf = async (ns: string, job: string) => (await c.list<any>(GVR.pods, ns, { labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;

test('completions 5 / parallelism 2, every pod deleted right after it succeeds: succeeded is exactly 5', async () => {
  await c.create(JobsGVR, 'default', jobObj('default', 'burst', 5, 2, { 'skiff.io/simulated-complete-delay': '300ms' }));
  const deleted = new Set<string>();
  let maxActive = 0;
  let stop = false;
  // A "user" that deletes every pod the moment it is seen Succeeded.
  const reaper = (async () => {
    while (!stop) {
      for (const p of await podsOf('default', 'burst')) {
        if (!p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') continue;
        if (p.status?.phase === 'Succeeded' && !deleted.has(p.metadata.uid)) {
          deleted.add(p.metadata.uid);
          await c.delete(GVR.pods, 'default', p.metadata.name).catch((e) => {
            if (!isNotFound(e)) throw e;
          });
        }
      }
      const j = await c.get<any>(JobsGVR, 'default', 'burst');
      maxActive = Math.max(maxActive, j.status?.active ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const job = await eventually(
      'Job Complete',
      async () => {
        const j = await c.get<any>(JobsGVR, 'default', 'burst');
        return j.status?.conditions?.some((x: any) => x.type === 'Complete' && x.status === 'True') && j;
      },
      90_000,
    );
    assert.equal(job.status.succeeded, 5);
    assert.equal(job.status.failed, 0);
    assert.deepEqual(job.status.uncountedTerminatedPods ?? {}, {});
    assert.ok(job.status.completionTime);
    assert.ok(maxActive <= 2, `active never above parallelism (saw ${maxActive})`);
    // Every pod that succeeded was deleted by the reaper, and every one of them is gone (finalizer removed).
    assert.equal(deleted.size, 5);
    await eventually('deleted pods gone', async () => (await podsOf('default', 'burst')).length === 0, 30_000);
  } finally {
    stop = true;
    await reaper;
  }
});

test('pods carry the finalizer and the Job labels; deleting the Job (background) removes its running pods', async () => {
  const created = await c.create<any>(JobsGVR, 'default', jobObj('default', 'longrun', 4, 2, { 'skiff.io/simulated-complete-delay': '600s' }));
  const pods = await eventually('2 running pods', async () => {
    const ps = await podsOf('default', 'longrun');
    return ps.length === 2 && ps.every((p: any) => p.status?.phase === 'Running') && ps;
  });
  for (const p of pods) {
    assert.deepEqual(p.metadata.finalizers, [JobTrackingFinalizer]);
    assert.equal(p.metadata.labels['job-name'], 'longrun');
    assert.equal(p.metadata.labels['controller-uid'], created.metadata.uid);
    assert.equal(p.metadata.labels['batch.kubernetes.io/controller-uid'], created.metadata.uid);
  }
  await c.delete(JobsGVR, 'default', 'longrun', { propagationPolicy: 'Background' });
  await eventually('pods of the deleted Job gone', async () => (await podsOf('default', 'longrun')).length === 0, 60_000);
});

test('deleting a namespace removes a running Job and its finalizer-holding pods', async () => {
  await c.create(GVR.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jobs-gone' } });
  await c.create(JobsGVR, 'jobs-gone', jobObj('jobs-gone', 'w', 3, 3, { 'skiff.io/simulated-complete-delay': '600s' }));
  await eventually('3 running pods', async () => {
    const ps = await podsOf('jobs-gone', 'w');
    return ps.length === 3 && ps.every((p: any) => p.status?.phase === 'Running');
  });
  await c.delete(GVR.namespaces, undefined, 'jobs-gone');
  await eventually(
    'namespace gone',
    async () => {
      try {
        await c.get(GVR.namespaces, undefined, 'jobs-gone');
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    },
    90_000,
  );
});
