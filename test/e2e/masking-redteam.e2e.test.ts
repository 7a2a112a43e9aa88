/**
 * Masking red team, end to end: exfiltration attempts on channels the earlier suites
 * (masking.e2e, masking-sinks.e2e, masking-audit.e2e) do not cover, through psql and node-postgres
 * (simple, extended text, extended binary) against a real PostgreSQL 15 with
 * `customers(id, name, email, card_number, ssn, phone)`. As in the audit suite, the phone column is
 * masked by `hash` and no detector knows phones, so only the column rules protect it; the leak check
 * also recognises values whose digits were mapped to letters (`translate(phone, '0123456789',
 * 'abcdefghij')`) or whose e-mail separators were dropped, since such a mapping is a bijection the
 * reader reverses at once.
 *
 * `LEAKING` holds the attempts that returned a raw value when this file was written: each asserts
 * that nothing leaks, so each fails until its class is closed. `HELD` holds representative attempts
 * of the classes that held, kept as regressions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';
import { leaksIn, recoverableForms } from '../harness/leak-forms.js';
import { CUSTOMER_ROWS, CUSTOMERS_SQL, MASKED_CUSTOMERS, psqlThrough } from '../harness/masked-customers.js';

const MASKED = MASKED_CUSTOMERS;
const ROWS = CUSTOMER_ROWS;

const SETUP = `${CUSTOMERS_SQL}
create table notes (id int primary key, body text);
insert into notes values (1, 'first'), (2, 'second');
create sequence rs;
create schema s2;
create table s2.customers (id int, name text, email text, card_number text, ssn text, phone text);
insert into s2.customers values (7, 'Decoy', 'decoy@example.net', null, null, 'decoy');
`;

/** Digits mapped to letters, as `translate(x, '0123456789', 'abcdefghij')` does. */
const toLetters = (digits: string) => digits.replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!);

const RAWS: string[] = ROWS.flatMap((row) => row.slice(2) as string[]);
const FORMS: string[] = recoverableForms(RAWS);
/** Letter-only forms: digit runs mapped to letters, e-mails without their separators. */
const LETTER_FORMS: string[] = RAWS.flatMap((raw) => {
  const digits = raw.replace(/\D/g, '');
  if (raw.includes('@')) return [raw.replace(/[^a-z]/g, '')];
  return digits.length >= 9 ? [toLetters(digits)] : [];
});

/** The raw forms in `text`, including the letter-mapped ones (in the text's lowercase letters alone). */
function leaks(text: string): string[] {
  const letters = text.replace(/[^a-z]/g, '');
  return [
    ...leaksIn(text, FORMS),
    ...LETTER_FORMS.filter((f) => letters.includes(f)).map((f) => `letters:${f}`),
  ];
}

type Attempt = { readonly kind: string; readonly sql: string };

const P = (kind: string, sql: string): Attempt => ({ kind, sql });

