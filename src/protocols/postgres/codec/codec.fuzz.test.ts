/**
 * Fuzz test of both parsers and decoders: random bytes and mutated real frames, in random chunkings.
 * Every outcome must be messages or an AirlockError ERR_PROTOCOL_VIOLATION: never another exception
 * (no RangeError), never a hang, never a frame or decoded view that reaches past its frame.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AirlockError } from '../../../core/errors.js';
import { backend, chunkAt, frontend } from '../testing/builders.js';
import { decodeBackend } from './backend-decoder.js';
import { decodeFrontend, decodeStartup } from './frontend-decoder.js';
import type { Frame } from './messages.js';
import { BackendParser, FrontendParser } from './parser.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const startupSeeds = [
  frontend.sslRequest(),
  frontend.gssEncRequest(),
  frontend.cancelRequest(1234, Buffer.from([1, 2, 3, 4])),
  frontend.startup({
    user: 'agent',
    database: 'appdb',
    options: '-c airlock.reason=ticket\\ 42',
    application_name: 'psql',
  }),
];

const pipelineSeed = Buffer.concat([
  frontend.parse('s1', 'select * from t where id = $1 and name = $2', [23, 25]),
  frontend.bind('p1', 's1', ['42', null], [0], [1]),
  frontend.describe('P', 'p1'),
  frontend.execute('p1', 100),
  frontend.sync(),
  frontend.query('select 1; select 2'),
  frontend.functionCall(1598, [Buffer.from([0, 1]), null], [1]),
  frontend.copyData('1\tx\n'),
  frontend.copyDone(),
  frontend.copyFail('stop'),
  frontend.close('S', 's1'),
  frontend.flush(),
  frontend.password('token'),
  frontend.terminate(),
]);

const backendSeed = Buffer.concat([
  backend.authenticationOk(),
  backend.md5Password(Buffer.from([1, 2, 3, 4])),
  backend.sasl(['SCRAM-SHA-256']),
  backend.saslContinue('r=x,s=y,i=1'),
  backend.parameterStatus('server_version', '15'),
  backend.backendKeyData(7, Buffer.from([1, 2, 3, 4])),
  backend.readyForQuery('I'),
  backend.rowDescription([{ name: 'id', typeOid: 23 }, { name: 'email' }]),
  backend.dataRow(['1', 'a@example.com']),
  backend.dataRow([null, Buffer.from([0, 255])]),
  backend.commandComplete('SELECT 2'),
  backend.error({ S: 'ERROR', C: '42601', M: 'syntax error' }),
  backend.notice({ S: 'NOTICE', C: '00000', M: 'hi' }),
  backend.copyResponse('G', 2),
  backend.copyData('x'),
  backend.copyDone(),
  backend.parameterDescription([23]),
  backend.notification(1, 'c', 'p'),
  backend.negotiateProtocolVersion(0, ['_pq_.a']),
  backend.functionCallResponse(Buffer.from('1')),
  backend.emptyQueryResponse(),
  backend.portalSuspended(),
  backend.parseComplete(),
  backend.noData(),
]);

/** Every Buffer a decoded message exposes must lie inside the frame that produced it. */
function assertInsideFrame(frame: Frame, value: unknown): void {
  const lo = frame.buffer.byteOffset + frame.start;
  const hi = frame.buffer.byteOffset + frame.end;
  const check = (view: Buffer) => {
    assert.equal(view.buffer, frame.buffer.buffer, 'a decoded view points at another buffer');
    assert.ok(
      view.byteOffset >= lo && view.byteOffset + view.length <= hi,
      'a decoded view reaches past its frame',
    );
  };
  if (Buffer.isBuffer(value)) {
    check(value);
    return;
  }
  if (Array.isArray(value)) for (const item of value) if (item) assertInsideFrame(frame, item);
  if (
    value &&
    typeof value === 'object' &&
    !Buffer.isBuffer(value) &&
    !Array.isArray(value) &&
    !(value instanceof Map)
  ) {
    for (const field of Object.values(value))
      if (field && typeof field === 'object') assertInsideFrame(frame, field);
  }
}

function checkFrame(frame: Frame, tagged: boolean): void {
  assert.ok(frame.start >= 0 && frame.end <= frame.buffer.length, 'frame bounds outside its buffer');
  const declared = tagged
    ? 1 + frame.buffer.readInt32BE(frame.start + 1)
    : frame.buffer.readInt32BE(frame.start);
  assert.equal(frame.length, declared, 'frame length differs from its header');
  assert.equal(frame.raw.length, declared);
}

type Outcome = { readonly frames: number; readonly error?: AirlockError };

function runFrontend(bytes: Buffer, cuts: readonly number[], phase: 'startup' | 'tagged'): Outcome {
  const parser = new FrontendParser({ phase, maxMessageLength: 1 << 20 });
  let frames = 0;
  try {
    for (const chunk of chunkAt(bytes, cuts)) {
      parser.parse(chunk, (frame) => {
        frames++;
        const startup = frame.bodyStart - frame.start === 8;
        checkFrame(frame, !startup);
        const message = startup ? decodeStartup(frame) : decodeFrontend(frame);
        assertInsideFrame(frame, message);
      });
    }
  } catch (err) {
    return { frames, error: expectViolation(err) };
  }
  return { frames };
}

