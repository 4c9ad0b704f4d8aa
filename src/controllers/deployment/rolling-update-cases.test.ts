/**
 * Table test over shared/cases/rolling-update.json: every case runs against our deployment code
 * (util math directly; reconcile/scale functions against a FakeClient).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from '../../machinery/testdata.ts';
import { FakeClient } from '../../client/fake-client.ts';
import { GVR, type KubeObject } from '../../client/interface.ts';
import {
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  deploymentComplete,
  filterActiveReplicaSets,
  getReplicaSetFraction,
  getScaledValueFromIntOrPercent,
  maxUnavailable,
  minAvailable,
  newRSNewReplicas,
  resolveFenceposts,
  type DeploymentObj,
  type RSObj,
} from './util/deployment-util.ts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets, cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate } from './rolling.ts';
import { scale } from './sync.ts';
import { fakeDeploymentContext } from './test-context.ts';

const file = loadCases('rolling-update.json');

function deployment(opts: {
  replicas: number | null;
  maxSurge?: number | string | null;
  maxUnavailable?: number | string | null;
  strategy?: string;
  statusReplicas?: number;
}): DeploymentObj {
  const strategy =
    (opts.strategy ?? 'RollingUpdate') === 'RollingUpdate'
      ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: opts.maxSurge ?? 0, maxUnavailable: opts.maxUnavailable ?? 0 } }
      : { type: 'Recreate' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'foo', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      ...(opts.replicas === null ? {} : { replicas: opts.replicas }),
      selector: { matchLabels: { app: 'foo' } },
      template: { metadata: { labels: { app: 'foo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      strategy,
    },
    status: { replicas: opts.statusReplicas ?? 0 },
  } as unknown as DeploymentObj;
}

async function mkRS(
  c: FakeClient,
  name: string,
  replicas: number,
  available = 0,
  annotations: Record<string, string> = {},
  hash = name,
): Promise<RSObj> {
  const rs = await c.create<KubeObject>(GVR.replicasets, 'default', {
    metadata: { name, namespace: 'default', annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'foo', 'pod-template-hash': hash } },
      template: { metadata: { labels: { app: 'foo', 'pod-template-hash': hash } }, spec: { containers: [{ name: 'c', image: hash }] } },
    },
  });
  const st = await c.update<KubeObject>(GVR.replicasets, 'default', { ...rs, status: { replicas, availableReplicas: available } }, { subresource: 'status' });
  return st as RSObj;
}

const specReplicas = (c: FakeClient, name: string) => (c.peek(GVR.replicasets, 'default', name)!.spec as { replicas: number }).replicas;

describe('rolling-update.json', () => {
  for (const tc of file.cases) {
    test(`${tc.id} ${tc.kind}${tc.name ? `: ${tc.name}` : ''}`, async () => {
      switch (tc.kind) {
        case 'resolveFenceposts': {
          if (tc.expectError) {
            assert.throws(() => resolveFenceposts(tc.maxSurge, tc.maxUnavailable, tc.replicas));
          } else {
            assert.deepEqual(resolveFenceposts(tc.maxSurge, tc.maxUnavailable, tc.replicas), [tc.expectSurge, tc.expectUnavailable]);
          }
          return;
        }
        case 'scaledValue': {
          if (tc.expectError) assert.throws(() => getScaledValueFromIntOrPercent(tc.value, tc.total, tc.roundUp));
          else assert.equal(getScaledValueFromIntOrPercent(tc.value, tc.total, tc.roundUp), tc.expected);
          return;
        }
        case 'maxUnavailable': {
          const d = deployment({ replicas: tc.replicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable, strategy: tc.strategy });
          assert.equal(maxUnavailable(d), tc.expected);
          return;
        }
        case 'minAvailable': {
          const d = deployment({ replicas: tc.replicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable, strategy: tc.strategy });
          assert.equal(minAvailable(d), tc.expected);
          return;
        }
        case 'newRSNewReplicas': {
          const d = deployment({ replicas: tc.deploymentReplicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable, strategy: tc.strategy });
          const all = (tc.allRSReplicas as number[]).map((r, i) => ({ metadata: { name: `rs${i}` }, spec: { replicas: r } }) as unknown as RSObj);
          const newRS = { metadata: { name: 'new' }, spec: { replicas: tc.newRSReplicas } } as unknown as RSObj;
          assert.equal(newRSNewReplicas(d, all, newRS), tc.expected);
          return;
        }
        case 'reconcileNewReplicaSet': {
          const c = new FakeClient();
          const { ctx } = fakeDeploymentContext(c);
          const d = deployment({ replicas: tc.deploymentReplicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable });
          const oldRS = await mkRS(c, 'foo-old', tc.oldRSReplicas, tc.oldRSReplicas);
          const newRS = await mkRS(c, 'foo-new', tc.newRSReplicas);
          const [scaled] = await reconcileNewReplicaSet(ctx, [oldRS, newRS], newRS, d);
          assert.equal(scaled, tc.scaleExpected);
          if (tc.scaleExpected) assert.equal(specReplicas(c, 'foo-new'), tc.expectedNewReplicas);
          else assert.equal(specReplicas(c, 'foo-new'), tc.newRSReplicas);
          return;
        }
        case 'reconcileOldReplicaSets': {
          const c = new FakeClient();
          const { ctx } = fakeDeploymentContext(c);
          const d = deployment({ replicas: tc.deploymentReplicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable });
          const oldRS = await mkRS(c, 'foo-old', tc.oldRSReplicas, tc.oldRSAvailable);
          const newRS = await mkRS(c, 'foo-new', tc.newRSReplicas, tc.newRSAvailable);
          const [scaled] = await reconcileOldReplicaSets(ctx, [oldRS, newRS], filterActiveReplicaSets([oldRS]), newRS, d);
          assert.equal(scaled, tc.scaleExpected);
          if (tc.expectedOldReplicas !== undefined) assert.equal(specReplicas(c, 'foo-old'), tc.expectedOldReplicas);
          return;
        }
        case 'cleanupUnhealthyReplicas': {
          const c = new FakeClient();
          const { ctx } = fakeDeploymentContext(c);
          const d = deployment({ replicas: 10, maxSurge: 2, maxUnavailable: 2 });
          const oldRS = await mkRS(c, 'foo-old', tc.oldRSReplicas, tc.oldRSAvailable);
          const [, count] = await cleanupUnhealthyReplicas(ctx, [oldRS], d, tc.maxCleanupCount);
          assert.equal(count, tc.expectedCleanupCount);
          assert.equal(specReplicas(c, 'foo-old'), tc.oldRSReplicas - tc.expectedCleanupCount);
          return;
        }
        case 'scaleDownOldReplicaSetsForRollingUpdate': {
          const c = new FakeClient();
          const { ctx } = fakeDeploymentContext(c);
          const d = deployment({ replicas: tc.deploymentReplicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable });
          const oldRS = await mkRS(c, 'foo-old', tc.oldRSReplicas, tc.availableReplicas);
          const [n] = await scaleDownOldReplicaSetsForRollingUpdate(ctx, [oldRS], [oldRS], d);
          assert.equal(n > 0, tc.scaleExpected);
          if (tc.scaleExpected) assert.equal(specReplicas(c, 'foo-old'), tc.expectedOldReplicas);
          else assert.equal(specReplicas(c, 'foo-old'), tc.oldRSReplicas);
          return;
        }
        case 'proportionalScale': {
          const c = new FakeClient();
          let t = Date.parse('2026-01-01T00:00:00Z');
          c.now = () => t;
          const { ctx } = fakeDeploymentContext(c);
          const d = deployment({ replicas: tc.deploymentReplicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable });
          const defaults: Record<string, string> = {
            [DesiredReplicasAnnotation]: String(tc.previousDeploymentReplicas),
            [MaxReplicasAnnotation]: String(tc.previousDeploymentReplicas + tc.previousMaxSurge),
          };
          const ann = (name: string) => {
            const o = tc.annotationOverrides?.[name];
            return o ? { [DesiredReplicasAnnotation]: String(o['desired-replicas']), [MaxReplicasAnnotation]: String(o['max-replicas']) } : defaults;
          };
          const ageOrder: Record<string, number> = { older: 0, old: 1, new: 2 };
          const specs = [...tc.oldRSs, ...(tc.newRS ? [tc.newRS] : [])].sort((a: any, b: any) => ageOrder[a.age] - ageOrder[b.age]);
          const made = new Map<string, RSObj>();
          for (const s of specs) {
            made.set(s.name, await mkRS(c, s.name, s.replicas, s.availableReplicas ?? 0, ann(s.name)));
            t += 60_000;
          }
          const newRS = tc.newRS ? made.get(tc.newRS.name) : undefined;
          const oldRSs = tc.oldRSs.map((s: any) => made.get(s.name)!);
          await scale(ctx, d, newRS, oldRSs);
          for (const [name, want] of Object.entries(tc.expected as Record<string, number>)) assert.equal(specReplicas(c, name), want, name);
          return;
        }
        case 'replicaSetFraction': {
          const d = deployment({ replicas: tc.deploymentReplicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable, statusReplicas: tc.deploymentStatusReplicas });
          const rs = {
            metadata: { name: 'rs', annotations: tc.maxReplicasAnnotation === null ? {} : { [MaxReplicasAnnotation]: tc.maxReplicasAnnotation } },
            spec: { replicas: tc.rsReplicas },
          } as unknown as RSObj;
          assert.equal(getReplicaSetFraction(rs, d), tc.expected);
          return;
        }
        case 'deploymentComplete': {
          const d = deployment({ replicas: tc.replicas, maxSurge: tc.maxSurge, maxUnavailable: tc.maxUnavailable });
          assert.equal(
            deploymentComplete(d, { replicas: tc.statusReplicas, updatedReplicas: tc.updatedReplicas, availableReplicas: tc.availableReplicas, observedGeneration: 1 }),
            tc.expected,
          );
          return;
        }
        default:
          assert.fail(`unhandled case kind ${tc.kind}`);
      }
    });
  }
});