/** Leaked when written: each fails until its class is closed. */
const LEAKING: readonly Attempt[] = [
  // Class: unquoted names in errors. regoperin, regoperatorin and the qualified-name checks echo
  // the input without quotes; digits mapped to letters (or an e-mail's separators to `_`) leave
  // tokens with no digit, `@`, `.` or backslash, so the unquoted-token rule keeps them.
  P('error-unquoted', "select translate(phone, '0123456789 ', 'abcdefghij_')::regoper from customers"),
  P('error-unquoted', "select translate(ssn, '0123456789-', 'abcdefghij_')::regoper from customers"),
  P('error-unquoted', "select translate(card_number, '0123456789', 'abcdefghij')::regoper from customers"),
  P('error-unquoted', "select translate(email, '@.', '__')::regoper from customers"),
  P(
    'error-unquoted',
    "select (translate(phone, '0123456789 ', 'abcdefghij_') || '(integer,integer)')::regoperator from customers",
  ),
  P(
    'error-unquoted',
    `select ('"' || translate(phone, '0123456789', 'abcdefghij') || ' ".a.b.c')::regclass from customers`,
  ),
  P(
    'error-unquoted',
    `select ('"' || translate(phone, '0123456789', 'abcdefghij') || ' ".a.b')::regproc from customers`,
  ),
  // Class: user-defined operators over built-in sinks. CREATE OPERATOR is not refused and an
  // operator is not a function call, so the sink table never sees setval or pg_advisory_lock.
  P(
    'operator-sink',
    "create operator @@@ (rightarg = bigint, function = pg_advisory_lock); select @@@ translate(phone, ' +', '')::bigint from customers where id = 1; select ((classid::int8 << 32) | objid::int8)::text from pg_locks where locktype = 'advisory'",
  ),
  P(
    'operator-sink',
    "create operator ### (leftarg = regclass, rightarg = bigint, function = setval); select 'rs'::regclass ### translate(phone, ' +', '')::bigint from customers where id = 1; select last_value from rs",
  ),
  // Class: a built-in that runs SQL text. ts_rewrite(query, 'select target, substitute ...') runs
  // its second argument; unlike ts_stat and the *_to_xml family it is not known to read masked data.
  P(
    'sql-text',
    "select ts_rewrite('a'::tsquery, 'select ''a''::tsquery, plainto_tsquery(''simple'', translate(phone, '' +'', '''')) from customers where id = 1')",
  ),
  P(
    'sql-text',
    "select ts_rewrite('a'::tsquery, 'select ''a''::tsquery, plainto_tsquery(''simple'', translate(email, ''@.'', '''')) from customers where id = 1')",
  ),
  // Class: CHECK constraints of a domain run on a cast. CREATE DOMAIN is not refused, and a cast
  // to the domain is not a function call, so the sink in its CHECK stores the value.
  P(
    'domain-sink',
    "create domain dleak as text check (set_config('x.leak', value, false) is not null); select phone::dleak from customers where id = 1; select current_setting('x.leak')",
  ),
  P(
    'domain-sink',
    "create domain dleak as text check (set_config('x.leak', value, false) is not null); select cast(c.phone as dleak) is null from customers c where id = 1; show x.leak",
  ),
  P(
    'domain-sink',
    "create domain dseq as bigint check (setval('rs', value) is not null); select cast(translate(phone, ' +', '') as bigint)::dseq from customers where id = 1; select last_value from rs",
  ),
  P(
    'domain-sink',
    "create domain dlock as bigint check (pg_try_advisory_lock(value)); select translate(phone, ' +', '')::bigint::dlock from customers where id = 1; select ((classid::int8 << 32) | objid::int8)::text from pg_locks where locktype = 'advisory'",
  ),
  // Class: operators again, over lo_from_bytea, and one shadowing pg_catalog's `+` through search_path.
  P(
    'operator-sink',
    "create operator &&& (leftarg = oid, rightarg = bytea, function = lo_from_bytea); select 0::oid &&& convert_to(phone, 'UTF8') from customers where id = 1; select string_agg(convert_from(lo_get(oid), 'UTF8'), ',') from pg_largeobject_metadata",
  ),
  P(
    'operator-sink',
    "create operator public.+ (leftarg = regclass, rightarg = bigint, function = setval); set search_path = public, pg_catalog; select 'rs'::regclass + translate(phone, ' +', '')::bigint from customers where id = 1; select last_value from rs",
  ),
  // Class: a user aggregate named like a built-in. CREATE AGGREGATE is not refused; public.max(bytea)
  // is taken for pg_catalog's max (the same name is refused when not a built-in's: see HELD).
  P(
    'aggregate-sink',
    "create aggregate public.max(bytea) (sfunc = lo_from_bytea, stype = oid, initcond = '0'); select max(convert_to(phone, 'UTF8')) from customers where id = 1; select string_agg(convert_from(lo_get(oid), 'UTF8'), ',') from pg_largeobject_metadata",
  ),
];