function runBackend(bytes: Buffer, cuts: readonly number[]): Outcome {
  const parser = new BackendParser({ maxMessageLength: 1 << 20 });
  let frames = 0;
  try {
    for (const chunk of chunkAt(bytes, cuts)) {
      parser.parse(chunk, (frame) => {
        frames++;
        checkFrame(frame, true);
        assertInsideFrame(frame, decodeBackend(frame));
      });
    }
  } catch (err) {
    return { frames, error: expectViolation(err) };
  }
  return { frames };
}

function expectViolation(err: unknown): AirlockError {
  if (err instanceof AirlockError && err.code === 'ERR_PROTOCOL_VIOLATION') return err;
  throw err;
}

/** Bounded: frames never outnumber the bytes, and one run finishes quickly. */
function bounded(run: () => Outcome, bytes: number): void {
  const started = performance.now();
  const outcome = run();
  assert.ok(outcome.frames <= bytes, 'more frames than bytes');
  assert.ok(performance.now() - started < 1000, 'one parse took over a second');
}

const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 12 });

/** Byte-level mutations of a seed: overwrite, truncate, insert, or corrupt a length field. */
function mutated(seed: Buffer) {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
    fc.record({
      kind: fc.constant('length' as const),
      at: fc.nat(),
      value: fc.integer({ min: -5, max: 1 << 30 }),
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let bytes = Buffer.from(seed);
    for (const { kind, at, value } of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === 'set' && bytes.length > 0) bytes[i] = value;
      else if (kind === 'cut') bytes = bytes.subarray(0, i);
      else if (kind === 'insert')
        bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
      else if (kind === 'length' && i + 4 <= bytes.length) bytes.writeInt32BE(value, i);
    }
    return bytes;
  });
}

test('random bytes through the frontend parser (both phases) and the backend parser', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), cuts, (array, cutPoints) => {
      const bytes = Buffer.from(array);
      bounded(() => runFrontend(bytes, cutPoints, 'startup'), bytes.length);
      bounded(() => runFrontend(bytes, cutPoints, 'tagged'), bytes.length);
      bounded(() => runBackend(bytes, cutPoints), bytes.length);
    }),
    { numRuns: RUNS },
  );
});

test('random bytes behind a valid header (so bodies get decoded)', () => {
  const tags = [...'QPBDESHCdcfFpX'].map((c) => c.charCodeAt(0));
  const backTags = [...'RKSZENCTDIsGHWdc123ntAvV'].map((c) => c.charCodeAt(0));
  fc.assert(
    fc.property(fc.nat(), fc.uint8Array({ maxLength: 200 }), cuts, (pick, body, cutPoints) => {
      for (const [list, run] of [
        [tags, (b: Buffer) => runFrontend(b, cutPoints, 'tagged')],
        [backTags, (b: Buffer) => runBackend(b, cutPoints)],
      ] as const) {
        const header = Buffer.alloc(5);
        header[0] = list[pick % list.length]!;
        header.writeInt32BE(body.length + 4, 1);
        const bytes = Buffer.concat([header, Buffer.from(body)]);
        bounded(() => run(bytes), bytes.length);
      }
    }),
    { numRuns: RUNS },
  );
});

test('mutated startup packets', () => {
  const seed = Buffer.concat(startupSeeds);
  fc.assert(
    fc.property(mutated(seed), cuts, (bytes, cutPoints) => {
      bounded(() => runFrontend(bytes, cutPoints, 'startup'), bytes.length);
    }),
    { numRuns: RUNS },
  );
});

test('mutated P/B/D/E/S pipelines and other client messages', () => {
  fc.assert(
    fc.property(mutated(pipelineSeed), cuts, (bytes, cutPoints) => {
      bounded(() => runFrontend(bytes, cutPoints, 'tagged'), bytes.length);
    }),
    { numRuns: RUNS },
  );
});

test('mutated server streams (auth, rows, errors, copy)', () => {
  fc.assert(
    fc.property(mutated(backendSeed), cuts, (bytes, cutPoints) => {
      bounded(() => runBackend(bytes, cutPoints), bytes.length);
    }),
    { numRuns: RUNS },
  );
});

test('unmutated seeds parse completely in any chunking', () => {
  fc.assert(
    fc.property(cuts, (cutPoints) => {
      const scaled = cutPoints.map((c) => c % (pipelineSeed.length + 1));
      assert.equal(runFrontend(pipelineSeed, scaled, 'tagged').error, undefined);
      assert.equal(
        runFrontend(Buffer.concat(startupSeeds.slice(0, 1).concat(startupSeeds.slice(3))), scaled, 'startup')
          .error,
        undefined,
      );
      assert.equal(
        runBackend(
          backendSeed,
          cutPoints.map((c) => c % (backendSeed.length + 1)),
        ).error,
        undefined,
      );
    }),
    { numRuns: 200 },
  );
});
