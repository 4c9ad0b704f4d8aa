/** PodTemplate validation (the template as a pod template spec), defaults, generation and printer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../client/interface.ts';
import { fieldErrorString } from '../../../../machinery/errors.ts';
import { podTemplateStrategy } from './strategy.ts';
import { podTemplateTable } from './printer.ts';

const pt = (template: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'web', namespace: 'ns' }, template });
const valid = () => pt({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }] } });

test('a defaulted valid template passes', () => {
  const o = valid();
  podTemplateStrategy.defaults(o);
  assert.equal((o.template as any).spec.restartPolicy, 'Always');
  assert.equal((o.template as any).spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(podTemplateStrategy.validate(o), []);
});

test('errors are reported under template.spec with upstream wording', () => {
  const o = pt({ spec: { containers: [{ name: 'Web', image: 'nginx' }] } });
  podTemplateStrategy.defaults(o);
  const errs = podTemplateStrategy.validate(o).map(fieldErrorString);
  assert.ok(errs.some((e) => e.startsWith('template.spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label')), errs.join('\n'));
  const none = pt({ spec: {} });
  podTemplateStrategy.defaults(none);
  assert.ok(podTemplateStrategy.validate(none).map(fieldErrorString).includes('template.spec.containers: Required value'));
});

test('generation: 1 on create, bumped when the template changes', () => {
  const o = valid();
  podTemplateStrategy.prepareForCreate(o);
  assert.equal(o.metadata?.generation, 1);
  const same = valid();
  podTemplateStrategy.prepareForUpdate(same, o);
  assert.equal(same.metadata?.generation, 1);
  const changed = valid();
  (changed.template as any).spec.containers[0].image = 'nginx:2';
  podTemplateStrategy.prepareForUpdate(changed, o);
  assert.equal(changed.metadata?.generation, 2);
});

test('printer: NAME, CONTAINERS, IMAGES, POD LABELS', () => {
  assert.deepEqual(podTemplateTable.columns.map((c) => c.name), ['Name', 'Containers', 'Images', 'Pod Labels']);
  assert.deepEqual(podTemplateTable.cells(valid(), Date.now()), ['web', 'web,side', 'nginx:1,busybox', 'app=web']);
  assert.deepEqual(podTemplateTable.cells(pt({ spec: { containers: [] } }), Date.now()).slice(3), ['<none>']);
});