/** Representatives of the classes that held. */
const HELD: readonly Attempt[] = [
  // SQL text or a relation name run by a built-in or a trusted extension: every output redacted.
  P('sql-text', "select * from ts_stat('select to_tsvector(''simple'', phone) from customers')"),
  P('sql-text', "select database_to_xml(true, false, '')"),
  P('sql-text', "select schema_to_xml_and_xmlschema('public', true, false, '')"),
  P(
    'extension',
    "select * from crosstab('select id, ''p'', phone from customers order by 1') as ct(id int, p text)",
  ),
  P(
    'extension',
    "select * from connectby('customers', 'phone', 'name', 'Alice Wonder', 1) as t(k text, p text, l int)",
  ),
  // Set-returning and record functions in FROM fed a masked column: their outputs are derived.
  P('from-function', 'select r.phone from customers c, jsonb_to_record(to_jsonb(c)) r(phone text)'),
  P('from-function', "select t from customers c, regexp_split_to_table(c.phone, '') t"),
  P('from-function', "select x.t from customers c cross join lateral string_to_table(c.phone, ' ') as x(t)"),
  P('from-function', 'select g, substr(c.phone, g, 1) from customers c, generate_series(1, 15) g'),
  P('from-function', "select alias, token from customers c, ts_debug('simple', c.email)"),
  P('from-function', "select v.e from customers c, lateral (values (c.phone || '')) v(e)"),
  P('from-function', "select lexeme from customers c, unnest(to_tsvector('simple', c.email))"),
  // Casts and odd spellings of a column.
  P(
    'cast',
    "select email::bytea, convert_to(phone, 'UTF8'), int4range(replace(ssn, '-', '')::int, null) from customers",
  ),
  P('cast', "select format('%I', email), quote_literal(phone), quote_ident(phone) from customers"),
  P('spelling', `select U&"\\0070hone" || '' from customers`),
  P('spelling', 'select reverse(email(c)), phone(c) from customers c'),
  P('spelling', "select phone operator(pg_catalog.||) '' from customers"),
  P('schema', "set search_path = s2, public; select reverse(ssn), phone || '' from customers"),
  // Errors quoting a value, from DDL that evaluates expressions over masked rows too.
  P('error-quoted', "select to_date(translate(phone, '0123456789', 'abcdefghij'), 'Month') from customers"),
  P('ddl-eval', 'create index ix_phone_int on customers ((phone::int))'),
  P('ddl-eval', 'create statistics st_phone on (phone::int) from customers; analyze customers'),
  P('ddl-eval', "create index ix_date on customers ((make_date(replace(ssn, '-', '')::int, 13, 1)))"),
  P('constraint', 'alter table customers add constraint ex exclude using btree (phone with =)'),
  // EXECUTE parameters cannot be subqueries; EXPLAIN shows an InitPlan's value as $0.
  P(
    'execute-param',
    "prepare pe1(text) as select $1 || ''; execute pe1((select phone from customers where id = 1))",
  ),
  P(
    'explain',
    'explain (format json, verbose) select * from notes where body = (select phone from customers where id = 1)',
  ),
  // COPY options that change the framing are refused.
  P('copy-options', "copy customers to stdout with (format csv, quote '@')"),
  P('copy-options', "copy customers to stdout with (format text, null '5', delimiter '1')"), // Built-in-looking names that are not built-ins, and unique-index build errors.
  P('shadow', "create function public.lower(text) returns text language sql as 'select $1'"),
  P(
    'aggregate-sink',
    "create aggregate public.leakagg(bytea) (sfunc = lo_from_bytea, stype = oid, initcond = '0'); select leakagg(convert_to(phone, 'UTF8')) from customers where id = 1; select string_agg(convert_from(lo_get(oid), 'UTF8'), ',') from pg_largeobject_metadata",
  ),
  P('ddl-eval', 'create unique index ux_prefix on customers ((substr(phone, 1, 3)))'),
  P('sql-text', "select * from ts_stat('select to_tsvector(''simple'', phone) from customers', 'abcd')"),
];

