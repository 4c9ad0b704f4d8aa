/** StatefulSet defaults, validation (create, update-forbidden fields, status) and printer. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { setDefaultsStatefulSet } from './defaults.ts';
import { validateStatefulSet, validateStatefulSetStatusUpdate, validateStatefulSetUpdate } from './validation.ts';
import { statefulSetTable } from './printer.ts';

const sts = (): KubeObject => {
  const o: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '1' },
    spec: {
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/d' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  setDefaultsStatefulSet(o);
  return o;
};
const msgs = (errs: ReturnType<typeof validateStatefulSet>) => errs.map(fieldErrorString);

describe('StatefulSet API', () => {
  test('defaults: OrderedReady, RollingUpdate partition 0, replicas 1, revisionHistoryLimit 10, Retain/Retain', () => {
    const s = sts().spec as any;
    assert.equal(s.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(s.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.equal(s.replicas, 1);
    assert.equal(s.revisionHistoryLimit, 10);
    assert.deepEqual(s.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(s.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  });

  test('a valid set (volumeMounts may name a volumeClaimTemplate) passes', () => {
    assert.deepEqual(msgs(validateStatefulSet(sts())), []);
  });

  test('selector must match the template labels; bad policy and update strategy are rejected', () => {
    const o = sts();
    (o.spec as any).template.metadata.labels = { app: 'other' };
    (o.spec as any).podManagementPolicy = 'Sometimes';
    (o.spec as any).updateStrategy = { type: 'OnDelete', rollingUpdate: { partition: 1 } };
    const m = msgs(validateStatefulSet(o));
    assert.ok(m.some((x) => x.startsWith('spec.template.metadata.labels: Invalid value') && x.endsWith('`selector` does not match template `labels`')), m.join('\n'));
    assert.ok(m.some((x) => x.startsWith('spec.podManagementPolicy: Invalid value')), m.join('\n'));
    assert.ok(m.some((x) => x.startsWith('spec.updateStrategy.rollingUpdate: Invalid value') && x.endsWith("only allowed for updateStrategy 'RollingUpdate'")), m.join('\n'));
  });

  test('update: replicas/template/updateStrategy may change, serviceName may not', () => {
    const old = sts();
    const ok = structuredClone(old);
    (ok.spec as any).replicas = 5;
    (ok.spec as any).template.spec.containers[0].image = 'nginx:2';
    (ok.spec as any).updateStrategy.rollingUpdate.partition = 2;
    assert.deepEqual(msgs(validateStatefulSetUpdate(ok, old)), []);
    const bad = structuredClone(old);
    (bad.spec as any).serviceName = 'other';
    assert.deepEqual(msgs(validateStatefulSetUpdate(bad, old)), [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  test('status: collisionCount cannot be decremented', () => {
    const old = sts();
    (old as any).status = { replicas: 1, collisionCount: 2 };
    const cur = structuredClone(old);
    (cur as any).status = { replicas: 1, collisionCount: 1 };
    assert.deepEqual(msgs(validateStatefulSetStatusUpdate(cur, old)), ['status.collisionCount: Invalid value: 1: cannot be decremented']);
  });

  test('printer: NAME READY AGE, wide CONTAINERS IMAGES', () => {
    assert.deepEqual(statefulSetTable.columns.map((c) => c.name), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
    const o = sts();
    (o.spec as any).replicas = 3;
    (o as any).status = { readyReplicas: 2 };
    (o.metadata as any).creationTimestamp = new Date(Date.now() - 65_000).toISOString();
    const cells = statefulSetTable.cells(o, Date.now());
    assert.deepEqual([cells[0], cells[1], cells[3], cells[4]], ['web', '2/3', 'c', 'nginx']);
  });
});
