/**
 * Masking end to end: a real PostgreSQL behind Airlock with `customers(id, name, email, card_number,
 * ssn, phone)` and masking rules on four columns. Every exfiltration attempt (aliases, functions,
 * casts, concatenation, reverse, encodings, json/xml/array builders, UNION, CTEs, views, cursors,
 * COPY, constraint errors, NOTIFY, binary results) runs through psql (simple protocol) and through
 * node-postgres (extended protocol, text and binary results); no response may contain a raw value in
 * any recoverable form: as is, upper-cased, reversed, base64, hex, or (for numbers) digits only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';
import { leaksIn, recoverableForms } from '../harness/leak-forms.js';

const MASKED = appConnection(
  'masked',
  `    access: [group:agents]
    masking:
      columns:
        customers.email: email
        customers.card_number: partial
        public.customers.ssn: redact
        customers.phone: hash
        accounts.balance: partial
        accounts.token: hash
        accounts.born: redact
      detect: [EMAIL, CREDIT_CARD, SSN]
      onDerived: redact
      hashKey: { value: e2e-mask-key }
`,
);

const ROWS = [
  [1, 'Alice Wonder', 'alice.wonder@example.com', '4111111111111111', '123-45-6789', '+1 415 555 0132'],
  [2, 'Bob Builder', 'bob.builder@example.org', '5500005555555559', '234-56-7891', '+1 212 555 0187'],
] as const;

const ACCOUNT = { balance: 987654321, token: '0e3a5c1e-7d7f-4f7e-9b1a-2c3d4e5f6a7b', born: '1987-06-05' };

const SETUP = `
create table customers (id int primary key, name text not null, email text unique, card_number text,
  ssn text check (ssn <> 'none'), phone text);
${ROWS.map((r) => `insert into customers values (${r[0]}, '${r[1]}', '${r[2]}', '${r[3]}', '${r[4]}', '${r[5]}');`).join('\n')}
create table notes (id serial primary key, body text);
create view v_contacts as select id, email as contact from customers;
create view v_names as select id, name from customers;
create view v_rows as select c from customers c;
create type mood as enum ('calm');
-- Sensitive content in columns no rule masks: only content detection stands between it and the client.
create table tickets (id int primary key, body text, tags text[]);
insert into tickets values (1, 'call ${ROWS[0][2]} about card ${ROWS[0][3]}', array['${ROWS[1][2]}', 'x']);
-- Masked columns of non-text types.
create table accounts (id int primary key, balance int, token uuid, born date);
insert into accounts values (1, ${ACCOUNT.balance}, '${ACCOUNT.token}', '${ACCOUNT.born}');
analyze customers;
`;

/** Every recoverable form of every raw value. */
const FORMS: string[] = recoverableForms(
  ROWS.flatMap((row) => row.slice(2) as string[]),
  [String(ACCOUNT.balance), ACCOUNT.token, ACCOUNT.token.replaceAll('-', ''), ACCOUNT.born],
);

/** node-postgres options its type definitions lack (`lib/query.js` reads both). */
interface Run {
  readonly text: string;
  readonly values?: unknown[];
  /** 'extended': Parse/Bind/Describe/Execute even without parameters. */
  readonly queryMode?: 'extended';
  /** Every result column in binary format (the Bind's result format codes). */
  readonly binary?: boolean;
}

function run(client: pg.Client, config: Run | string): Promise<pg.QueryResult> {
  return client.query(typeof config === 'string' ? config : (config as pg.QueryConfig));
}

/** JSON for rows: bigints as text, raw binary values (Buffers pg could not decode) as their bytes. */
function replacer(_: string, v: unknown): unknown {
  if (typeof v === 'bigint') return String(v);
  const b = v as { type?: unknown; data?: unknown } | null;
  if (b && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data))
    return Buffer.from(b.data as number[]).toString('latin1');
  return v;
}

function leaks(text: string): string[] {
  return leaksIn(text, FORMS);
}

