import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setDefaultsDaemonSet } from './defaults.ts';
import { validateDaemonSet, validateDaemonSetUpdate } from './validation.ts';
import { daemonSetStrategy, DaemonSetTemplateGenerationAnnotation } from './strategy.ts';
import { daemonSetTable } from './printer.ts';
import type { KubeObject } from '../../../../client/interface.ts';

const ds = (): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default', resourceVersion: '1' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

test('DaemonSet defaults: RollingUpdate maxUnavailable 1 maxSurge 0, revisionHistoryLimit 10, restartPolicy Always', () => {
  const o = ds();
  setDefaultsDaemonSet(o);
  const spec = o.spec as any;
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.template.spec.restartPolicy, 'Always');
  const od = ds();
  (od.spec as any).updateStrategy = { type: 'OnDelete' };
  setDefaultsDaemonSet(od);
  assert.deepEqual((od.spec as any).updateStrategy, { type: 'OnDelete' });
});

test('DaemonSet validation: selector required and matching, restartPolicy Always, strategy', () => {
  const ok = ds();
  setDefaultsDaemonSet(ok);
  assert.deepEqual(validateDaemonSet(ok), []);

  const noSel = ds();
  delete (noSel.spec as any).selector;
  setDefaultsDaemonSet(noSel);
  assert.ok(validateDaemonSet(noSel).some((e) => e.field === 'spec.selector' && e.type === 'FieldValueRequired'));

  const mismatch = ds();
  (mismatch.spec as any).template.metadata.labels = { app: 'other' };
  setDefaultsDaemonSet(mismatch);
  assert.ok(validateDaemonSet(mismatch).some((e) => e.field === 'spec.template.metadata.labels' && e.detail === '`selector` does not match template `labels`'));

  const never = ds();
  setDefaultsDaemonSet(never);
  (never.spec as any).template.spec.restartPolicy = 'Never';
  assert.ok(validateDaemonSet(never).some((e) => e.field === 'spec.template.spec.restartPolicy' && e.type === 'FieldValueNotSupported'));

  const both = ds();
  (both.spec as any).updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } };
  setDefaultsDaemonSet(both);
  assert.deepEqual(validateDaemonSet(both).map((e) => [e.field, e.detail]), [['spec.updateStrategy.rollingUpdate.maxSurge', 'may not be set when maxUnavailable is non-zero']]);

  const bad = ds();
  (bad.spec as any).updateStrategy = { type: 'Recreate' };
  setDefaultsDaemonSet(bad);
  assert.deepEqual(validateDaemonSet(bad).map((e) => [e.field, e.type]), [['spec.updateStrategy.type', 'FieldValueNotSupported']]);
});

test('DaemonSet update: selector is immutable', () => {
  const old = ds();
  setDefaultsDaemonSet(old);
  const n = structuredClone(old);
  (n.spec as any).selector = { matchLabels: { app: 'agent', x: 'y' } };
  (n.spec as any).template.metadata.labels.x = 'y';
  assert.deepEqual(validateDaemonSetUpdate(n, old).map((e) => [e.field, e.detail]), [['spec.selector', 'field is immutable']]);
});

test('DaemonSet strategy: generation and template generation', () => {
  const o = ds();
  setDefaultsDaemonSet(o);
  daemonSetStrategy.prepareForCreate(o);
  assert.equal(o.metadata!.generation, 1);
  assert.equal(o.metadata!.annotations![DaemonSetTemplateGenerationAnnotation], '1');
  const n = structuredClone(o);
  (n.spec as any).template.spec.containers[0].image = 'busybox:2';
  daemonSetStrategy.prepareForUpdate(n, o);
  assert.equal(n.metadata!.generation, 2);
  assert.equal(n.metadata!.annotations![DaemonSetTemplateGenerationAnnotation], '2');
  const m = structuredClone(n);
  (m.spec as any).minReadySeconds = 5;
  daemonSetStrategy.prepareForUpdate(m, n);
  assert.equal(m.metadata!.generation, 3);
  assert.equal(m.metadata!.annotations![DaemonSetTemplateGenerationAnnotation], '2');
});

test('DaemonSet printer columns', () => {
  assert.deepEqual(daemonSetTable.columns.map((c) => c.name), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
  const o = ds();
  (o.spec as any).template.spec.nodeSelector = { disk: 'ssd' };
  o.status = { desiredNumberScheduled: 3, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 };
  const cells = daemonSetTable.cells(o, Date.now());
  assert.deepEqual(cells.slice(0, 7), ['agent', 3, 2, 1, 2, 1, 'disk=ssd']);
  assert.deepEqual(cells.slice(8), ['c', 'busybox', 'app=agent']);
});
