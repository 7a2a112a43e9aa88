/**
 * Masking audit, end to end: exfiltration attempts found by an adversarial review, through psql
 * (simple protocol, one session per attempt and multi-statement sessions), node-postgres (simple,
 * extended text and extended binary) and a bare wire client (pipelines no driver sends), against a
 * real PostgreSQL with `customers(id, name, email, card_number, ssn, phone)`. The phone column is
 * masked by `hash` and no content detector knows it, so only the column rules stand between it and
 * the client: any raw form of it in any output is a leak. Classes: column aliases (`customers
 * c(a, b, e)`, join aliases), target lists whose expansion shifts output positions, errors that echo
 * values unquoted or from statements that only run masked queries indirectly (EXPLAIN ANALYZE, a
 * holdable cursor, COMMIT), cursors and prepared statements redefined by a statement that never ran,
 * and names shared between SQL-level and protocol-level statements and portals. The classes that
 * were already closed (cursors, composite rows, aggregates, piecewise extraction, RETURNING, COPY,
 * temp tables) are kept as regressions.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { frontend } from '../../src/protocols/postgres/testing/builders.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';
import { leaksIn, recoverableForms } from '../harness/leak-forms.js';
import { CUSTOMER_ROWS, CUSTOMERS_SQL, MASKED_CUSTOMERS, psqlThrough } from '../harness/masked-customers.js';

const MASKED = MASKED_CUSTOMERS;
const ROWS = CUSTOMER_ROWS;

const SETUP = `${CUSTOMERS_SQL}
create table notes (id int primary key, body text);
insert into notes values (1, 'first'), (2, 'second');
create type empty_row as ();
-- A trigger the application's owner made (not through Airlock): it sends every updated row.
create function notify_row() returns trigger language plpgsql as $$
begin perform pg_notify('rows', row_to_json(new)::text); return new; end $$;
create trigger notify_row after update on customers for each row execute function notify_row();
-- Views the owner made that read masked data through built-ins taking SQL text or a table name.
create view v_xml as select query_to_xml('select phone from customers', true, false, '') as x;
create view v_table_xml as select table_to_xml('customers', true, false, '') as x;
create view v_over_xml as select 'wrapped' as w, x from v_xml;
`;

/** Every recoverable form of every raw value. */
const FORMS: string[] = recoverableForms(ROWS.flatMap((row) => row.slice(2) as string[]));

/** The raw forms in `text` (digit forms also inside longer digit runs: `124570901` - 1114112). */
function leaks(text: string): string[] {
  const hits = leaksIn(text, FORMS);
  // Arithmetic on a digit form (`ssn + 1114112`) is recoverable too: look for numbers that differ
  // from a digit form by one of the offsets the attempts below use.
  for (const n of text.match(/\d{9,}/g) ?? []) {
    for (const f of FORMS.filter((x) => /^\d+$/.test(x))) {
      const diff = BigInt(n) - BigInt(f);
      if (diff === 1114112n || diff === 0n) hits.push(`${f} (as ${n})`);
    }
  }
  return hits;
}

