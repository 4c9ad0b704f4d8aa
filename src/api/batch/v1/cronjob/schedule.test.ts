import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStandard } from './schedule.ts';

describe('parseStandard field errors (robfig/cron v3 getRange/mustParseInt wording, as kube-apiserver reports them)', () => {
  const cases: [string, string][] = [
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['* * * 13 *', 'end of range (13) above maximum (12): 13'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-2 * * * *', 'beginning of range (5) beyond end of range (2): 5-2'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['1,70 * * * *', 'end of range (70) above maximum (59): 70'],
  ];
  for (const [spec, msg] of cases) {
    test(spec, () => assert.throws(() => parseStandard(spec), { message: msg }));
  }
  test('names and steps that robfig accepts', () => {
    for (const ok of ['0 0 * JAN-dec SUN-sat', '5/15 * * * *', '0 0 1,15 * ?', '*/5 1-5 * * mon']) assert.doesNotThrow(() => parseStandard(ok), ok);
  });
});
