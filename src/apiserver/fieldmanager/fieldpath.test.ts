import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, fieldSetFromFieldsV1, fieldSetToFieldsV1, keyElement, pathString, valueElement } from './fieldpath.ts';

describe('FieldsV1 encoding (structured-merge-diff serialize.go)', () => {
  test('round trip: leaves are {}, members with children carry "."', () => {
    const fv = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:finalizers': { '.': {}, 'v:"example.com/x"': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } },
        'f:replicas': {},
      },
    };
    const s = fieldSetFromFieldsV1(fv);
    assert.equal(s.size(), 10);
    assert.ok(s.has(['f:metadata', 'f:labels']));
    assert.ok(s.has(['f:spec', 'f:replicas']));
    assert.ok(!s.has(['f:spec']));
    assert.deepEqual(fieldSetToFieldsV1(s), fv);
  });

  test('key elements are canonical (fields sorted, compact JSON) whatever the input order', () => {
    assert.equal(keyElement({ protocol: 'TCP', containerPort: 80 }), 'k:{"containerPort":80,"protocol":"TCP"}');
    const s = fieldSetFromFieldsV1({ 'f:ports': { 'k:{"protocol":"TCP", "containerPort":80}': {} } });
    assert.ok(s.has(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']));
    assert.equal(valueElement('a'), 'v:"a"');
  });

  test('invalid FieldsV1 is rejected', () => {
    assert.throws(() => fieldSetFromFieldsV1({ 'x:y': {} }), /unknown path element type/);
    assert.throws(() => fieldSetFromFieldsV1({ 'k:notjson': {} }), /invalid key element/);
    assert.throws(() => fieldSetFromFieldsV1({ 'f:a': 3 }), /expected an object/);
    assert.throws(() => fieldSetFromFieldsV1({ 'i:-1': {} }), /invalid index element/);
    assert.throws(() => fieldSetFromFieldsV1([]), /expected an object/);
  });

  test('paths print as upstream fieldpath.Path.String()', () => {
    assert.equal(pathString(['f:spec', 'f:replicas']), '.spec.replicas');
    assert.equal(pathString(['f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image']), '.spec.containers[name="nginx"].image');
    assert.equal(pathString(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']), '.ports[containerPort=80,protocol="TCP"]');
    assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"a"']), '.metadata.finalizers[="a"]');
    assert.equal(pathString(['f:args', 'i:2']), '.args[2]');
  });

  test('set algebra is member-wise: a parent that is only a path to members is not a member', () => {
    const a = new FieldSet().insert(['f:a', 'f:b']).insert(['f:a', 'f:c']).insert(['f:d']);
    const b = new FieldSet().insert(['f:a', 'f:b']).insert(['f:a']);
    assert.deepEqual(fieldSetToFieldsV1(a.difference(b)), { 'f:a': { 'f:c': {} }, 'f:d': {} });
    assert.deepEqual(fieldSetToFieldsV1(a.intersection(b)), { 'f:a': { 'f:b': {} } });
    assert.deepEqual(fieldSetToFieldsV1(a.union(b)), { 'f:a': { '.': {}, 'f:b': {}, 'f:c': {} }, 'f:d': {} });
    const paths: string[] = [];
    a.union(b).iterate((p) => paths.push(pathString(p)));
    assert.deepEqual(paths, ['.a', '.a.b', '.a.c', '.d']);
  });
});
