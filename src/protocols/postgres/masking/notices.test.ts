import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createContentMasker } from '../../../masking/content.js';
import { BackendCode } from '../codec/codes.js';
import { MaskCounts } from './counts.js';
import { type InFlight, type NoticeContext, rewriteNotice, rewriteNotification } from './notices.js';

const PHONE = '+1 415 555 0132';

function ctx(masksColumns = true): NoticeContext {
  return {
    content: createContentMasker({ entities: ['EMAIL', 'SSN'], region: 'US' }),
    counts: new MaskCounts(),
    masksColumns,
    isSensitiveTable: () => true,
  };
}

/** The fields of a rewritten ErrorResponse (or the input when unchanged). */
function run(
  fields: Record<string, string>,
  inflight: InFlight | undefined,
  c: NoticeContext = ctx(),
): Record<string, string> {
  const map = new Map<number, string>();
  for (const [k, v] of Object.entries(fields)) map.set(k.charCodeAt(0), v);
  const out = rewriteNotice(BackendCode.ErrorResponse, map, c, inflight);
  if (!out) return fields;
  assert.equal(out[0], BackendCode.ErrorResponse);
  assert.equal(out.readInt32BE(1), out.length - 1, 'the length is rebuilt');
  const result: Record<string, string> = {};
  let pos = 5;
  while (out[pos] !== 0) {
    const type = String.fromCharCode(out[pos]!);
    const end = out.indexOf(0, pos + 1);
    result[type] = out.toString('utf8', pos + 1, end);
    pos = end + 1;
  }
  assert.equal(pos, out.length - 1);
  return result;
}

const TOUCHING: InFlight = { touches: true, text: 'select current_setting(phone) from customers' };

