import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskedBulkRatio } from './extras-report.js';

test('bulk masking on/off compares the times of the same rows, not the masked bytes', () => {
  const bulk = {
    airlock: { bytes: 110e6, seconds: 1.0 },
    'airlock-masked': { bytes: 60e6, seconds: 4.0 },
  };
  assert.equal(maskedBulkRatio(bulk), 0.25);
});

test('bulk masking on/off is absent when either side failed or is missing', () => {
  assert.equal(maskedBulkRatio({ airlock: { bytes: 1, seconds: 1 } }), undefined);
  assert.equal(
    maskedBulkRatio({
      airlock: { bytes: 1, seconds: 1 },
      'airlock-masked': { bytes: 0, seconds: 0.1, error: 'the server answered with an ErrorResponse' },
    }),
    undefined,
  );
});
