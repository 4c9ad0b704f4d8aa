import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goJSONSyntaxError } from './json-syntax-error.ts';

// Expected texts are encoding/json's SyntaxError messages (scanner.go) for the same inputs.
test('valid JSON has no error', () => {
  for (const ok of ['{}', ' [1, -2.5e3, "x\\u00e9", true, false, null] ', '{"a":{"b":[]}}', '0', '"s"']) assert.equal(goJSONSyntaxError(ok), undefined, ok);
});

test('encoding/json wording for malformed bodies', () => {
  const cases: [string, string][] = [
    ['hello', "invalid character 'h' looking for beginning of value"],
    ['{"kind": ', 'unexpected end of JSON input'],
    ['', 'unexpected end of JSON input'],
    ['{kind: 1}', "invalid character 'k' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['[1 2]', "invalid character '2' after array element"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['{} x', "invalid character 'x' after top-level value"],
    ['01', "invalid character '1' after top-level value"],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['nul', 'unexpected end of JSON input'],
    ['"a\\qb"', "invalid character 'q' in string escape code"],
    ['{"a":"x\ny"}', "invalid character '\\n' in string literal"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
  ];
  for (const [input, want] of cases) assert.equal(goJSONSyntaxError(input), want, input);
});
