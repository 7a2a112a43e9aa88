import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createContentMasker } from '../../../masking/content.js';
import { backend } from '../testing/builders.js';
import { maskBinaryValue, needsBinaryWalk, type WalkContext } from './binary.js';
import { MaskCounts } from './counts.js';
import { makePlan, rewriteDataRow } from './rows.js';

const EMAIL = 'alice.wonder@example.com';
const TEXT = 25;
const INT4 = 23;
const JSONB = 3802;
const RECORD = 2249;
const TEXT_ARRAY = 1009;
const USER_TYPE = 16_500;

function ctx(): WalkContext {
  return {
    content: createContentMasker({ entities: ['EMAIL', 'CREDIT_CARD'], region: 'US' }),
    counts: new MaskCounts(),
  };
}

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v | 0);
  return b;
}

/** array_send: one dimension (lower bound 1), elements length-prefixed (null: -1). */
function array(elemType: number, elements: readonly (Buffer | null)[], dims = [elements.length]): Buffer {
  const parts = [i32(dims.length), i32(elements.includes(null) ? 1 : 0), i32(elemType)];
  for (const d of dims) parts.push(i32(d), i32(1));
  for (const e of elements) parts.push(e === null ? i32(-1) : Buffer.concat([i32(e.length), e]));
  return Buffer.concat(parts);
}

/** record_send: field count, then (type OID, length, bytes) per field. */
function record(fields: readonly [number, Buffer | null][]): Buffer {
  const parts = [i32(fields.length)];
  for (const [oid, v] of fields)
    parts.push(i32(oid), v === null ? i32(-1) : Buffer.concat([i32(v.length), v]));
  return Buffer.concat(parts);
}

const text = (s: string) => Buffer.from(s, 'utf8');

function mask(value: Buffer, typeOid: number, c = ctx()): Buffer | undefined {
  return maskBinaryValue(value, 0, value.length, typeOid, c);
}

describe('content detection inside binary arrays and records', () => {
  it('masks a text element of a text[] and rebuilds the lengths', () => {
    const c = ctx();
    const out = mask(array(TEXT, [text(`mail ${EMAIL}`), null, text('x')]), TEXT_ARRAY, c);
    assert.deepEqual(out, array(TEXT, [text('mail [EMAIL]'), null, text('x')]));
    assert.deepEqual(c.counts.take(), { EMAIL: 1 });
  });

  it('keeps a two-dimensional array shape', () => {
    const out = mask(array(TEXT, [text(EMAIL), text('a'), text('b'), text(EMAIL)], [2, 2]), TEXT_ARRAY);
    assert.deepEqual(out, array(TEXT, [text('[EMAIL]'), text('a'), text('b'), text('[EMAIL]')], [2, 2]));
  });

  it('masks text fields of a record, nested records and arrays inside, jsonb with its version byte', () => {
    const inner = record([[TEXT, text(EMAIL)]]);
    const value = record([
      [INT4, i32(7)],
      [RECORD, inner],
      [TEXT_ARRAY, array(TEXT, [text(EMAIL)])],
      [JSONB, Buffer.concat([Buffer.from([1]), text(`{"e":"${EMAIL}"}`)])],
      [TEXT, null],
    ]);
    assert.deepEqual(
      mask(value, RECORD),
      record([
        [INT4, i32(7)],
        [RECORD, record([[TEXT, text('[EMAIL]')]])],
        [TEXT_ARRAY, array(TEXT, [text('[EMAIL]')])],
        [JSONB, Buffer.concat([Buffer.from([1]), text('{"e":"[EMAIL]"}')])],
        [TEXT, null],
      ]),
    );
  });

  it('walks values of user types by their structure: composite rows and arrays of them', () => {
    const row = record([[TEXT, text(EMAIL)]]);
    assert.deepEqual(mask(row, USER_TYPE), record([[TEXT, text('[EMAIL]')]]));
    assert.deepEqual(
      mask(array(USER_TYPE, [row]), USER_TYPE + 1),
      array(USER_TYPE, [record([[TEXT, text('[EMAIL]')]])]),
    );
  });

  it('redacts whole a value it cannot parse when detection finds something in its bytes (fail closed)', () => {
    const c = ctx();
    const opaque = Buffer.concat([Buffer.from([0, 0, 0, 2, 9]), text(EMAIL)]);
    assert.equal(mask(opaque, USER_TYPE, c)?.toString(), '[REDACTED]');
    assert.deepEqual(c.counts.take(), { EMAIL: 1, opaque: 1 });
    // A truncated array is not an array: checked as raw bytes.
    const whole = array(TEXT, [text(EMAIL), text('a second element')]);
    const truncated = whole.subarray(0, whole.length - 3);
    assert.equal(mask(truncated, TEXT_ARRAY)?.toString(), '[REDACTED]');
  });

  it('leaves values with nothing to find, and types without text, untouched (no allocation)', () => {
    assert.equal(mask(array(TEXT, [text('plain'), null]), TEXT_ARRAY), undefined);
    assert.equal(mask(record([[INT4, i32(1)]]), RECORD), undefined);
    assert.equal(mask(Buffer.from([1, 2, 3]), USER_TYPE), undefined);
    assert.equal(needsBinaryWalk(INT4), false);
    assert.equal(needsBinaryWalk(2950), false);
    assert.equal(needsBinaryWalk(TEXT), false);
    assert.equal(needsBinaryWalk(TEXT_ARRAY), true);
    assert.equal(needsBinaryWalk(RECORD), true);
    assert.equal(needsBinaryWalk(USER_TYPE), true);
  });

  it('never throws and never returns a finding unmasked, on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withEmail) => {
        const value = Buffer.concat([Buffer.from(bytes), withEmail ? text(EMAIL) : Buffer.alloc(0)]);
        const out = mask(value, USER_TYPE) ?? value;
        if (withEmail) assert.ok(!out.toString('latin1').includes(EMAIL));
      }),
    );
  });

  it('runs in the DataRow path for binary columns of such types', () => {
    const plan = makePlan([{ kind: 'pass' }, { kind: 'pass' }], [INT4, TEXT_ARRAY], [1, 1], true);
    const c = { content: ctx().content, hashKey: undefined, counts: new MaskCounts() };
    const row = backend.dataRow([i32(1), array(TEXT, [text(EMAIL)])]);
    const out = rewriteDataRow(row, 5, row.length, plan, c);
    assert.deepEqual(out, backend.dataRow([i32(1), array(TEXT, [text('[EMAIL]')])]));
    const clean = backend.dataRow([i32(1), array(TEXT, [text('nothing')])]);
    assert.equal(rewriteDataRow(clean, 5, clean.length, plan, c), undefined);
  });
});