describe('rewriteNotice: values quoted by errors of any SQLSTATE', () => {
  it('masks a quoted value in a 42704 message when the statement reads masked data, keeping the code', () => {
    const out = run(
      { S: 'ERROR', C: '42704', M: `unrecognized configuration parameter "${PHONE}"` },
      TOUCHING,
    );
    assert.equal(out.C, '42704');
    assert.equal(out.M, 'unrecognized configuration parameter "[masked]"');
  });

  it('masks when the statement in flight is unknown (fail closed)', () => {
    const out = run(
      { S: 'ERROR', C: '0A000', M: `cross-database references are not implemented: "${PHONE}"` },
      undefined,
    );
    assert.equal(out.M, 'cross-database references are not implemented: "[masked]"');
  });

  it('keeps quoted text of a statement that reads nothing masked', () => {
    const fields = { S: 'ERROR', C: '42P01', M: 'relation "nothere" does not exist' };
    assert.deepEqual(run(fields, { touches: false, text: 'select * from nothere' }), fields);
  });

  it('keeps what the client typed only when the statement reads no masked data (else it is an oracle)', () => {
    const error = {
      S: 'ERROR',
      C: '42703',
      M: 'column "emial" does not exist',
      H: `Perhaps you meant "${PHONE}".`,
    };
    const touching = run(error, { touches: true, text: 'select emial from customers' });
    assert.equal(touching.M, 'column "[masked]" does not exist');
    assert.equal(touching.H, 'Perhaps you meant "[masked]".');
    // A statement listing every possible chunk of a value (here in a comment) learns nothing either.
    const oracle = run(
      { S: 'ERROR', C: '22P02', M: 'invalid input syntax for type integer: "x1415"' },
      {
        touches: true,
        text: "select ('x' || substr(phone, 1, 4))::int from customers /* x1414 x1415 x1416 */",
      },
    );
    assert.equal(oracle.M, 'invalid input syntax for type integer: "[masked]"');
    const clean = run(
      { S: 'ERROR', C: '22P02', M: 'invalid input syntax for type integer: "abc"' },
      { touches: false, text: "select 'abc'::int" },
    );
    assert.equal(clean.M, 'invalid input syntax for type integer: "abc"');
  });

  it('masks from the first to the last masked quote, so a value holding quotes leaks nothing between', () => {
    const out = run(
      { S: 'ERROR', C: '42704', M: 'unrecognized configuration parameter "a" b "c"' },
      TOUCHING,
    );
    assert.equal(out.M, 'unrecognized configuration parameter "[masked]"');
    const odd = run({ S: 'ERROR', C: '42704', M: 'parameter "a"b" is bad' }, TOUCHING);
    assert.equal(odd.M, 'parameter "[masked]" is bad');
  });

  it('masks the context (Where) of any class: quoted spans and "line N:" echoes', () => {
    const syntax = run(
      { S: 'ERROR', C: '42601', M: 'syntax error at or near "+"', W: `invalid type name "${PHONE}"` },
      { touches: true, text: 'select phone::regtype from customers' },
    );
    assert.equal(syntax.M, 'syntax error at or near "[masked]"');
    assert.equal(syntax.W, 'invalid type name "[masked]"');
    const json = run(
      {
        S: 'ERROR',
        C: '22P02',
        M: 'invalid input syntax for type json',
        W: `JSON data, line 1: ${PHONE}...`,
      },
      TOUCHING,
    );
    assert.equal(json.W, 'JSON data, line 1: [masked]');
  });

  it('masks the internal query of dynamic SQL and a multi-line detail whole', () => {
    const out = run(
      {
        S: 'ERROR',
        C: '42P01',
        M: 'missing FROM-clause entry for table "alice"',
        q: 'select alice.wonder@example.com',
        D: `line 1: Start tag expected\n${PHONE}\n^`,
      },
      { touches: true, text: "select query_to_xml('select ' || email, true, false, '') from customers" },
    );
    assert.equal(out.M, 'missing FROM-clause entry for table "[masked]"');
    assert.doesNotMatch(out.q!, /alice/);
    assert.doesNotMatch(out.D!, /415/);
  });

  it('counts a masked notice, and leaves connections without column rules to content detection', () => {
    const c = ctx();
    run({ S: 'ERROR', C: '42704', M: `unrecognized configuration parameter "${PHONE}"` }, TOUCHING, c);
    assert.deepEqual(c.counts.take(), { notice: 1 });
    const fields = { S: 'ERROR', C: '42704', M: `unrecognized configuration parameter "${PHONE}"` };
    assert.deepEqual(run(fields, TOUCHING, ctx(false)), fields);
  });

  it('still runs content detection after quote masking', () => {
    const out = run(
      { S: 'NOTICE', C: '00000', M: 'row for alice.wonder@example.com skipped' },
      { touches: false, text: 'select 1' },
    );
    assert.equal(out.M, 'row for [EMAIL] skipped');
  });
});