/** Exfiltration attempts, each one statement text (psql may run several separated by ;). */
const ATTEMPTS: readonly string[] = [
  'select * from customers',
  'select email, card_number, ssn, phone from customers',
  'select email as e, ssn as s from customers',
  'select c.email from customers c',
  'select x.e from (select email as e from customers) x',
  'with t as (select email, ssn from customers) select * from t',
  'with t as (select email from customers) select upper(email) from t',
  'select upper(email) from customers',
  'select lower(ssn) from customers',
  'select email::varchar(200) from customers',
  'select cast(card_number as bigint) from customers',
  'select card_number::numeric + 0 from customers',
  "select email || '' from customers",
  "select concat(ssn, '!') from customers",
  "select format('%s', phone) from customers",
  'select reverse(email) from customers',
  'select reverse(card_number) from customers',
  "select encode(convert_to(email, 'UTF8'), 'base64') from customers",
  "select encode(convert_to(ssn, 'UTF8'), 'hex') from customers",
  "select encode(email::bytea, 'escape') from customers",
  'select md5(ssn) = md5(ssn), substr(ssn, 1, 3) from customers',
  'select substring(card_number from 1 for 8), right(card_number, 8) from customers',
  "select translate(ssn, '0123456789', 'abcdefghij') from customers",
  "select replace(email, '@', ' at ') from customers",
  'select split_part(email, chr(64), 1) from customers',
  'select row_to_json(c) from customers c',
  'select to_json(c.*) from customers c',
  "select json_build_object('e', email) from customers",
  'select jsonb_agg(ssn) from customers',
  'select json_agg(c) from customers c',
  'select array_agg(card_number) from customers',
  'select array[email, ssn] from customers',
  "select string_agg(email, ',') from customers",
  'select xmlelement(name e, email) from customers',
  'select xmlforest(email, ssn) from customers',
  "select query_to_xml('select * from customers', true, false, '')",
  "select table_to_xml('customers', true, false, '')",
  'select c::text from customers c',
  'select (c).email from customers c',
  'select c from customers c',
  'select row(email, ssn) from customers',
  'select name from customers union select email from customers',
  'select name, id from customers union all select ssn, id from customers',
  'select email from customers intersect select email from customers',
  'select case when id = 1 then email else ssn end from customers',
  'select coalesce(email, name) from customers',
  'select greatest(email, name) from customers',
  'select (select email from customers limit 1)',
  'select array(select ssn from customers)',
  'select max(email), min(card_number) from customers',
  'select * from v_contacts',
  'select upper(contact) from v_contacts',
  'select * from v_rows',
  'select * from customers natural join customers c2',
  'select * from (values (1)) v(x) cross join lateral (select email from customers) s',
  'begin; declare cur cursor for select email, ssn from customers; fetch all from cur; commit',
  'begin; declare cur2 cursor for select upper(email) from customers; fetch all from cur2; commit',
  'prepare p1 as select email from customers; execute p1; deallocate p1',
  'prepare p2 as select upper(ssn) from customers; execute p2; deallocate p2',
  'copy customers to stdout',
  'copy customers (email, ssn) to stdout with (format csv, header)',
  'copy (select email from customers) to stdout',
  "copy customers to '/tmp/airlock-masking-leak.txt'",
  'copy customers to stdout with (format binary)',
  'create table stolen as select * from customers',
  'select * into stolen2 from customers',
  'insert into notes (body) select email from customers',
  'insert into notes (body) values ((select ssn from customers limit 1))',
  'update notes set body = (select card_number from customers limit 1)',
  'create view v_steal as select email from customers',
  'create materialized view mv_steal as select email from customers',
  "select pg_notify('leak', email) from customers",
  "listen leak; select set_config('app.x', ssn, false) from customers; show app.x",
  'select email::int from customers',
  'select ssn::date from customers',
  'select card_number::uuid from customers',
  "update customers set ssn = 'none' where id = 1",
  'update customers set name = null where id = 1',
  "insert into customers values (3, 'Eve', 'alice.wonder@example.com', null, null, null)",
  'insert into customers select id, name, email, card_number, ssn, phone from customers',
  "do $$ begin raise notice '%', (select email from customers limit 1); end $$",
  "select * from pg_stats where tablename = 'customers'",
  'select most_common_vals::text from pg_stats',
  'alter table customers rename column email to contact_email',
  "select email from customers where email like 'alice%'",
  'explain (verbose, costs off) select email from customers',
  'select ssn from customers order by ssn',
  'select email, count(*) from customers group by email',
  // Errors of any SQLSTATE that quote a value (not only data and constraint errors).
  'select current_setting(phone) from customers',
  "select set_config(reverse(ssn), 'x', false) from customers",
  'select email::regclass from customers',
  'select reverse(email)::regclass from customers',
  'select nextval(reverse(card_number)) from customers',
  "select has_table_privilege(reverse(email), 'select') from customers",
  'select reverse(phone)::regtype from customers',
  'select phone::mood from customers',
  'select convert_to(name, phone) from customers',
  `select ('"' || phone || '" x')::json from customers`,
  "select jsonb_path_query('{}', reverse(phone)::jsonpath) from customers",
  "select query_to_xml('select ' || reverse(email), true, false, '') from customers",
  'select 1 from customers where current_setting(phone) is null',
  'with t as (select phone from customers) select current_setting(phone) from t',
  // Arrays and records of text no rule masks (content detection), text and binary results.
  'select * from tickets',
  'select array[body] from tickets',
  'select tags from tickets',
  'select array[array[body, body]] from tickets',
  'select row(id, body) from tickets',
  'select t from tickets t',
  'select array[t] from tickets t',
  'select row(tags, row(body)) from tickets',
  // Masked columns of non-text types.
  'select * from accounts',
  'select balance, token, born from accounts',
];

