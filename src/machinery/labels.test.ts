import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from './testdata.ts';
import {
  parse,
  newRequirement,
  selectorFromSet,
  validatedSelectorFromSet,
  labelSelectorAsSelector,
  formatLabelSelector,
  isNothing,
  SelectorError,
  everything,
  nothing,
} from './labels.ts';

const { cases } = loadCases('labels-selectors.json');

function firstErrorField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SelectorError, `expected SelectorError, got ${e}`);
    return e.errors[0]?.field;
  }
  return undefined;
}

describe('labels-selectors.json', () => {
  for (const c of cases) {
    const title = `${c.id} ${c.kind} ${JSON.stringify(c.input ?? c.selector ?? c.set ?? c.key ?? c.labelSelector ?? c.value ?? '').slice(0, 60)}`;
    switch (c.kind) {
      case 'parse':
        test(title, () => {
          if (c.valid) {
            assert.equal(parse(c.input).toString(), c.canonical);
          } else {
            assert.throws(() => parse(c.input), SelectorError);
          }
        });
        break;
      case 'match':
        test(title, () => assert.equal(parse(c.selector).matches(c.labels), c.expected));
        break;
      case 'setSelectorMatch':
        test(title, () => assert.equal(selectorFromSet(c.set).matches(c.labels), c.expected));
        break;
      case 'setSelectorString':
        test(title, () => assert.equal(selectorFromSet(c.set).toString(), c.canonical));
        break;
      case 'setSelectorValidate':
        test(title, () => {
          if (c.valid) assert.equal(validatedSelectorFromSet(c.set).toString(), c.canonical);
          else assert.equal(firstErrorField(() => validatedSelectorFromSet(c.set)), c.errorField);
        });
        break;
      case 'requirement':
        test(title, () => {
          if (c.valid) assert.doesNotThrow(() => newRequirement(c.key, c.operator, c.values));
          else assert.equal(firstErrorField(() => newRequirement(c.key, c.operator, c.values)), c.errorField);
        });
        break;
      case 'labelSelector':
        test(title, () => {
          if (!c.valid) {
            assert.throws(() => labelSelectorAsSelector(c.labelSelector), SelectorError);
            return;
          }
          const s = labelSelectorAsSelector(c.labelSelector);
          assert.equal(isNothing(s), c.selectsNothing === true);
          assert.equal(s.toString(), c.canonical);
          for (const m of c.matches ?? []) assert.equal(s.matches(m.labels), m.expected, JSON.stringify(m.labels));
        });
        break;
      case 'labelKey':
      case 'labelValue':
        break; // covered by validation.test.ts
      default:
        test(title, () => assert.fail(`unknown case kind ${c.kind}`));
    }
  }
});

describe('selector helpers', () => {
  test('null LabelSelector selects nothing, empty selects everything', () => {
    const n = labelSelectorAsSelector(null);
    assert.equal(isNothing(n), true);
    assert.equal(n.matches({}), false);
    assert.equal(labelSelectorAsSelector({}).matches({ a: 'b' }), true);
    assert.equal(everything().empty(), true);
    assert.equal(nothing().matches({ a: 'b' }), false);
  });
  test('formatLabelSelector', () => {
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), '<error>');
  });
  test('parse errors are clear strings', () => {
    assert.throws(() => parse('x,,y'), /found ',', expected: identifier after ','/);
    assert.throws(() => parse('x=a b'), /found 'b', expected: ',' or 'end of string'/);
    assert.throws(() => parse('x in (a b)'), /unable to parse requirement: found 'b', expected: ',' or '\)'/);
    assert.throws(() => parse('x=a b c'), SelectorError);
  });
  test('requiresExactMatch', () => {
    assert.equal(parse('a=b,c in (d)').requiresExactMatch('a'), 'b');
    assert.equal(parse('a=b,c in (d)').requiresExactMatch('c'), 'd');
    assert.equal(parse('a!=b').requiresExactMatch('a'), undefined);
  });
});

describe('label-set helpers', () => {
  test('equal / conflict / merge', async () => {
    const { labelsEqual, labelsConflict, mergeLabels } = await import('./labels.ts');
    assert.equal(labelsEqual({ a: '1' }, { a: '1' }), true);
    assert.equal(labelsEqual({ a: '1' }, { a: '1', b: '2' }), false);
    assert.equal(labelsConflict({ a: '1' }, { a: '2' }), true);
    assert.equal(labelsConflict({ a: '1' }, { b: '2' }), false);
    assert.deepEqual(mergeLabels({ a: '1', b: '1' }, { b: '2' }), { a: '1', b: '2' });
  });
  test('clone and add label / selector', async () => {
    const { cloneAndAddLabel, cloneSelectorAndAddLabel, selectorHasLabel, cloneAndRemoveLabel } = await import('./labels.ts');
    const l = { app: 'web' };
    assert.deepEqual(cloneAndAddLabel(l, 'pod-template-hash', 'abc'), { app: 'web', 'pod-template-hash': 'abc' });
    assert.deepEqual(l, { app: 'web' });
    assert.equal(cloneAndAddLabel(l, '', 'x'), l);
    assert.deepEqual(cloneAndRemoveLabel({ a: '1', b: '2' }, 'a'), { b: '2' });
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] };
    const out = cloneSelectorAndAddLabel(sel, 'pod-template-hash', 'abc');
    assert.deepEqual(out, {
      matchLabels: { app: 'web', 'pod-template-hash': 'abc' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
    });
    assert.notEqual(out.matchExpressions![0].values, sel.matchExpressions[0].values);
    assert.equal(selectorHasLabel(out, 'pod-template-hash'), true);
    assert.equal(selectorHasLabel(sel, 'pod-template-hash'), false);
  });
});
