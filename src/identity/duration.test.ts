import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AirlockError } from '../core/errors.js';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads each unit and combinations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('8h'), 28_800_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('2w'), 1_209_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration(' 2h '), 7_200_000);
  });

  it('refuses anything else with ERR_BAD_REQUEST saying what is accepted', () => {
    for (const text of ['', '8', 'h', '8 h', '-1h', '1.5h', '8x', '0s', '1h 30m', '99999999999999999d']) {
      assert.throws(
        () => parseDuration(text),
        (err: AirlockError) => err.code === 'ERR_BAD_REQUEST' && /duration/.test(err.userMessage),
        text,
      );
    }
  });
});
