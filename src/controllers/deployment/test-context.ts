/**
 * Test-only DeploymentContext over a FakeClient: the RS lister reads the fake's current objects,
 * requeues are recorded instead of scheduled.
 */
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { Indexer, Lister } from '../../client/informer.ts';
import { FakeRecorder } from '../../client/record.ts';
import type { DeploymentContext } from './sync.ts';
import type { DeploymentObj, RSObj } from './util/deployment-util.ts';

/** A DeploymentContext whose lister mirrors `client` at call time. */
export function fakeDeploymentContext(client: FakeClient, now: () => number = () => Date.now()) {
  const recorder = new FakeRecorder();
  const requeues: { key: string; ms: number }[] = [];
  const ctx: DeploymentContext = {
    client,
    recorder,
    get rsLister() {
      const idx = new Indexer<RSObj>();
      for (const o of client.peekAll<RSObj & KubeObject>(GVR.replicasets)) idx.set(o);
      return new Lister(idx);
    },
    now,
    enqueueAfter: (d: DeploymentObj, ms: number) => requeues.push({ key: `${d.metadata?.namespace}/${d.metadata?.name}`, ms }),
    enqueueRateLimited: (d: DeploymentObj) => requeues.push({ key: `${d.metadata?.namespace}/${d.metadata?.name}`, ms: -1 }),
  };
  return { ctx, recorder, requeues };
}
