import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ControllerRevisionHashLabel, controllerRevisionName, equalRevision, hashControllerRevision, newControllerRevision, nextRevision,
  revisionsToTruncate, sortControllerRevisions, type ControllerRevision,
} from './controller-history.ts';

const parent = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
const kind = { apiVersion: 'apps/v1', kind: 'DaemonSet' };

test('newControllerRevision: name, hash label, owner, namespace', () => {
  const cr = newControllerRevision(parent, kind, { app: 'web' }, { spec: { template: { a: 1 } } }, 3);
  const hash = cr.metadata.labels![ControllerRevisionHashLabel];
  assert.equal(cr.metadata.name, `web-${hash}`);
  assert.equal(cr.metadata.labels!.app, 'web');
  assert.equal(cr.metadata.namespace, 'default');
  assert.equal(cr.revision, 3);
  assert.deepEqual(cr.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
});

test('hashControllerRevision: depends on data and probe, not key order', () => {
  assert.equal(hashControllerRevision({ data: { a: 1, b: 2 } }), hashControllerRevision({ data: { b: 2, a: 1 } }));
  assert.notEqual(hashControllerRevision({ data: { a: 1 } }), hashControllerRevision({ data: { a: 2 } }));
  assert.notEqual(hashControllerRevision({ data: { a: 1 } }, 1), hashControllerRevision({ data: { a: 1 } }));
  assert.match(hashControllerRevision({ data: {} }), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

test('controllerRevisionName truncates the prefix to 223 characters', () => {
  assert.equal(controllerRevisionName('x'.repeat(300), 'h').length, 225);
});

const rev = (name: string, revision: number, hash = name): ControllerRevision => ({
  metadata: { name, labels: { [ControllerRevisionHashLabel]: hash } }, revision, data: { n: name },
});

test('sort, next revision, equality', () => {
  const rs = [rev('c', 3), rev('a', 1), rev('b', 2)];
  assert.deepEqual(sortControllerRevisions(rs).map((r) => r.metadata.name), ['a', 'b', 'c']);
  assert.equal(nextRevision(rs), 4);
  assert.equal(nextRevision([]), 1);
  assert.ok(equalRevision(rev('a', 1), rev('a', 5)));
  assert.ok(!equalRevision(rev('a', 1), rev('b', 1)));
});

test('revisionsToTruncate keeps live and current revisions and the newest `limit` others', () => {
  const rs = [rev('a', 1), rev('b', 2), rev('c', 3), rev('d', 4), rev('e', 5)];
  const out = revisionsToTruncate(rs, 1, new Set(['b']), new Set(['e']));
  assert.deepEqual(out.map((r) => r.metadata.name), ['a', 'c']);
  assert.deepEqual(revisionsToTruncate(rs, 10, new Set()), []);
});
