/**
 * The DaemonSet cases of shared/cases/taints-tolerations.json as table tests:
 * - daemonPodDefaultTolerations → {@link daemonPodDefaultTolerations} (as a set);
 * - daemonNodeShouldRun → {@link nodeShouldRunDaemonPod} for both update strategies;
 * - daemonSync → one `syncDaemonSet` over a FakeClient with a recording pod control (creates/deletes).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { loadCases } from '../../machinery/testdata.ts';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import { SharedInformerFactory } from '../../client/informer-factory.ts';
import { FakeRecorder } from '../../client/record.ts';
import type { PodControlInterface } from '../shared/pod-control.ts';
import { daemonPodDefaultTolerations, nodeShouldRunDaemonPod, type DSObj } from './util.ts';
import { DaemonSetsController, daemonSetsGVR } from './daemonset-controller.ts';

const cases = loadCases('taints-tolerations.json').cases;

function dsFromCase(d: Record<string, any>, strategy: 'RollingUpdate' | 'OnDelete'): DSObj {
  const labels = d.podTemplateLabels ?? { name: 'simple-daemon', type: 'production' };
  const container: Record<string, unknown> = { name: 'c', image: 'foo/bar' };
  if (d.requests) container.resources = { requests: d.requests };
  if (d.hostPorts) container.ports = d.hostPorts.map((p: number) => ({ containerPort: p, hostPort: p }));
  const spec: Record<string, unknown> = { containers: [container] };
  if (d.nodeSelector) spec.nodeSelector = d.nodeSelector;
  if (d.nodeName) spec.nodeName = d.nodeName;
  if (d.tolerations) spec.tolerations = d.tolerations;
  if (d.requiredNodeAffinity) spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: d.requiredNodeAffinity } } };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ds', namespace: 'default', annotations: { 'deprecated.daemonset.template.generation': '1' } },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec } as unknown as PodTemplateSpec,
      updateStrategy: strategy === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    },
  } as DSObj;
}

function nodeFromCase(n: Record<string, any>): Node {
  return {
    metadata: { name: n.name ?? 'test-node', labels: n.labels ?? {} },
    spec: { ...(n.taints ? { taints: n.taints } : {}), ...(n.unschedulable ? { unschedulable: true } : {}) },
    status: { ...(n.allocatable ? { allocatable: n.allocatable } : {}) },
  };
}

const tolKey = (t: Record<string, unknown>) => JSON.stringify([t.key, t.operator, t.value ?? '', t.effect, t.tolerationSeconds ?? null]);

describe('taints-tolerations.json: daemonPodDefaultTolerations', () => {
  for (const c of cases.filter((x) => x.kind === 'daemonPodDefaultTolerations')) {
    test(`${c.id} hostNetwork=${c.hostNetwork}`, () => {
      const got = daemonPodDefaultTolerations(c.hostNetwork === true).map((t) => tolKey(t as Record<string, unknown>)).sort();
      const want = (c.expectedTolerations as Record<string, unknown>[]).map(tolKey).sort();
      assert.deepEqual(got, want);
    });
  }
});

describe('taints-tolerations.json: daemonNodeShouldRun', () => {
  for (const c of cases.filter((x) => x.kind === 'daemonNodeShouldRun')) {
    for (const strategy of ['RollingUpdate', 'OnDelete'] as const) {
      test(`${c.id} ${c.name} (${strategy})`, () => {
        const got = nodeShouldRunDaemonPod(nodeFromCase(c.node), dsFromCase(c.daemonSet, strategy));
        assert.deepEqual(got, { shouldRun: c.shouldRun, shouldContinueRunning: c.shouldContinueRunning });
      });
    }
  }
});

/** A PodControl that records instead of writing. */
class RecordingPodControl implements PodControlInterface {
  creates: { namespace: string; template: PodTemplateSpec }[] = [];
  deletes: string[] = [];
  async createPods(namespace: string, template: PodTemplateSpec, _c: KubeObject, _r: OwnerReference): Promise<Pod> {
    this.creates.push({ namespace, template });
    return { metadata: { name: `p${this.creates.length}`, namespace } };
  }
  async deletePod(_namespace: string, name: string): Promise<void> {
    this.deletes.push(name);
  }
  async patchPod(): Promise<void> {}
}

/** Parses "4 nodes without labels + 3 nodes labelled color=blue,speed=fast" / "1 node". */
function nodesFromDescription(desc: string): Node[] {
  const out: Node[] = [];
  for (const part of desc.split('+').map((s) => s.trim())) {
    const m = /^(\d+) nodes?(?: without labels)?(?: labelled (\S+))?$/.exec(part);
    if (!m) throw new Error(`unparsed node description: ${part}`);
    const labels = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
    for (let i = 0; i < Number(m[1]); i++) out.push({ metadata: { name: `node-${out.length}`, labels } });
  }
  return out;
}

describe('taints-tolerations.json: daemonSync', () => {
  for (const c of cases.filter((x) => x.kind === 'daemonSync')) {
    for (const strategy of ['RollingUpdate', 'OnDelete'] as const) {
      test(`${c.id} ${c.name} (${strategy})`, async () => {
        const client = new FakeClient();
        for (const n of nodesFromDescription(c.nodes)) await client.create(GVR.nodes, undefined, n as KubeObject);
        const ds = await client.create<DSObj>(daemonSetsGVR, 'default', dsFromCase(c.daemonSet ?? {}, strategy));
        const labels = ds.spec!.template.metadata!.labels!;
        const ownerRef = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: ds.metadata!.uid!, controller: true, blockOwnerDeletion: true };
        const existing = c.existingPods ?? {};
        const mk = async (i: number, status: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
          client.create(GVR.pods, 'default', {
            apiVersion: 'v1', kind: 'Pod',
            metadata: { name: `existing-${i}`, namespace: 'default', labels: { ...labels, 'pod-template-generation': '1' }, ownerReferences: [ownerRef], ...extra },
            spec: { nodeName: 'node-0', containers: [{ name: 'c', image: 'foo/bar' }] },
            status,
          } as KubeObject);
        let i = 0;
        for (let k = 0; k < (existing.failed ?? 0); k++) await mk(i++, { phase: 'Failed' });
        for (let k = 0; k < (existing.running ?? 0); k++) await mk(i++, { phase: 'Running' });
        for (let k = 0; k < (existing.terminating ?? 0); k++) await mk(i++, { phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 });

        const factory = new SharedInformerFactory(client);
        const podControl = new RecordingPodControl();
        const dsc = new DaemonSetsController({ client, factory, recorder: new FakeRecorder(), podControl });
        const ac = new AbortController();
        factory.start(ac.signal);
        try {
          assert.ok(await factory.waitForCacheSync(ac.signal));
          await dsc.syncDaemonSet('default/ds');
          assert.equal(podControl.creates.length, c.expectedCreates ?? 0, 'creates');
          assert.equal(podControl.deletes.length, c.expectedDeletes ?? 0, 'deletes');
        } finally {
          ac.abort();
          await factory.shutdown();
        }
      });
    }
  }
});