/** Single statements: each through psql and node-postgres in three modes. */
const ATTEMPTS: readonly { readonly sql: string; readonly kind: string }[] = [
  // Column aliases rename a masked column; join aliases name a whole joined row.
  { kind: 'alias', sql: "select reverse(a), p || '' from customers c(x, y, a, k, s, p)" },
  { kind: 'alias', sql: 'select reverse(a) from only customers c(x, y, a)' },
  { kind: 'alias', sql: 'select reverse(a) from customers c(x, y, a) where x = 1' },
  { kind: 'alias', sql: 'select reverse(c.a) from customers c(x, y, a) join notes n on n.id = c.x' },
  {
    kind: 'alias',
    sql: "select reverse(j.e), j.p || '' from (customers c left join notes n on true) as j(a, b, e, k, s, p)",
  },
  { kind: 'alias', sql: 'select reverse(j.e) from (customers join notes using (id)) as j(a, b, e)' },
  { kind: 'alias', sql: 'select j::text from (customers join notes on true) j' },
  { kind: 'alias', sql: 'select to_jsonb(j) from (customers natural join notes) j' },
  { kind: 'alias', sql: "select string_agg(p, ',') from customers c(x, y, a, k, s, p)" },
  { kind: 'alias', sql: "select format('%s', p) from customers as c(x, y, a, k, s, p)" },
  {
    kind: 'alias',
    sql: "select set_config('app.leak', p, false) from customers c(x, y, a, k, s, p) where x = 1",
  },
  {
    kind: 'alias',
    sql: 'update notes set body = c.p from customers c(x, y, a, k, s, p) where c.x = notes.id returning body',
  },
  // A target that expands to no column shifts every later output onto an earlier position.
  { kind: 'positions', sql: "select (null::empty_row).*, 'x', phone || '', (null::notes).* from customers" },
  { kind: 'positions', sql: 'select (null::empty_row).*, 1, reverse(email), (null::notes).* from customers' },
  {
    kind: 'positions',
    sql: "select (null::empty_row).*, 1, reverse(c.p), (row(1, 'x')::notes).* from customers c(x, y, a, k, s, p)",
  },
  // Errors: unquoted values, and statements that run a masked query indirectly.
  { kind: 'error', sql: 'explain analyze select current_setting(phone) from customers' },
  { kind: 'error', sql: 'explain (analyze, costs off) select reverse(email)::regclass from customers' },
  { kind: 'error', sql: "select make_date(replace(ssn, '-', '')::int, 13, 1) from customers" },
  { kind: 'error', sql: "select make_time(replace(ssn, '-', '')::int, 0, 0) from customers" },
  { kind: 'error', sql: "select chr(replace(ssn, '-', '')::int + 1114112) from customers" },
  {
    kind: 'error',
    sql: "select chr(replace(substr(phone, 4), ' ', '')::int + 1114112) from customers",
  },
  {
    kind: 'error',
    sql: 'select percentile_cont(substr(card_number, 1, 9)::int) within group (order by id) from customers group by card_number',
  },
  { kind: 'error', sql: 'declare h0 cursor with hold for select current_setting(phone) from customers' },
  { kind: 'error', sql: "select (quote_ident(reverse(email)) || '.a.b')::regclass from customers" },
  { kind: 'error', sql: "select ('\"' || phone || '\"(int4,int4)')::regoperator from customers" },
  // Views (made on the target) that read masked data through a built-in running SQL text.
  { kind: 'view', sql: 'select x from v_xml' },
  { kind: 'view', sql: 'select * from v_table_xml' },
  { kind: 'view', sql: 'select w, x::text from v_over_xml' },
  // Already closed: kept as regressions.
  { kind: 'composite', sql: 'select to_jsonb(c) from customers c' },
  { kind: 'composite', sql: 'select (c).* from customers c' },
  { kind: 'composite', sql: 'select row(c.*) from customers c' },
  { kind: 'composite', sql: "select (c).phone || '' from customers c" },
  { kind: 'composite', sql: 'select json_populate_record(null::customers, to_json(c)) from customers c' },
  { kind: 'aggregate', sql: "select string_agg(phone, ',' order by phone) from customers" },
  { kind: 'aggregate', sql: 'select array_agg(phone order by id) from customers' },
  { kind: 'aggregate', sql: 'select json_object_agg(id, phone) from customers' },
  { kind: 'piecewise', sql: "select format('%s|%s', reverse(email), phone) from customers" },
  {
    kind: 'piecewise',
    sql: "select lpad(phone, 20, '*'), overlay(phone placing 'x' from 1 for 1) from customers",
  },
  { kind: 'piecewise', sql: "select translate(phone, '0123456789', 'abcdefghij') from customers" },
  { kind: 'piecewise', sql: 'select substr(phone, 4, 1), ascii(substr(phone, 5, 1)) from customers' },
  { kind: 'piecewise', sql: 'select length(email), md5(phone) from customers' },
  { kind: 'piecewise', sql: "select unnest(string_to_array(phone, ' ')) from customers" },
  { kind: 'piecewise', sql: "select regexp_replace(phone, '(.)', '\\1 ', 'g') from customers" },
  { kind: 'window', sql: 'select sum(ascii(substr(phone, 4, 1))) over (order by id) from customers' },
  { kind: 'window', sql: 'select first_value(phone) over (order by id) from customers' },
  { kind: 'lateral', sql: "select x.p from customers c, lateral (select c.phone || '' as p) x" },
  {
    kind: 'cte',
    sql: 'with recursive r(n, s) as (select 1, (select phone from customers limit 1) union all select n + 1, s from r where n < 2) select s from r',
  },
  {
    kind: 'grouping',
    sql: "select phone || '', count(*) from customers group by grouping sets ((phone), ())",
  },
  {
    kind: 'values',
    sql: "select v.x, c.phone || '' from (values (1), (2)) v(x) join customers c on c.id = v.x",
  },
  {
    kind: 'returning',
    sql: "update customers set name = name where id = 1 returning phone || '', reverse(email)",
  },
  { kind: 'returning', sql: 'delete from customers where id = 99 returning phone' },
  { kind: 'copy', sql: 'copy (select phone from customers) to stdout with (format csv)' },
  { kind: 'copy', sql: 'copy (select phone from customers) to stdout with (format binary)' },
  { kind: 'copy', sql: 'copy customers (phone) to stdout' },
  { kind: 'temp', sql: 'create temp table t1 as select * from customers' },
  { kind: 'temp', sql: 'create temp view tv as select phone from customers' },
  { kind: 'code', sql: "do $$ begin raise notice '%', (select phone from customers limit 1); end $$" },
  {
    kind: 'code',
    sql: "create function leak_t() returns trigger language plpgsql as $$ begin perform pg_notify('x', new.phone); return new; end $$",
  },
  { kind: 'statistics', sql: "select most_common_vals::text from pg_stats where tablename = 'customers'" },
];

