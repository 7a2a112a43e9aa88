import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../../core/connection.js';
import { CancelKeys } from './cancel.js';

const connection = { name: 'db' } as Connection;

test('issued keys are unique, found only with the right secret, and released', () => {
  const keys = new CancelKeys();
  const a = keys.issue({ connection, processId: 100, secretKey: Buffer.from([1, 1, 1, 1]) });
  const b = keys.issue({ connection, processId: 200, secretKey: Buffer.from([2, 2, 2, 2]) });
  assert.notEqual(a.processId, b.processId);
  assert.equal(a.secretKey.length, 4);
  assert.equal(keys.find(a.processId, a.secretKey)?.processId, 100);
  assert.equal(keys.find(b.processId, b.secretKey)?.processId, 200);
  assert.equal(keys.find(a.processId, b.secretKey), undefined);
  assert.equal(keys.find(a.processId, Buffer.from([0])), undefined, 'a key of another length never matches');
  keys.release(a.processId);
  assert.equal(keys.find(a.processId, a.secretKey), undefined);
  assert.equal(keys.size, 1);
});

test('process ids are positive int32 values', () => {
  const keys = new CancelKeys();
  for (let i = 0; i < 1000; i++) {
    const { processId } = keys.issue({ connection, processId: i, secretKey: Buffer.alloc(4) });
    assert.ok(processId > 0 && processId <= 0x7fffffff);
  }
});
