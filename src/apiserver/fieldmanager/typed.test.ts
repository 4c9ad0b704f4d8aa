import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, merge } from './typed.ts';
import { fieldSetToFieldsV1 } from './fieldpath.ts';
import type { TypeNode } from './schema.ts';

const byName: TypeNode = { fields: { items: { list: 'map', keys: ['name'] }, tags: { list: 'set' } } };
const names = (o: unknown) => ((o as { items: Array<{ name: string }> }).items).map((i) => i.name);

test('associative list merge order follows structured-merge-diff visitListItems', () => {
  const live = { items: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
  assert.deepEqual(names(merge(live, { items: [{ name: 'c' }, { name: 'a' }] }, byName)), ['b', 'c', 'a']);
  assert.deepEqual(names(merge({ items: [{ name: 'a' }, { name: 'b' }] }, { items: [{ name: 'a' }, { name: 'x' }, { name: 'b' }] }, byName)), ['a', 'x', 'b']);
  assert.deepEqual(names(merge(live, { items: [{ name: 'z' }] }, byName)), ['a', 'b', 'c', 'z']);
  assert.deepEqual(merge({ tags: ['x', 'y'] }, { tags: ['z', 'x'] }, byName), { tags: ['z', 'x', 'y'] });
});

test('merge: items merge field by field, null removes a field, atomic lists are replaced', () => {
  const out = merge({ items: [{ name: 'a', image: 'i', pull: 'Always' }], args: ['1'] }, { items: [{ name: 'a', image: 'j', pull: null }], args: ['2', '3'] }, byName);
  assert.deepEqual(out, { items: [{ name: 'a', image: 'j' }], args: ['2', '3'] });
});

test('compare: added containers carry "." and a changed leaf is modified', () => {
  const c = compare({ items: [{ name: 'a', v: 1 }] }, { items: [{ name: 'a', v: 2 }, { name: 'b' }], extra: { k: 'v' } }, byName);
  assert.deepEqual(fieldSetToFieldsV1(c.modified), { 'f:items': { 'k:{"name":"a"}': { 'f:v': {} } } });
  assert.deepEqual(fieldSetToFieldsV1(c.added), { 'f:extra': { '.': {}, 'f:k': {} }, 'f:items': { 'k:{"name":"b"}': { '.': {}, 'f:name': {} } } });
  assert.ok(c.removed.empty());
});

test('a "__proto__" key (valid in ConfigMap data) is an ordinary field', () => {
  const live = JSON.parse('{"data":{"a":"1"}}');
  const cfg = JSON.parse('{"data":{"__proto__":"x"}}');
  const out = merge(live, cfg, undefined) as { data: Record<string, unknown> };
  assert.deepEqual(Object.keys(out.data), ['a', '__proto__']);
  assert.equal(Object.getPrototypeOf(out.data), Object.prototype);
  const c = compare(live, out, undefined);
  assert.deepEqual(fieldSetToFieldsV1(c.added), { 'f:data': { 'f:__proto__': {} } });
});