describe('masking red team: data channels not covered by the earlier suites', () => {
  let h: AirlockHarness;
  let token: string;

  before(async () => {
    h = await startAirlock({ extraConnections: MASKED, upstreamPortPlaceholder: 'PORT' });
    // Extensions a DBA installed (tablefunc is not trusted, so a superuser installs it).
    await h.cluster.psql('create extension tablefunc', 'app');
    await h.cluster.psql(`set role app; ${SETUP}`, 'app');
    token = await h.server.createToken({ name: 'masking-redteam-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  function psql(sql: string, connection = 'masked'): Promise<string> {
    return psqlThrough(h, token, '', { stdin: `${sql};\n`, connection });
  }

  /** Undoes what an attempt may have left on the target (objects, locks), as the owner. */
  async function cleanUp(): Promise<void> {
    await h.cluster.psql(
      `set role app;
drop index if exists ix_phone_int, ix_phone_pred, ux_prefix, ix_date;
drop statistics if exists st_phone;
drop operator if exists ### (regclass, bigint);
drop operator if exists @@@ (none, bigint);
drop operator if exists %%% (text, text);
drop operator if exists &&& (oid, bytea);
drop operator if exists public.+ (regclass, bigint);
drop domain if exists dleak, dseq, dlock;
drop aggregate if exists public.leakagg(bytea);
drop aggregate if exists public.max(bytea);
drop type if exists tleak cascade;
select pg_advisory_unlock_all();
select lo_unlink(oid) from pg_largeobject_metadata;
select setval('rs', 1, false);`,
      'app',
    );
  }

  async function viaPg(sql: string): Promise<string> {
    let out = '';
    for (const mode of ['simple', 'extended', 'binary'] as const) {
      if (mode !== 'simple' && sql.includes(';')) break;
      const client = new pg.Client({ connectionString: h.url(token, 'masked') });
      client.on('error', () => {});
      const notices: string[] = [];
      client.on('notice', (n) => notices.push(JSON.stringify({ ...n, message: n.message })));
      await client.connect();
      try {
        const config =
          mode === 'simple' ? { text: sql } : { text: sql, queryMode: 'extended', binary: mode === 'binary' };
        const r = (await client.query(config as pg.QueryConfig)) as pg.QueryResult | pg.QueryResult[];
        out += JSON.stringify(
          (Array.isArray(r) ? r : [r]).map((x) => x.rows),
          (_, v: unknown) =>
            v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
              ? Buffer.from((v as { data: number[] }).data).toString('latin1')
              : v,
        );
      } catch (err) {
        const e = err as Record<string, unknown>;
        out += JSON.stringify([mode, e.message, e.detail, e.hint, e.where, e.internalQuery]);
      } finally {
        await client.end().catch(() => {});
      }
      out += notices.join('');
      await cleanUp();
    }
    return out;
  }

  async function run(list: readonly Attempt[]): Promise<string[]> {
    const found: string[] = [];
    for (const { kind, sql } of list) {
      const viaPsql = await psql(sql);
      await cleanUp();
      const viaDriver = await viaPg(sql);
      if (process.env.MASKING_E2E_DEBUG)
        console.log(
          `${kind}: ${sql}\n   psql => ${viaPsql.replace(/\s+/g, ' ').slice(0, 600)}\n   pg => ${viaDriver.slice(0, 600)}`,
        );
      const hit = leaks(viaPsql + viaDriver);
      if (hit.length > 0)
        found.push(`${kind}: ${sql}\n  leaked ${hit.join(', ')}\n  ${viaPsql.slice(0, 400)}`);
    }
    return found;
  }

  test('control: the leak check sees raw and letter-mapped values on the unmasked connection', async () => {
    const out = await psql(
      "select phone, translate(phone, '0123456789 ', 'abcdefghij_'), translate(email, '@.', '__') from customers",
      'appdb',
    );
    assert.ok(leaks(out).length >= 6, out);
  });

  // One test per attempt that leaked when this file was written: each fails until its class is closed.
  for (const attempt of LEAKING) {
    test(`no leak: ${attempt.kind}: ${attempt.sql}`, async () => {
      assert.deepEqual(await run([attempt]), []);
    });
  }

  test(`${HELD.length} attempts of the classes that held still return no raw value`, async () => {
    assert.deepEqual(await run(HELD), []);
  });
});
