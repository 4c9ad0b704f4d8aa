import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseFieldSelector,
  escapeValue,
  unescapeValue,
  checkSupportedFields,
  FieldSelectorError,
  fieldSelectorFromSet,
  oneTermEqualSelector,
} from './fields.ts';

// Expected values from upstream k8s.io/apimachinery/pkg/fields/selector_test.go (TestSelectorParse,
// TestSelectorMatches, TestEscapeValue/TestUnescapeValue, TestRequiresExactMatch).
describe('field selector parse', () => {
  const good = ['', 'x=a', 'y=b,z=c', 'w!=a', 'x==a', 'x=a,y!=b', 'x=a\\,b', 'x=a\\=b', 'x=a\\\\b'];
  for (const s of good) test(`valid ${JSON.stringify(s)}`, () => assert.doesNotThrow(() => parseFieldSelector(s)));
  const bad = ['x', 'x,y', 'x=a,y', 'x=a=b', 'x=a,b', 'x=a\\'];
  for (const s of bad) test(`invalid ${JSON.stringify(s)}`, () => assert.throws(() => parseFieldSelector(s), FieldSelectorError));
  test('canonical strings', () => {
    assert.equal(parseFieldSelector('y=b,x=a').toString(), 'x=a,y=b');
    assert.equal(parseFieldSelector('x==a').toString(), 'x=a');
    assert.equal(parseFieldSelector('x!=a').toString(), 'x!=a');
    assert.equal(parseFieldSelector('x=a\\,b').toString(), 'x=a\\,b');
  });
  test('error messages', () => {
    assert.throws(() => parseFieldSelector('x'), /invalid selector: 'x'; can't understand 'x'/);
    assert.throws(() => parseFieldSelector('x=a\\b'), /invalid field selector: invalid escape sequence: \\b/);
  });
});

describe('field selector matching', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['x=y', { x: 'y' }, true],
    ['x!=y', { x: 'z' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['', { x: 'y' }, true],
    ['x=', {}, true],
    ['metadata.name=a\\,b', { 'metadata.name': 'a,b' }, true],
  ];
  for (const [sel, fields, want] of cases) {
    test(`${sel} ~ ${JSON.stringify(fields)} = ${want}`, () => assert.equal(parseFieldSelector(sel).matches(fields), want));
  }
  test('requiresExactMatch and helpers', () => {
    assert.equal(parseFieldSelector('spec.nodeName=n1,status.phase!=Failed').requiresExactMatch('spec.nodeName'), 'n1');
    assert.equal(parseFieldSelector('x!=a').requiresExactMatch('x'), undefined);
    assert.equal(fieldSelectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
    assert.equal(oneTermEqualSelector('metadata.name', 'x').toString(), 'metadata.name=x');
  });
});

describe('escaping', () => {
  test('escape/unescape round trip', () => {
    assert.equal(escapeValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
    assert.equal(unescapeValue('a\\,b\\=c\\\\d'), 'a,b=c\\d');
  });
});

describe('supported fields', () => {
  test('field label not supported', () => {
    const sel = parseFieldSelector('metadata.name=a,spec.bogus=b');
    assert.throws(() => checkSupportedFields(sel, ['metadata.name', 'metadata.namespace']), /^FieldSelectorError: field label not supported: spec.bogus$/);
    assert.doesNotThrow(() => checkSupportedFields(parseFieldSelector('metadata.name=a'), ['metadata.name']));
  });
});
