import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, translateTimestampSince } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

// Cases from upstream k8s.io/apimachinery/pkg/util/duration/duration_test.go (TestHumanDuration).
const cases: [number, string][] = [
  [1 * S, '1s'],
  [70 * S, '70s'],
  [190 * S, '3m10s'],
  [70 * M, '70m'],
  [47 * H, '47h'],
  [49 * H, '2d1h'],
  [(8 * 24 + 2) * H, '8d'],
  [367 * 24 * H, '367d'],
  [(365 * 2 * 24 + 25) * H, '2y1d'],
  [(365 * 8 * 24 + 2) * H, '8y'],
  // boundaries of the same rules
  [-1500, '0s'],
  [-2 * S, '<invalid>'],
  [119 * S, '119s'],
  [120 * S, '2m'],
  [3 * H, '3h'],
  [3 * H + 30 * M, '3h30m'],
];

test('humanDuration follows upstream HumanDuration', () => {
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('translateTimestampSince: <unknown> for a missing timestamp, else the age', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince(null, now), '<unknown>');
  assert.equal(translateTimestampSince('2026-01-01T00:05:00Z', now), '5m');
  assert.equal(translateTimestampSince('2026-01-01T00:06:50Z', now), '3m10s');
});
