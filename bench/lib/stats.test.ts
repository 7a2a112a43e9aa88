import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mean, median, percentileSorted, range } from './stats.js';

test('mean of a few values, NaN when empty', () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.equal(mean(new Float64Array([0.5, 1.5])), 1);
  assert.ok(Number.isNaN(mean([])));
});

test('p99 uses the nearest rank', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentileSorted(hundred, 99), 99);
  assert.equal(percentileSorted(hundred, 100), 100);
  assert.equal(percentileSorted(hundred, 50), 50);
  const thousand = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentileSorted(thousand, 99), 990);
  // With fewer than 100 values the p99 is the maximum.
  assert.equal(percentileSorted([3, 7, 9], 99), 9);
  assert.equal(percentileSorted([42], 99), 42);
  assert.ok(Number.isNaN(percentileSorted([], 99)));
  assert.throws(() => percentileSorted([1], 0), RangeError);
  assert.throws(() => percentileSorted([1], 101), RangeError);
});

test('median of odd and even counts ignores order and non-finite values', () => {
  const input = [5, 1, 3];
  assert.equal(median(input), 3);
  assert.deepEqual(input, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([Number.NaN, 2, 4]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('range skips non-finite values', () => {
  assert.deepEqual(range([3, Number.NaN, 1, 2]), { min: 1, max: 3 });
  assert.equal(range([Number.NaN]), undefined);
});
