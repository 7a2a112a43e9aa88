import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../../../core/errors.js';
import { createContentMasker } from '../../../masking/content.js';
import { applyStrategy, type Strategy } from '../../../masking/strategies.js';
import { backend } from '../testing/builders.js';
import { MaskCounts } from './counts.js';
import {
  type ColumnAction,
  makePlan,
  outgoingFrame,
  type RowPlan,
  rewriteDataRow,
  type ValueContext,
} from './rows.js';
import { binaryToText, isReadableText } from './values.js';

const KEY = Buffer.from('k');
const content = createContentMasker({ entities: ['EMAIL', 'CREDIT_CARD', 'SSN'], region: 'US' });

/** The row path as specified, value by value over decoded strings: what the fast path must equal. */
function reference(
  values: readonly (Buffer | null)[],
  plan: RowPlan,
  counts: MaskCounts,
  detects: boolean,
): Buffer | undefined {
  let changed = false;
  const out = values.map((value, i) => {
    if (value === null) return null;
    const action = plan.actions[i]!;
    const typeOid = plan.typeOids[i]!;
    const format = plan.formats[i]!;
    if (action.kind === 'strategy') {
      changed = true;
      counts.add(action.label, 1);
      const text = format === 0 ? value.toString('utf8') : binaryToText(typeOid, value);
      return Buffer.from(
        text === undefined ? '[REDACTED]' : applyStrategy(action.strategy, text, KEY),
        'utf8',
      );
    }
    if (action.kind === 'derived') {
      changed = true;
      counts.add('derived', 1);
      return Buffer.from('[REDACTED]');
    }
    if (!detects || !isReadableText(typeOid, format)) return value;
    const jsonb = typeOid === 3802 && format === 1;
    const outcome = content.mask((jsonb ? value.subarray(1) : value).toString('utf8'));
    if (!outcome) return value;
    changed = true;
    counts.addEntities(outcome.counts);
    const body = Buffer.from(outcome.text, 'utf8');
    return jsonb ? Buffer.concat([value.subarray(0, 1), body]) : body;
  });
  return changed ? backend.dataRow(out) : undefined;
}

function body(row: Buffer): [Buffer, number, number] {
  return [row, 5, row.length];
}

const strategies: Strategy[] = [
  { kind: 'redact' },
  { kind: 'partial', keep: 4 },
  { kind: 'partial', keep: 1 },
  { kind: 'hash' },
  { kind: 'email' },
];
const actionArb: fc.Arbitrary<ColumnAction> = fc.oneof(
  fc.constant({ kind: 'pass' } as const),
  fc.constant({ kind: 'derived' } as const),
  fc.constantFrom(...strategies).map((strategy) => ({ kind: 'strategy', strategy, label: 't.c' }) as const),
);
/** [typeOid, format] pairs: text, int4 text and binary, bpchar binary, binary jsonb, bytea binary. */
const typeArb = fc.constantFrom<[number, number]>([25, 0], [23, 0], [23, 1], [1042, 1], [3802, 1], [17, 1]);
const valueArb = fc.oneof(
  fc.constant(null),
  fc.constantFrom(
    'jane@example.com',
    'card 4111 1111 1111 1111',
    '123-45-6789',
    'Zoë',
    '',
    ' '.repeat(84),
    '42',
  ),
  fc.string({ unit: 'grapheme-composite', maxLength: 40 }),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
);

describe('DataRow rewriting', () => {
  it('equals the value-by-value reference for any row, plan and format', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(actionArb, typeArb, valueArb), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (columns, detects) => {
          const plan = makePlan(
            columns.map((c) => c[0]),
            columns.map((c) => c[1][0]),
            columns.map((c) => c[1][1]),
            detects,
          );
          const values = columns.map(([, , v]) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
          const row = backend.dataRow(values);
          const ctx: ValueContext = {
            content: detects ? content : undefined,
            hashKey: KEY,
            counts: new MaskCounts(),
          };
          const expectedCounts = new MaskCounts();
          const expected = reference(values, plan, expectedCounts, detects);
          const got = rewriteDataRow(...body(row), plan, ctx);
          assert.deepEqual(got && Buffer.from(got), expected);
          assert.deepEqual(ctx.counts.take(), expectedCounts.take());
        },
      ),
      { numRuns: 600 },
    );
  });

  it('leaves rows nothing changes alone (undefined), and refuses malformed rows', () => {
    const plan = makePlan([{ kind: 'pass' }, { kind: 'pass' }], [25, 23], [0, 0], true);
    const ctx: ValueContext = { content, hashKey: undefined, counts: new MaskCounts() };
    assert.equal(rewriteDataRow(...body(backend.dataRow(['Jane Roe', '1234567'])), plan, ctx), undefined);
    const good = backend.dataRow(['Jane Roe', '12']);
    const bad = [
      good.subarray(0, good.length - 1), // cut short
      backend.dataRow(['only one']), // count differs from the description
      Buffer.concat([good, Buffer.from([0])]), // trailing byte
    ];
    for (const row of bad) {
      assert.throws(
        () => rewriteDataRow(row, 5, row.length, plan, ctx),
        (err: unknown) => isAirlockError(err) && err.code === 'ERR_MASKING_FAILED',
      );
    }
  });

  it('frames consecutive rewritten rows over one slab, adjacent, never overwritten', () => {
    const plan = makePlan(
      [{ kind: 'strategy', strategy: { kind: 'redact' }, label: 't.c' }],
      [25],
      [0],
      false,
    );
    const ctx: ValueContext = { content: undefined, hashKey: undefined, counts: new MaskCounts() };
    const kept: [Buffer, Buffer][] = [];
    let merged = 0;
    let last: { buffer: Buffer; end: number } | undefined;
    for (let i = 0; i < 20_000; i++) {
      const out = rewriteDataRow(...body(backend.dataRow([`secret ${i}`])), plan, ctx)!;
      const frame = outgoingFrame(out);
      assert.deepEqual(frame.buffer.subarray(frame.start, frame.end), out);
      if (last && last.buffer === frame.buffer && last.end === frame.start) merged++;
      last = { buffer: frame.buffer, end: frame.end };
      if (i % 97 === 0) kept.push([out, Buffer.from(out)]);
    }
    assert.ok(merged > 19_000, `only ${merged} rows were adjacent`);
    for (const [view, copy] of kept) assert.deepEqual(view, copy); // slabs are never written again
    const other = backend.commandComplete('SELECT 1');
    const frame = outgoingFrame(other);
    assert.equal(frame.buffer, other);
    assert.equal(frame.end - frame.start, other.length);
  });
});