/** Multi-statement psql sessions (one session each). */
const SESSIONS: readonly { readonly name: string; readonly script: string }[] = [
  {
    name: 'a cursor redefined by a statement that never ran',
    script: `declare c cursor with hold for select reverse(email), phone || '' from customers;
select 1/0 \\; declare c cursor with hold for select 1, 2;
fetch all from c;`,
  },
  {
    name: 'a prepared statement redefined by a statement that never ran',
    script: `prepare p as select reverse(email), phone || '' from customers;
select 1/0 \\; prepare p as select 1, 2;
execute p;`,
  },
  {
    name: 'a cursor redefined by a DECLARE that failed (name taken)',
    script: `declare c2 cursor with hold for select reverse(email), phone || '' from customers;
declare c2 cursor with hold for select 1, 2;
fetch all from c2;`,
  },
  {
    name: 'a prepared statement redefined by a PREPARE that failed (name taken)',
    script: `prepare p2 as select reverse(email), phone || '' from customers;
prepare p2 as select 1, 2;
execute p2;`,
  },
  {
    name: 'a holdable cursor materialised at COMMIT fails with a value',
    script: `begin;
declare c4 cursor with hold for select current_setting(phone) from customers;
commit;`,
  },
  {
    name: 'a masked table attached as a partition of a new parent, read through the parent',
    script: `create table pp (id int, name text, email text, card_number text, ssn text, phone text) partition by list (id);
alter table pp attach partition customers for values in (1, 2, 9);
select id, reverse(email), phone from pp;
drop table pp;`,
  },
  {
    name: 'CREATE TABLE AS EXECUTE of a prepared statement over masked data',
    script: `prepare pz as select id, phone, reverse(email) as r from customers;
create temp table xz as execute pz;
select id, phone, r from xz;`,
  },
  {
    name: 'scroll cursor, MOVE and FETCH PRIOR',
    script: `begin;
declare c5 scroll cursor for select reverse(email), phone || '' from customers;
move last in c5;
fetch prior from c5;
fetch absolute 1 from c5;
commit;`,
  },
  {
    name: 'INSERT ... RETURNING of a masked column',
    script: `begin;
insert into customers values (9, 'Eve', 'eve@example.com', null, null, '+1 202 555 0101') returning phone || '', reverse(email), (select phone from customers where id = 1);
rollback;`,
  },
];

