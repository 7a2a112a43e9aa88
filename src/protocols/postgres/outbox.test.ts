import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Frame } from './codec/messages.js';
import { Outbox } from './outbox.js';

function frame(buffer: Buffer, start: number, end: number, stable: boolean): Frame {
  const f = new Frame();
  f.buffer = buffer;
  f.start = start;
  f.end = end;
  f.stable = stable;
  return f;
}

test('adjacent stable frames of one buffer merge into one view (no copy)', () => {
  const chunk = Buffer.from('aaaabbbbcccc');
  const outbox = new Outbox();
  outbox.addFrame(frame(chunk, 0, 4, true));
  outbox.addFrame(frame(chunk, 4, 8, true));
  outbox.addFrame(frame(chunk, 8, 12, true));
  const parts = outbox.take();
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.buffer, chunk.buffer, 'a view of the chunk');
  assert.equal(parts[0]!.toString(), 'aaaabbbbcccc');
});

test('unstable frames are copied, and order is kept across bytes and frames', () => {
  const reused = Buffer.from('xxxx');
  const chunk = Buffer.from('yyyy');
  const outbox = new Outbox();
  outbox.addFrame(frame(reused, 0, 4, false));
  outbox.addBytes(Buffer.from('--'));
  outbox.addFrame(frame(chunk, 0, 2, true));
  outbox.addFrame(frame(chunk, 3, 4, true));
  reused.fill('z');
  assert.equal(outbox.byteLength, 9);
  assert.equal(Buffer.concat(outbox.take()).toString(), 'xxxx--yyy');
  assert.ok(outbox.isEmpty);
});

test('moveTo appends in order and empties the source', () => {
  const a = new Outbox();
  const b = new Outbox();
  b.addBytes(Buffer.from('1'));
  a.addBytes(Buffer.from('2'));
  a.moveTo(b);
  assert.ok(a.isEmpty);
  assert.equal(Buffer.concat(b.take()).toString(), '12');
});