describe('values PostgreSQL echoes without quotes', () => {
  const touching: InFlight = { touches: true, text: 'select make_date(x, 13, 1) from customers' };
  it('are masked when the statement reads masked data: digits, dotted names, addresses', () => {
    const masked = (message: string, code = '22008') => run({ C: code, M: message }, touching).M;
    assert.equal(
      masked('date field value out of range: 123456789-13-01'),
      'date field value out of range: [masked]',
    );
    assert.equal(
      masked('requested character too large for encoding: 124570901', '54000'),
      'requested character too large for encoding: [masked]',
    );
    assert.equal(
      masked('improper qualified name (too many dotted names): moc.elpmaxe@rednow.ecila.a.b', '42601'),
      'improper qualified name (too many dotted names): [masked]',
    );
    assert.equal(
      masked('operator does not exist: "+1 415 555 0132"(int4,int4)', '42883'),
      'operator does not exist: [masked]',
    );
    // Wording, words and the client's own tokens stay.
    assert.equal(
      masked('percentile value 123 is not between 0 and 1.', '22003'),
      'percentile value [masked] is not between [masked] and [masked]',
    );
    assert.equal(
      masked('function upper(integer) does not exist', '42883'),
      'function upper(integer) does not exist',
    );
    assert.equal(
      run(
        {
          C: '23503',
          t: 'orders',
          M: 'x',
          D: `Key (phone)=(${PHONE}) is still referenced from table "orders".`,
        },
        touching,
        {
          ...ctx(),
          isSensitiveTable: () => false,
        },
      ).D,
      'Key [masked] [masked] [masked] [masked] is still referenced from table "[masked]".',
    );
  });
  it('are masked after the first ": " whatever their alphabet, unless the client typed them', () => {
    const at = (message: string, code = '42883', text = touching.text) =>
      run({ C: code, M: message }, { touches: true, text }).M;
    // Digits mapped to letters, e-mail separators to `_`: no digit, `@` or `.` left to spot.
    assert.equal(at('operator does not exist: +b_ebf_fff_abdc'), 'operator does not exist: [masked]');
    assert.equal(
      at('improper relation name (too many dotted names): bebfffffabdc .a.b.c', '42601'),
      'improper relation name (too many dotted names): [masked]',
    );
    assert.equal(
      at('cross-database references are not implemented: alice_wonder_example_com.a.b', '0A000'),
      'cross-database references are not implemented: [masked]',
    );
    // One quoted span after the colon keeps its quotes, masked even when typed (typed text is kept
    // only for statements that read no masked data).
    assert.equal(
      at('invalid input syntax for type integer: "bebfffffabdc"', '22P02'),
      'invalid input syntax for type integer: "[masked]"',
    );
    assert.equal(
      at('invalid input syntax for type integer: "abc"', '22P02', "select 'abc'::int, phone from customers"),
      'invalid input syntax for type integer: "[masked]"',
    );
    // What the client typed verbatim is masked too on such statements; a colon inside a quoted span is
    // not the split.
    assert.equal(
      at('operator does not exist: text + integer', '42883', 'select text + integer from customers'),
      'operator does not exist: [masked]',
    );
    assert.equal(at('relation "a: b" does not exist', '42P01'), 'relation "[masked]" does not exist');
    // Detail, hint and context lines follow the same rule.
    const r = run(
      {
        C: '42883',
        M: 'x',
        D: 'Token "qq" is invalid: bebfffffabdc',
        H: 'see: alicewonder',
        W: 'JSON data, line 1: bebfffffabdc\nCOPY customers, line 3',
      },
      touching,
    );
    assert.equal(r.D, 'Token "[masked]" is invalid: [masked]');
    assert.equal(r.H, 'see: [masked]');
    assert.equal(r.W, 'JSON data, line 1: [masked]\nCOPY customers, line 3');
  });
  it('are kept when the statement reads no masked data', () => {
    const clean: InFlight = { touches: false, text: 'select 1' };
    assert.equal(
      run({ C: '54000', M: 'requested character too large for encoding: 2000000' }, clean).M,
      'requested character too large for encoding: 2000000',
    );
  });
});

describe('notification payloads', () => {
  const payloadOf = (out: Buffer | undefined) => {
    assert.ok(out);
    assert.equal(out.readInt32BE(1), out.length - 1);
    const channelEnd = out.indexOf(0, 9);
    return out.toString('utf8', channelEnd + 1, out.length - 1);
  };
  it('are replaced whole on a connection with column rules (a trigger may send a masked row)', () => {
    const c = ctx();
    const payload = JSON.stringify({ id: 1, phone: PHONE });
    assert.equal(
      payloadOf(rewriteNotification(42, 'rows', payload, c)),
      '[payload masked by airlock: it may carry masked values]',
    );
    assert.deepEqual(c.counts.take(), { notification: 1 });
    assert.equal(rewriteNotification(42, 'rows', '', c), undefined, 'an empty payload carries nothing');
  });
  it('are content-masked otherwise', () => {
    assert.equal(payloadOf(rewriteNotification(42, 'rows', 'ssn 123-45-6789', ctx(false))), 'ssn [SSN]');
    assert.equal(rewriteNotification(42, 'rows', `call ${PHONE}`, ctx(false)), undefined);
  });
});