/** A bare wire client: pipelines that drivers do not send (re-Parse, shared names, no Describe). */
async function wireClient(address: { host: string; port: number }, password: string) {
  const socket = connect(address.port, address.host);
  await once(socket, 'connect');
  let pending = Buffer.alloc(0);
  let closed = false;
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    waiter?.();
  });
  socket.on('close', () => {
    closed = true;
    waiter?.();
  });
  /** Messages (code and body as latin1) up to and including ReadyForQuery, or until the socket closes. */
  const until = async (codes: string): Promise<string[]> => {
    const out: string[] = [];
    for (;;) {
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const end = 1 + pending.readInt32BE(1);
        const code = String.fromCharCode(pending[0]!);
        out.push(`${code}:${pending.toString('latin1', 5, end)}`);
        pending = pending.subarray(end);
        if (codes.includes(code)) return out;
      }
      if (closed) return [...out, 'closed'];
      await new Promise<void>((resolve) => {
        waiter = resolve;
      });
    }
  };
  socket.write(frontend.startup({ user: 'wire', database: 'masked' }));
  await until('R');
  socket.write(frontend.password(password));
  await until('ZE');
  return {
    /** Sends `frames` and returns everything up to the next message of a type in `codes`. */
    round: (codes: string, ...frames: Buffer[]) => {
      socket.write(Buffer.concat(frames));
      return until(codes);
    },
    end: () => socket.destroy(),
  };
}

const f = frontend;
const MASKED_QUERY = "select reverse(email), phone || '' from customers";
const CLEAN_QUERY = "select 'a'::text, 'b'::text";

/** Wire pipelines: each a list of rounds (frames sent, then read up to ReadyForQuery). */
/** One round: frames, read up to ReadyForQuery (or up to a message of a type in `until`). */
type Round = Buffer[] | { readonly frames: Buffer[]; readonly until: string };

