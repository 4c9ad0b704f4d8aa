/**
 * Test support for the StatefulSet control: a FakeClient-backed stepper that runs one
 * `updateStatefulSet` step over the stored set, revisions and pods, recording the pod creates and
 * deletes it made, and a helper that marks pods Running + Ready (as a kubelet would).
 */
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { FakeRecorder } from '../../client/record.ts';
import { History, controllerRevisionsGVR, type ControllerRevision } from '../history/controller-history.ts';
import { StatefulPodControl, type StatefulPodControlInterface } from './stateful-pod-control.ts';
import { StatefulSetControl } from './stateful-set-control.ts';
import { isMemberOf, pvcsGVR, statefulSetsGVR, type PodObj, type PVC, type StsObj } from './stateful-set-utils.ts';

/** A StatefulSet `name` in `default` with selector/template labels `app=<name>`; `spec` is merged over the defaults. */
export function newStatefulSet(name: string, replicas: number, spec: Record<string, unknown> = {}): StsObj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      ...spec,
    },
  } as StsObj;
}

/** Marks `pod` (in place) Running, and Ready=True since a minute ago when `ready`. */
export function setPodStatus(pod: KubeObject, phase: string, ready: boolean): void {
  const t = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  (pod as { status?: unknown }).status = { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }] };
}

/** One stepper over a FakeClient; see module comment. */
export class Stepper {
  readonly client = new FakeClient();
  readonly recorder = new FakeRecorder();
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  readonly control: StatefulSetControl;

  constructor() {
    const real = new StatefulPodControl(this.client, { get: (ns, n) => this.client.peek<PVC>(pvcsGVR, ns, n) }, this.recorder);
    const rec: StatefulPodControlInterface = {
      createStatefulPod: async (s, p) => {
        // The fake client runs no pod strategy: give the pod the Pending phase the apiserver would.
        (p as KubeObject).status = { phase: 'Pending' };
        await real.createStatefulPod(s, p);
        this.created.push(p.metadata!.name!);
      },
      deleteStatefulPod: async (s, p) => {
        await real.deleteStatefulPod(s, p);
        this.deleted.push(p.metadata!.name!);
      },
      updateStatefulPod: (s, p) => real.updateStatefulPod(s, p),
      createMissingPersistentVolumeClaims: (s, p) => real.createMissingPersistentVolumeClaims(s, p),
      claimsMatchRetentionPolicy: (s, p) => real.claimsMatchRetentionPolicy(s, p),
      updatePodClaimForRetentionPolicy: (s, p) => real.updatePodClaimForRetentionPolicy(s, p),
    };
    this.control = new StatefulSetControl({ client: this.client, podControl: rec, history: new History(this.client), recorder: this.recorder });
  }

  /** The stored set. */
  set(name = 'web'): StsObj {
    return this.client.peek<StsObj>(statefulSetsGVR, 'default', name)!;
  }

  /** The set's pods in the store. */
  pods(name = 'web'): PodObj[] {
    return this.client.peekAll<PodObj>(GVR.pods, 'default').filter((p) => isMemberOf(this.set(name), p));
  }

  /** Runs one reconcile step; returns what it created and deleted. */
  async step(name = 'web'): Promise<{ create: string[]; delete: string[] }> {
    this.created.length = 0;
    this.deleted.length = 0;
    const revisions = this.client.peekAll<ControllerRevision>(controllerRevisionsGVR, 'default');
    await this.control.updateStatefulSet(this.set(name), revisions, this.pods(name));
    return { create: [...this.created], delete: [...this.deleted] };
  }

  /** Marks every pod of the set without Running+Ready as Running+Ready (status subresource). */
  async markReady(name = 'web'): Promise<void> {
    for (const p of this.pods(name)) {
      if (p.metadata?.deletionTimestamp) continue;
      if (p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const copy = structuredClone(p);
      setPodStatus(copy, 'Running', true);
      await this.client.update(GVR.pods, 'default', copy, { subresource: 'status' });
    }
  }
}
