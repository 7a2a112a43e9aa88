import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../core/errors.js';
import { BufferReader } from './buffer-reader.js';

function violation(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof AirlockError && err.code === 'ERR_PROTOCOL_VIOLATION' && pattern.test(err.message);
}

test('reads big-endian integers, strings and views inside the frame bounds', () => {
  const buffer = Buffer.from([
    0xff, 0x00, 0x01, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x2a, 0x68, 0x69, 0x00, 0x41, 0x42, 0x99,
  ]);
  const reader = new BufferReader();
  reader.setBuffer(buffer, 1, 14, 'test frame');
  assert.equal(reader.int16(), 1);
  assert.equal(reader.int16(), -2);
  assert.equal(reader.int32(), 42);
  assert.equal(reader.cstring(), 'hi');
  assert.deepEqual([...reader.bytes(2)], [0x41, 0x42]);
  assert.equal(reader.remaining, 0);
  reader.end();
});

test('a read past the frame end is a protocol violation naming the frame, never a RangeError', () => {
  const reader = new BufferReader();
  const buffer = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]);
  reader.setBuffer(buffer, 0, 6, 'Bind message');
  reader.int32();
  assert.throws(() => reader.int32(), violation(/expected 4 more bytes in Bind message, received 2/));
  reader.setBuffer(buffer, 0, 4, 'x');
  assert.throws(() => reader.bytes(-1), violation(/expected -1 more bytes/));
});

test('a string whose terminator lies beyond the frame is refused', () => {
  const reader = new BufferReader();
  // The NUL at index 4 belongs to the next frame.
  reader.setBuffer(Buffer.from('abc\0', 'latin1'), 0, 3, 'Query message');
  assert.throws(() => reader.cstring(), violation(/NUL-terminated string in Query message/));
});

test('end() refuses trailing bytes', () => {
  const reader = new BufferReader();
  reader.setBuffer(Buffer.from([1, 2]), 0, 2, 'Sync message');
  reader.byte();
  assert.throws(() => reader.end(), violation(/expected the end of Sync message, received 1 extra bytes/));
});