const PIPELINES: readonly {
  readonly name: string;
  readonly rounds: readonly Round[];
  /** What the answers must also show (the session stays usable), besides leaking nothing. */
  readonly expect?: RegExp;
}[] = [
  {
    name: 'the unnamed statement re-parsed and described while a portal of the old one runs',
    rounds: [
      [
        f.parse('', MASKED_QUERY),
        f.bind('p1', ''),
        f.parse('', CLEAN_QUERY),
        f.describe('S', ''),
        f.execute('p1'),
        f.sync(),
      ],
    ],
  },
  {
    name: 'a named statement re-parsed by a Parse that failed (name taken)',
    rounds: [
      [f.parse('s1', MASKED_QUERY), f.sync()],
      [f.parse('s1', CLEAN_QUERY), f.sync()],
      [f.bind('', 's1'), f.describe('P', ''), f.execute(''), f.sync()],
    ],
  },
  {
    name: 'a protocol statement replaced by SQL PREPARE of the same name, then described by portal',
    rounds: [
      [f.parse('s2', CLEAN_QUERY), f.describe('S', 's2'), f.sync()],
      [f.query(`deallocate s2; prepare s2 as ${MASKED_QUERY}`)],
      [f.bind('', 's2'), f.describe('P', ''), f.execute(''), f.sync()],
    ],
  },
  {
    name: 'a protocol statement replaced by SQL PREPARE of the same name, executed without Describe',
    rounds: [
      [f.parse('s3', CLEAN_QUERY), f.describe('S', 's3'), f.sync()],
      [f.query(`deallocate s3; prepare s3 as ${MASKED_QUERY}`)],
      [f.bind('', 's3'), f.execute(''), f.sync()],
    ],
  },
  {
    name: 'a protocol portal closed and a SQL cursor of the same name declared',
    rounds: [
      [f.query('begin')],
      [
        f.parse('', CLEAN_QUERY),
        f.bind('c', ''),
        f.describe('P', 'c'),
        f.execute('c', 1),
        f.close('P', 'c'),
        f.sync(),
      ],
      [f.query(`declare c cursor for ${MASKED_QUERY}`)],
      [f.describe('P', 'c'), f.execute('c'), f.sync()],
    ],
    // A SQL cursor described and run through the protocol: computed columns redacted, session kept.
    expect: /DECLARE CURSOR[\s\S]*\[REDACTED\][\s\S]*C:SELECT 2[\s\S]*Z:T/,
  },
  {
    name: 'a SQL cursor closed and a protocol portal of the same name read by FETCH',
    rounds: [
      [f.query(`declare c cursor with hold for ${CLEAN_QUERY}; close c; begin`)],
      [f.parse('', MASKED_QUERY), f.bind('c', ''), f.sync()],
      [f.query('fetch all from c')],
    ],
  },
  {
    name: 'a simple Query the server ignores after an extended-protocol error (never answered)',
    rounds: [
      [f.parse('', 'select * from nosuch_table'), f.query("select 'q1'::text"), f.sync()],
      [f.query(CLEAN_QUERY)],
      [f.query(MASKED_QUERY)],
      [f.query(MASKED_QUERY)],
    ],
  },
  {
    name: 'a simple Query sent after an extended-protocol error was answered, before the Sync',
    rounds: [
      { frames: [f.parse('', 'select * from nosuch_table'), f.flush()], until: 'E' },
      [f.query(CLEAN_QUERY), f.sync()],
      [f.query(MASKED_QUERY)],
      [f.query(MASKED_QUERY)],
    ],
    expect: /reverse[\s\S]*\[REDACTED\][\s\S]*reverse[\s\S]*\[REDACTED\]/,
  },
  {
    name: 'COPY FROM STDIN through the extended protocol with its Sync sent blindly (ignored by the server)',
    rounds: [
      {
        frames: [f.parse('', 'copy notes (id, body) from stdin'), f.bind('', ''), f.execute(''), f.sync()],
        until: 'G',
      },
      [f.copyData('10\tcopied\n'), f.copyDone(), f.sync()],
      [f.query(CLEAN_QUERY)],
      [f.query(MASKED_QUERY)],
      [f.query(MASKED_QUERY)],
      [f.query('delete from notes where id = 10')],
    ],
    expect: /COPY 1[\s\S]*reverse[\s\S]*\[REDACTED\][\s\S]*reverse[\s\S]*\[REDACTED\][\s\S]*DELETE 1/,
  },
  {
    name: 'a simple Query sent during COPY FROM STDIN (the copy consumes it)',
    rounds: [
      { frames: [f.query('copy notes (id, body) from stdin')], until: 'G' },
      [f.query(CLEAN_QUERY), f.copyDone()],
      [f.query(MASKED_QUERY)],
      [f.query(MASKED_QUERY)],
    ],
  },
  {
    name: 'a Sync between COPY data and its end (answered or not, depending on the data)',
    rounds: [
      { frames: [f.query('copy notes (id, body) from stdin')], until: 'G' },
      [f.copyData('not a number\tx\n'), f.sync(), f.copyDone()],
      [f.query(CLEAN_QUERY)],
      [f.query(MASKED_QUERY)],
      [f.query(MASKED_QUERY)],
    ],
  },
  {
    name: 'a SQL prepared statement deallocated and a protocol statement of the same name run by EXECUTE',
    rounds: [
      [f.query(`prepare q as ${CLEAN_QUERY}; execute q; deallocate q`)],
      [f.parse('q', MASKED_QUERY), f.sync()],
      [f.query('execute q')],
    ],
  },
];

