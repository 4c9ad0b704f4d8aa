import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch, createMergePatch } from './merge-patch.ts';

// RFC 7386 appendix A test cases (target, patch, result).
const rfc: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('RFC 7386 appendix A', () => {
  rfc.forEach(([target, patch, result], i) => {
    test(`example ${i + 1}`, () => assert.deepEqual(mergePatch(target, patch), result));
  });
  test('inputs are not modified', () => {
    const t = { a: { b: 1 } };
    mergePatch(t, { a: { b: null, c: 2 } });
    assert.deepEqual(t, { a: { b: 1 } });
  });
});

describe('createMergePatch', () => {
  const pairs: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ a: 1 }, { a: 1 }],
    [{ a: 1, b: 2 }, { a: 1 }],
    [{ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }],
    [{ a: [1, 2] }, { a: [1, 2, 3] }],
    [{ metadata: { labels: { x: 'y' } } }, { metadata: { labels: { x: 'z', w: 'v' } } }],
  ];
  test('round trip: applying the created patch yields the modified document', () => {
    for (const [o, m] of pairs) assert.deepEqual(mergePatch(o, createMergePatch(o, m)), m);
  });
  test('minimal patches', () => {
    assert.deepEqual(createMergePatch({ a: 1 }, { a: 1 }), {});
    assert.deepEqual(createMergePatch({ a: 1, b: 2 }, { a: 1 }), { b: null });
    assert.deepEqual(createMergePatch({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }), { a: { c: 3 } });
    assert.deepEqual(createMergePatch({ a: [1, 2] }, { a: [1, 2, 3] }), { a: [1, 2, 3] });
  });
});
