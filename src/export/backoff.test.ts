import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, sleep } from './backoff.js';

describe('Backoff', () => {
  test('doubles from the initial delay up to the cap, with half of each delay jittered', () => {
    const top = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 7 }, () => top.next()),
      [100, 200, 400, 800, 1000, 1000, 1000],
    );
    const bottom = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 5 }, () => bottom.next()),
      [50, 100, 200, 400, 500],
    );
    assert.equal(bottom.failures, 5);
  });

  test('reset starts over; thousands of failures stay at the cap', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 30_000, random: () => 0.5 });
    for (let i = 0; i < 5000; i++) b.next();
    assert.equal(b.next(), 22_500);
    b.reset();
    assert.equal(b.next(), 375);
  });

  test('sleep ends early when its signal aborts', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 20);
    await sleep(10_000, abort.signal);
    assert.ok(Date.now() - started < 5000);
  });
});