describe('masking audit: aliases, positions, errors, redefined cursors and statements', () => {
  let h: AirlockHarness;
  let token: string;

  before(async () => {
    h = await startAirlock({ extraConnections: MASKED, upstreamPortPlaceholder: 'PORT' });
    await h.cluster.psql(`set role app; ${SETUP}`, 'app');
    token = await h.server.createToken({ name: 'masking-audit-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  function psql(sql: string, stdin?: string, connection = 'masked'): Promise<string> {
    return psqlThrough(h, token, sql, { ...(stdin === undefined ? {} : { stdin }), connection });
  }

  test('control: without masking the same attempts leak, so the check can fail', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'appdb') });
    await client.connect();
    try {
      const r = await client.query("select reverse(a), p || '' as p from customers c(x, y, a, k, s, p)");
      assert.ok(leaks(JSON.stringify(r.rows)).length >= 4);
      await assert.rejects(
        client.query("select make_date(replace(ssn, '-', '')::int, 13, 1) from customers"),
        (err: Error) => leaks(err.message).length > 0,
      );
    } finally {
      await client.end();
    }
  });

  test(`${ATTEMPTS.length} single-statement attempts through psql never return a raw value`, async () => {
    const found: string[] = [];
    for (const { kind, sql } of ATTEMPTS) {
      const out = await psql(sql);
      if (process.env.MASKING_E2E_DEBUG)
        console.log(`${kind}: ${sql}\n   => ${out.replace(/\s+/g, ' ').slice(0, 300)}`);
      const hit = leaks(out);
      if (hit.length > 0) found.push(`${kind}: ${sql}\n  leaked ${hit.join(', ')}\n  ${out.slice(0, 400)}`);
    }
    assert.deepEqual(found, []);
    // Nothing was stored by the refused or rewritten statements.
    assert.equal(
      (await h.cluster.psql("select string_agg(body, ',' order by id) from notes", 'app')).trim(),
      'first,second',
    );
  });

  test(`${ATTEMPTS.length} single-statement attempts through node-postgres (simple, extended, binary) never return a raw value`, async () => {
    const found: string[] = [];
    const ended: string[] = [];
    for (const { kind, sql } of ATTEMPTS) {
      const client = new pg.Client({ connectionString: h.url(token, 'masked') });
      let lost = false;
      client.on('error', () => {
        lost = true;
      });
      const notices: string[] = [];
      client.on('notice', (n) => notices.push(JSON.stringify({ ...n, message: n.message })));
      await client.connect();
      try {
        for (const mode of ['simple', 'extended', 'binary'] as const) {
          if (lost) break;
          const config =
            mode === 'simple'
              ? { text: sql }
              : { text: sql, queryMode: 'extended', binary: mode === 'binary' };
          let out: string;
          try {
            const r = await client.query(config as pg.QueryConfig);
            out = JSON.stringify(r.rows, (_, v: unknown) =>
              v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
                ? Buffer.from((v as { data: number[] }).data).toString('latin1')
                : v,
            );
          } catch (err) {
            const e = err as Record<string, unknown>;
            out = JSON.stringify([e.message, e.detail, e.hint, e.where, e.internalQuery]);
            if (lost || e.severity === 'FATAL') ended.push(`${mode}: ${sql}: ${String(e.message)}`);
          }
          if (!lost) await client.query('rollback').catch(() => {});
          const hit = leaks(out + notices.join(''));
          if (hit.length > 0)
            found.push(`${mode} ${kind}: ${sql}\n  leaked ${hit.join(', ')}\n  ${out.slice(0, 400)}`);
        }
      } finally {
        await client.end().catch(() => {});
      }
    }
    assert.deepEqual(found, []);
    assert.deepEqual(ended, [], 'no session is ended by masking');
  });

  test(`${SESSIONS.length} multi-statement psql sessions never return a raw value`, async () => {
    const found: string[] = [];
    for (const { name, script } of SESSIONS) {
      const out = await psql('', script);
      if (process.env.MASKING_E2E_DEBUG)
        console.log(`${name}\n   => ${out.replace(/\s+/g, ' ').slice(0, 400)}`);
      const hit = leaks(out);
      if (hit.length > 0) found.push(`${name}\n  leaked ${hit.join(', ')}\n  ${out.slice(0, 400)}`);
    }
    assert.deepEqual(found, []);
  });

  test(`${PIPELINES.length} wire pipelines (re-Parse, shared statement and portal names) never return a raw value`, async () => {
    const found: string[] = [];
    for (const { name, rounds, expect } of PIPELINES) {
      const client = await wireClient(h.server.addresses.postgres!, token);
      let out = '';
      try {
        for (const r of rounds) {
          const [until, frames] = Array.isArray(r) ? ['Z', r] : [r.until, r.frames];
          out += `${(await client.round(until, ...frames)).join('\n')}\n`;
        }
      } finally {
        client.end();
      }
      if (process.env.MASKING_E2E_DEBUG)
        console.log(`${name}\n   => ${out.replace(/[\x00-\x1f]+/g, '|').slice(0, 400)}`);
      const hit = leaks(out.replace(/[\x00-\x1f]/g, ' '));
      if (hit.length > 0) found.push(`${name}\n  leaked ${hit.join(', ')}`);
      if (expect && !expect.test(out)) found.push(`${name}\n  expected ${expect}: ${out.slice(0, 400)}`);
    }
    assert.deepEqual(found, []);
  });

  test("other sessions' statements (pg_stat_activity.query) quoting a value are refused; other columns pass", async () => {
    // The application (the same database role, through the unmasked connection) looks a customer up.
    const app = new pg.Client({ connectionString: h.url(token, 'appdb') });
    await app.connect();
    const running = app.query(`select pg_sleep(2), id from customers where phone = '${ROWS[0][5]}'`);
    try {
      const control = await psql(
        "select query from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()",
        undefined,
        'appdb',
      );
      assert.ok(leaks(control).length > 0, 'the unmasked connection shows the running statement');
      let out = '';
      for (const sql of [
        'select query from pg_stat_activity',
        'select * from pg_stat_activity',
        'select to_jsonb(a) from pg_stat_activity a',
        'select pg_stat_get_activity(null)',
        'select pg_stat_get_backend_activity(s) from pg_stat_get_backend_idset() s',
      ])
        out += await psql(sql);
      assert.deepEqual(leaks(out), []);
      assert.equal(out.match(/blocked by airlock: masking-statistics: /g)?.length, 5, out);
      const state = await psql("select count(*) from pg_stat_activity where state = 'active'");
      assert.match(state, /^count\n\d+\n/);
    } finally {
      await running;
      await app.end();
    }
  });

  test("an existing trigger's NOTIFY of a masked row reaches a masked session with its payload masked", async () => {
    const payloads: Record<string, string[]> = { appdb: [], masked: [] };
    for (const connection of ['appdb', 'masked'] as const) {
      const client = new pg.Client({ connectionString: h.url(token, connection) });
      await client.connect();
      try {
        const got = new Promise<void>((resolve) =>
          client.on('notification', (n) => {
            payloads[connection]!.push(`${n.channel}: ${n.payload}`);
            resolve();
          }),
        );
        await client.query('listen rows');
        await client.query('update customers set name = name where id = 1');
        await got;
      } finally {
        await client.end();
      }
    }
    assert.ok(leaks(payloads.appdb!.join('\n')).length > 0, 'control: the trigger sends raw values');
    assert.deepEqual(leaks(payloads.masked!.join('\n')), []);
    assert.deepEqual(payloads.masked, ['rows: [payload masked by airlock: it may carry masked values]']);
  });

  test('still usable: a clean cursor or statement reusing a name is not redacted, EXPLAIN is readable', async () => {
    const out = await psql(
      '',
      `declare c cursor with hold for select reverse(email) from customers;
close c;
declare c cursor with hold for select 'kept' || '-' || 'clean' as v;
fetch all from c;
prepare p as select reverse(email) from customers;
deallocate p;
prepare p as select 'also' || '-' || 'clean' as v;
execute p;
explain (costs off) select reverse(a) from customers c(x, y, a);
select 'abc'::int;
select upper(name) from customers c(x) order by x;`,
    );
    assert.match(out, /kept-clean/);
    assert.match(out, /also-clean/);
    assert.match(out, /Seq Scan on customers c/);
    // The client's own text is kept in errors; names (no masked column) pass.
    assert.match(out, /invalid input syntax for type integer: "abc"/);
    assert.match(out, /ALICE WONDER/);
    assert.deepEqual(leaks(out), []);
  });
});