describe('masking through Airlock to a real PostgreSQL', () => {
  let h: AirlockHarness;
  let token: string;

  before(async () => {
    h = await startAirlock({ extraConnections: MASKED, upstreamPortPlaceholder: 'PORT' });
    await h.cluster.psql(`set role app; ${SETUP}`, 'app');
    token = await h.server.createToken({ name: 'masking-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  function psql(sql: string): Promise<{ code: number | null; out: string }> {
    const addr = h.server.addresses.postgres!;
    const child = execFile(
      'psql',
      ['-X', '-A', '-c', sql, `host=${addr.host} port=${addr.port} dbname=masked user=x sslmode=disable`],
      { env: { ...process.env, PGPASSWORD: token, PGOPTIONS: '-c statement_timeout=5000' }, timeout: 15_000 },
    );
    child.stdin?.end();
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c;
    });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
  }

  test('control: without masking (connection appdb) the same query leaks, so the leak check can fail', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'appdb') });
    await client.connect();
    try {
      const r = await client.query('select email, card_number, ssn, phone from customers');
      assert.ok(leaks(JSON.stringify(r.rows)).length >= 8);
      const { out } = await psql('select reverse(email) from customers');
      assert.deepEqual(leaks(out), []); // through the masked connection
    } finally {
      await client.end();
    }
  });

  test('unmasked columns pass; masked columns come back masked, re-typed to text', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'masked') });
    await client.connect();
    try {
      const r = await client.query(
        'select id, name, email, card_number, ssn, phone from customers order by id',
      );
      assert.equal(r.rows[0].id, 1);
      assert.equal(r.rows[0].name, 'Alice Wonder');
      for (const row of r.rows)
        for (const col of ['email', 'card_number', 'ssn', 'phone']) assert.equal(typeof row[col], 'string');
      assert.deepEqual(leaks(JSON.stringify(r.rows)), []);
      // hash: the same input gives the same output (joins still work).
      const again = await client.query('select phone from customers order by id');
      assert.equal(again.rows[0].phone, r.rows[0].phone);
      // Binary results (pg prepared statement with binary: true): id decodes as int, masked values as text.
      const bin = await run(client, {
        text: 'select id, email, ssn from customers where id = $1',
        values: [1],
        binary: true,
      });
      assert.ok(bin.fields.every((f) => f.format === 'binary'));
      assert.equal(bin.rows[0].id, 1);
      assert.equal(typeof bin.rows[0].email, 'string');
      assert.deepEqual(leaks(JSON.stringify(bin.rows)), []);
    } finally {
      await client.end();
    }
  });

  test('masked int, uuid and date columns are re-typed to text and masked, in binary results too', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'masked') });
    await client.connect();
    try {
      const sql = 'select id, balance, token, born from accounts';
      const expected = { balance: '*****4321', born: '[REDACTED]' };
      const results = [
        await run(client, { text: sql, queryMode: 'extended', binary: true }),
        await run(client, { text: sql, queryMode: 'extended' }),
        await client.query(sql),
      ];
      for (const r of results) {
        assert.deepEqual(
          r.fields.map((f) => f.dataTypeID),
          [23, 25, 25, 25],
          'masked columns are described as text',
        );
        const row = r.rows[0];
        assert.equal(row.id, 1);
        assert.equal(row.balance, expected.balance);
        assert.equal(row.born, expected.born);
        assert.match(row.token, /^[0-9a-f]{32}$/);
        assert.deepEqual(leaks(JSON.stringify(r.rows, replacer)), []);
      }
      assert.ok(results[0]!.fields.every((f) => f.format === 'binary'));
      // hash of the uuid is the hash of its text form, whatever the result format.
      assert.equal(results[0]!.rows[0].token, results[2]!.rows[0].token);
      // Content detection reads text inside binary arrays and records.
      const tickets = await run(client, {
        text: 'select array[body] as a, t as r, tags from tickets t',
        queryMode: 'extended',
        binary: true,
      });
      assert.ok(tickets.fields.every((f) => f.format === 'binary'));
      assert.deepEqual(leaks(JSON.stringify(tickets.rows, replacer)), []);
    } finally {
      await client.end();
    }
  });

  test('refusals come back as 42501 with a masking rule name', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'masked') });
    await client.connect();
    try {
      await assert.rejects(
        client.query('create table stolen as select * from customers'),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, '42501');
          assert.match(err.message, /^blocked by airlock: masking-export: /);
          return true;
        },
      );
      await assert.rejects(client.query('select * from pg_stats'), /masking-statistics/);
    } finally {
      await client.end();
    }
  });

  test(`${ATTEMPTS.length} exfiltration attempts through psql never return a raw value`, async () => {
    assert.ok(ATTEMPTS.length >= 60);
    const found: string[] = [];
    for (const sql of ATTEMPTS) {
      const { out } = await psql(sql);
      if (process.env.MASKING_E2E_DEBUG)
        console.log(`${sql}\n   => ${out.replace(/\s+/g, ' ').slice(0, 300)}`);
      const hit = leaks(out);
      if (hit.length > 0) found.push(`${sql}\n  leaked ${hit.join(', ')}\n  ${out.slice(0, 400)}`);
    }
    assert.deepEqual(found, []);
  });

  test(`${ATTEMPTS.length} exfiltration attempts through node-postgres (simple, extended text and extended binary) never return a raw value`, async () => {
    const notifications: string[] = [];
    const found: string[] = [];
    /** Sessions masking ended (fail closed: nothing sent); each is reported, none may leak. */
    const ended: string[] = [];
    let binaryResults = 0;
    for (const sql of ATTEMPTS) {
      // Extended protocol takes one statement; psql above covered the multi-statement texts.
      if (sql.includes(';')) continue;
      const client = new pg.Client({ connectionString: h.url(token, 'masked') });
      let lost: Error | undefined;
      client.on('error', (err) => {
        lost = err;
      });
      client.on('notification', (n) => notifications.push(JSON.stringify(n)));
      client.on('notice', (n) => notifications.push(JSON.stringify({ ...n, message: n.message })));
      await client.connect();
      try {
        for (const mode of ['simple', 'extended', 'binary'] as const) {
          if (lost) break;
          // queryMode 'extended': Parse/Bind/Describe/Execute even without parameters; binary: the
          // Bind asks for every result column in binary format.
          const config: Run =
            mode === 'simple'
              ? { text: sql }
              : { text: sql, queryMode: 'extended', binary: mode === 'binary' };
          let out = '';
          try {
            const r = await run(client, config);
            if (mode === 'binary' && r.fields.length > 0) {
              assert.ok(
                r.fields.every((f) => f.format === 'binary'),
                `${sql}: binary results were asked for`,
              );
              binaryResults++;
            }
            out = JSON.stringify(r.rows, replacer);
          } catch (err) {
            if (err instanceof assert.AssertionError) throw err;
            const e = err as Record<string, unknown>;
            out = JSON.stringify({
              message: e.message,
              detail: e.detail,
              hint: e.hint,
              where: e.where,
              internalQuery: e.internalQuery,
              code: e.code,
            });
            if (lost || e.severity === 'FATAL') ended.push(`${mode}: ${sql}: ${String(e.message)}`);
          }
          if (process.env.MASKING_E2E_DEBUG)
            console.log(`${mode}: ${sql}\n   => ${out.replace(/\s+/g, ' ').slice(0, 300)}`);
          if (!lost) await client.query('rollback').catch(() => {});
          const hit = leaks(out);
          if (hit.length > 0)
            found.push(`${mode}: ${sql}\n  leaked ${hit.join(', ')}\n  ${out.slice(0, 400)}`);
        }
      } finally {
        await client.end().catch(() => {});
      }
    }
    const hit = leaks(notifications.join('\n'));
    if (hit.length > 0) found.push(`notices/notifications leaked ${hit.join(', ')}`);
    assert.deepEqual(found, []);
    assert.deepEqual(ended, [], 'no session is ended by masking');
    assert.ok(binaryResults >= 40, `only ${binaryResults} results came back in binary format`);
  });

  test('the database was not changed by refused attempts, and masking is audited by count', async () => {
    const tables = await h.cluster.psql(
      "select string_agg(relname, ',' order by relname) from pg_class where relname in ('stolen', 'stolen2', 'v_steal', 'mv_steal')",
      'app',
    );
    assert.equal(tables.trim(), '');
    const notes = await h.cluster.psql('select count(*) from notes', 'app');
    assert.equal(notes.trim(), '0');
    const client = new pg.Client({ connectionString: h.url(token, 'masked') });
    await client.connect();
    await client.query('select email from customers');
    await client.end();
    // The journal (drained to the store) records counts, never values.
    await new Promise((r) => setTimeout(r, 400));
    const audit = await h.cli(['audit', 'search', '--connection', 'masked', '--json']);
    assert.match(audit.stdout, /"customers\.email":\s*2/);
    // Statement texts are what the client typed (an INSERT attempt carries a raw value itself).
    const hits = leaks(audit.stdout.replace(/"text":\s*"(?:[^"\\]|\\.)*"/g, ''));
    if (hits.length > 0)
      console.log(
        audit.stdout
          .split('\n')
          .filter((l) => leaks(l).length > 0)
          .join('\n'),
      );
    assert.deepEqual(hits, []);
    // And the metric counts what was masked, by column or entity (never values).
    const api = h.server.addresses.api;
    const metrics = await (await fetch(`http://${api.host}:${api.port}/metrics`)).text();
    const sample = /^airlock_masked_values_total\{entity="customers\.email"\} (\d+)$/m.exec(metrics);
    assert.ok(sample && Number(sample[1]) >= 2, 'airlock_masked_values_total counts the masked emails');
  });
});
