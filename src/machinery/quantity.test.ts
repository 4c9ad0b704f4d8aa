import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from './testdata.ts';
import { parseQuantity, newScaledQuantity, QuantityError, newMilliQuantity, newQuantity } from './quantity.ts';

const { cases } = loadCases('quantities.json');

describe('quantities.json', () => {
  for (const c of cases) {
    const title = `${c.id} ${c.kind} ${JSON.stringify(c.input ?? c.x ?? c.quantity)}`;
    switch (c.kind) {
      case 'parse':
        test(title, () => {
          if (!c.valid) {
            assert.throws(() => parseQuantity(c.input), QuantityError);
            return;
          }
          const q = parseQuantity(c.input);
          assert.equal(q.toDecimalString(), c.value);
          assert.equal(q.format, c.format);
          // a leading '-' negates the value, a leading '+' is accepted; format unchanged
          if (!c.input.startsWith('-') && !c.input.startsWith('+')) {
            const n = parseQuantity('-' + c.input);
            assert.equal(n.toDecimalString(), c.value === '0' ? '0' : '-' + c.value);
            assert.equal(n.format, c.format);
            const p = parseQuantity('+' + c.input);
            assert.equal(p.toDecimalString(), c.value);
            assert.equal(p.format, c.format);
          }
        });
        break;
      case 'canonical':
        test(title, () => {
          assert.equal(parseQuantity(c.input).toString(), c.canonical);
          // negated input gives '-'+canonical (never '-0')
          if (!c.input.startsWith('-')) {
            assert.equal(parseQuantity('-' + c.input).toString(), c.canonical === '0' ? '0' : '-' + c.canonical);
          }
        });
        break;
      case 'compare':
        test(title, () => assert.equal(parseQuantity(c.x).cmp(parseQuantity(c.y)), c.expected));
        break;
      case 'roundUp':
        test(title, () => {
          const { quantity, exact } = parseQuantity(c.input).roundUp(c.scale);
          assert.equal(quantity.toDecimalString(), c.expectedValue);
          assert.equal(exact, c.expectedExact);
        });
        break;
      case 'scaledValue':
        test(title, () => assert.equal(newScaledQuantity(c.quantity.unscaled, c.quantity.scale).scaledValue(c.toScale), c.expected));
        break;
      case 'intValue':
        test(title, () => {
          const q = parseQuantity(c.input);
          assert.equal(c.method === 'Value' ? q.value() : q.milliValue(), c.expected);
        });
        break;
      default:
        test(title, () => assert.fail(`unknown case kind ${c.kind}`));
    }
  }
});

describe('quantity arithmetic', () => {
  test('add/sub are exact and keep the format', () => {
    const a = parseQuantity('100m').add(parseQuantity('1.5'));
    assert.equal(a.toString(), '1600m');
    assert.equal(a.milliValue(), 1600);
    const m = parseQuantity('1Gi').sub(parseQuantity('512Mi'));
    assert.equal(m.toString(), '512Mi');
    assert.equal(newQuantity(0).add(parseQuantity('1Ki')).format, 'BinarySI');
  });
  test('constructors and JSON', () => {
    assert.equal(newMilliQuantity(250).toString(), '250m');
    assert.equal(JSON.stringify({ cpu: parseQuantity('0.5') }), '{"cpu":"500m"}');
  });
  test('error wording', () => {
    assert.throws(() => parseQuantity('1.1.M'), /quantities must match the regular expression/);
    assert.throws(() => parseQuantity('1i'), /unable to parse quantity's suffix/);
  });
});

describe('canonicalizeQuantity', () => {
  test('values as kubectl would show them after a round trip', async () => {
    const { canonicalizeQuantity } = await import('./quantity.ts');
    // expectations from quantities.json canonical cases (0.5 -> 500m, 1024Mi -> 1Gi) and a bare JSON number
    assert.equal(canonicalizeQuantity('0.5'), '500m');
    assert.equal(canonicalizeQuantity('1024Mi'), '1Gi');
    assert.equal(canonicalizeQuantity(2), '2');
    assert.throws(() => canonicalizeQuantity('abc'), QuantityError);
  });
});
