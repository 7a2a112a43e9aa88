import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameBuffer, type Framing } from './frame-buffer.js';

/** A toy framing: 1-byte tag + int32 length (counting itself), like PostgreSQL's tagged messages. */
const tagged: Framing = {
  headerSize: 5,
  frameLength(buffer, offset) {
    const length = buffer.readInt32BE(offset + 1);
    if (length < 4) throw new Error('bad length');
    return length + 1;
  },
};

function frame(tag: string, body: string): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.write(tag, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  out.write(body, 5, 'latin1');
  return out;
}

interface Seen {
  readonly text: string;
  readonly stable: boolean;
  readonly buffer: Buffer;
}

function collect(buffer: FrameBuffer, chunks: readonly Buffer[]): Seen[] {
  const seen: Seen[] = [];
  for (const chunk of chunks) {
    buffer.feed(chunk, tagged, (b, start, end, stable) => {
      seen.push({ text: b.toString('latin1', start, end), stable, buffer: b });
    });
  }
  return seen;
}

test('whole frames in one chunk are views of that chunk (adopted, no copy)', () => {
  const stream = Buffer.concat([frame('Q', 'one'), frame('Q', 'two')]);
  const seen = collect(new FrameBuffer(), [stream]);
  assert.deepEqual(
    seen.map((s) => s.text),
    [frame('Q', 'one').toString('latin1'), frame('Q', 'two').toString('latin1')],
  );
  assert.ok(seen.every((s) => s.stable && s.buffer === stream));
});

test('every split point of a stream yields the same frames', () => {
  const frames = [frame('A', ''), frame('B', 'hello'), frame('C', 'x'.repeat(3000)), frame('D', 'end')];
  const stream = Buffer.concat(frames);
  const expected = frames.map((f) => f.toString('latin1'));
  for (let cut = 0; cut <= stream.length; cut += 7) {
    for (const second of [cut + 1, cut + 5, cut + 2000]) {
      const chunks = [stream.subarray(0, cut), stream.subarray(cut, second), stream.subarray(second)];
      const buffer = new FrameBuffer(16);
      assert.deepEqual(
        collect(buffer, chunks).map((s) => s.text),
        expected,
        `cut at ${cut}/${second}`,
      );
      assert.equal(buffer.pendingBytes, 0);
    }
  }
});

test('one byte at a time works and only the straddling frames are copies', () => {
  const stream = Buffer.concat([frame('A', 'abc'), frame('B', 'defgh')]);
  const chunks = [...stream].map((b) => Buffer.from([b]));
  const seen = collect(new FrameBuffer(16), chunks);
  assert.equal(seen.length, 2);
  assert.ok(seen.every((s) => !s.stable));
});

test('after a straddling frame, parsing continues inside the next chunk without copying it', () => {
  const a = frame('A', 'x'.repeat(10));
  const b = frame('B', 'y');
  const c = frame('C', 'z');
  const second = Buffer.concat([a.subarray(6), b, c]);
  const seen = collect(new FrameBuffer(), [a.subarray(0, 6), second]);
  assert.deepEqual(
    seen.map((s) => s.stable),
    [false, true, true],
  );
  assert.equal(seen[1]!.buffer, second);
});

test('a frame larger than the initial capacity grows the owned buffer and arrives intact', () => {
  const big = frame('D', 'q'.repeat(100_000));
  const chunks: Buffer[] = [];
  for (let i = 0; i < big.length; i += 999) chunks.push(big.subarray(i, i + 999));
  const seen = collect(new FrameBuffer(16), chunks);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.text, big.toString('latin1'));
});

test('an owned-buffer view is rewritten by the next partial frame (so consumers must copy it)', () => {
  const a = frame('A', 'first');
  const b = frame('B', 'second');
  const buffer = new FrameBuffer(64);
  const views: Buffer[] = [];
  const sink = (bytes: Buffer, start: number, end: number, stable: boolean) => {
    if (!stable) views.push(bytes.subarray(start, end));
  };
  buffer.feed(a.subarray(0, 3), tagged, sink);
  buffer.feed(Buffer.concat([a.subarray(3), b.subarray(0, 3)]), tagged, sink);
  buffer.feed(b.subarray(3), tagged, sink);
  assert.equal(views.length, 2);
  assert.equal(views[1]!.toString('latin1'), b.toString('latin1'));
  // The first view shared the owned buffer: its bytes now start with the second frame's.
  assert.notEqual(views[0]!.toString('latin1'), a.toString('latin1'));
});

test('a framing error surfaces from feed', () => {
  const bad = Buffer.from([0x51, 0, 0, 0, 1]);
  assert.throws(() => collect(new FrameBuffer(), [bad]), /bad length/);
});
