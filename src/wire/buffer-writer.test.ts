import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferWriter } from './buffer-writer.js';

test('flush(code) writes tag and a length that counts itself', () => {
  const writer = new BufferWriter();
  const message = writer.cstring('select 1').flush(0x51);
  assert.equal(message.toString('latin1'), 'Q\0\0\0\x0dselect 1\0');
});

test('flush() without a code writes an untagged length-prefixed packet', () => {
  const writer = new BufferWriter();
  const message = writer.int32(80877103).flush();
  assert.deepEqual([...message], [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
});

test('flushed messages are never overwritten by later ones, even across slabs', () => {
  const writer = new BufferWriter(64);
  const kept: Buffer[] = [];
  const expected: string[] = [];
  for (let i = 0; i < 200; i++) {
    const text = 'x'.repeat(i % 37) + String(i);
    kept.push(writer.cstring(text).flush(0x51));
    expected.push(text);
  }
  kept.forEach((message, i) => {
    assert.equal(message.readInt32BE(1), message.length - 1);
    assert.equal(message.toString('utf8', 5, message.length - 1), expected[i]);
  });
});

test('a message larger than the slab grows into a new slab intact', () => {
  const writer = new BufferWriter(64);
  const big = Buffer.alloc(10_000, 7);
  const message = writer.int16(3).bytes(big).flush(0x64);
  assert.equal(message.length, 5 + 2 + 10_000);
  assert.equal(message.readInt16BE(5), 3);
  assert.ok(message.subarray(7).every((b) => b === 7));
});

test('cstring measures multi-byte UTF-8 correctly', () => {
  const writer = new BufferWriter();
  const message = writer.cstring('é€😀').flush(0x51);
  assert.equal(message.readInt32BE(1), 4 + Buffer.byteLength('é€😀') + 1);
  assert.equal(message.toString('utf8', 5, message.length - 1), 'é€😀');
});
