import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getScaledValueFromIntOrPercent, getIntOrPercentValue, intValue, valueOrDefault } from './intstr.ts';

// Expected values from upstream k8s.io/apimachinery/pkg/util/intstr/intstr_test.go (TestGetIntFromIntOrPercent,
// TestGetValueFromIntOrPercentNil) and, for the rounding rows, from intstr.go's ceil/floor of value*total/100.
describe('getScaledValueFromIntOrPercent', () => {
  const cases: [number | string, number, boolean, number][] = [
    [123, 100, true, 123],
    ['90%', 100, true, 90],
    ['90%', 95, true, 86],
    ['90%', 95, false, 85],
    ['%', 100, true, -1],
    ['90#', 100, true, -1],
    ['#%', 100, true, -1],
    ['90', 100, true, -1],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['0%', 10, true, 0],
  ];
  for (const [v, total, roundUp, want] of cases) {
    test(`${JSON.stringify(v)} of ${total} roundUp=${roundUp}`, () => {
      if (want < 0) assert.throws(() => getScaledValueFromIntOrPercent(v, total, roundUp), /invalid value for IntOrString/);
      else assert.equal(getScaledValueFromIntOrPercent(v, total, roundUp), want);
    });
  }
  test('nil value', () => assert.throws(() => getScaledValueFromIntOrPercent(null, 10, true), /^IntOrStringError: nil value for IntOrString$/));
  test('exact messages', () => {
    assert.throws(() => getScaledValueFromIntOrPercent('90', 100, true), {
      message: 'invalid value for IntOrString: invalid type: string is not a percentage',
    });
    assert.throws(() => getScaledValueFromIntOrPercent('#%', 100, true), {
      message: 'invalid value for IntOrString: invalid value "#%": strconv.Atoi: parsing "#": invalid syntax',
    });
  });
});

describe('other helpers', () => {
  test('getIntOrPercentValue', () => {
    assert.deepEqual(getIntOrPercentValue(5), { value: 5, isPercent: false });
    assert.deepEqual(getIntOrPercentValue('50%'), { value: 50, isPercent: true });
    assert.throws(() => getIntOrPercentValue('x%'), /invalid value "x%"/);
  });
  test('intValue and valueOrDefault', () => {
    assert.equal(intValue('8080'), 8080);
    assert.equal(intValue('http'), 0);
    assert.equal(valueOrDefault(undefined, '25%'), '25%');
    assert.equal(valueOrDefault(0, '25%'), 0);
  });
});
