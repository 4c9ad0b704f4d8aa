import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateControllerRevision, validateControllerRevisionUpdate } from './validation.ts';
import { controllerRevisionControllerName } from './printer.ts';

const good = () => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-5d4f', namespace: 'default', resourceVersion: '1' }, data: { spec: {} }, revision: 1 });

test('ControllerRevision: data is mandatory, revision non-negative', () => {
  assert.deepEqual(validateControllerRevision(good()), []);
  const errs = validateControllerRevision({ ...good(), data: undefined, revision: -1 });
  assert.deepEqual(errs.map((e) => [e.field, e.type]), [['data', 'FieldValueRequired'], ['revision', 'FieldValueInvalid']]);
});

test('ControllerRevision: data is immutable; labels and revision (renumbered on rollback) are not', () => {
  const old = good();
  assert.deepEqual(validateControllerRevisionUpdate({ ...good(), metadata: { ...old.metadata, labels: { a: 'b' } }, revision: 3 }, old), []);
  const errs = validateControllerRevisionUpdate({ ...good(), data: { spec: { x: 1 } }, revision: 2 }, old);
  assert.deepEqual(errs.map((e) => [e.field, e.detail]), [['data', 'field is immutable']]);
});

test('ControllerRevision printer: controller column', () => {
  const cr = { metadata: { name: 'x', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u', controller: true }] } };
  assert.equal(controllerRevisionControllerName(cr), 'daemonset.apps/web');
  assert.equal(controllerRevisionControllerName({ metadata: { name: 'x' } }), '<none>');
});
