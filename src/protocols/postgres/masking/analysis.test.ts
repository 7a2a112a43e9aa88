import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initClassifier } from '../classify/index.js';
import { type AnalysisContext, analyzeSql, readsWholeRow } from './analysis.js';

const ctx: AnalysisContext = {
  sensitiveNames: new Set(['customers', 'v_contacts']),
  viewNames: new Set(['v_contacts']),
  maskedColumnNames: new Set(['email', 'ssn']),
  onDerived: 'redact',
  denyPredicates: false,
  detects: false,
};

before(() => initClassifier());

const rule = (sql: string, c: AnalysisContext = ctx) => analyzeSql(sql, c, true).refusal?.rule;

test('computed outputs over masked columns are derived; clean ones are not', () => {
  const s = analyzeSql('select id + 1, upper(email), count(*), now() from customers', ctx, true)
    .statements[0]!;
  assert.equal(s.touches, true);
  assert.deepEqual(s.cleanOutputs, [true, false, true, true]);
  assert.deepEqual(
    analyzeSql('select row_to_json(c) from customers c', ctx, true).statements[0]?.cleanOutputs,
    [false],
  );
  assert.equal(analyzeSql('select upper(x) from other', ctx, true).statements[0]?.touches, false);
  assert.equal(
    analyzeSql('select name from customers union select email from customers', ctx, true).statements[0]
      ?.allDerived,
    true,
  );
  // Through a tainted view names do not trace: any column reference is derived.
  assert.deepEqual(
    analyzeSql('select upper(contact) from v_contacts', ctx, true).statements[0]?.cleanOutputs,
    [false],
  );
});

test('statements that move masked values are refused', () => {
  assert.equal(rule('create table t as select * from customers'), 'masking-export');
  assert.equal(rule('select * into t from customers'), 'masking-export');
  assert.equal(rule('insert into notes select email from customers'), 'masking-export');
  assert.equal(
    rule('with x as (insert into notes select ssn from customers returning 1) select 1'),
    'masking-export',
  );
  assert.equal(rule('update notes set body = (select email from customers limit 1)'), 'masking-export');
  assert.equal(rule("select pg_notify('c', email) from customers"), 'masking-export');
  assert.equal(rule("copy customers to '/tmp/x'"), 'masking-copy');
  assert.equal(rule('copy (select email from customers) to stdout'), 'masking-copy');
  assert.equal(rule('copy customers to stdout (format binary)'), 'masking-copy');
  assert.equal(rule("copy customers to stdout (delimiter '|')"), 'masking-copy');
  assert.equal(rule('select * from pg_stats'), 'masking-statistics');
  assert.equal(rule('do $$ begin end $$'), 'masking-code');
  assert.equal(rule('alter table customers rename column email to e'), 'masking-ddl');
  assert.equal(rule('insert into notes (body) values ($1)'), undefined);
  assert.equal(rule('update customers set name = upper(name) where id = 1'), undefined);
  assert.equal(rule('copy customers to stdout (format csv, header)'), undefined);
});

test('onDerived deny and denyPredicates', () => {
  const strict: AnalysisContext = { ...ctx, onDerived: 'deny', denyPredicates: true };
  assert.equal(rule('select upper(email) from customers', strict), 'masking-derived');
  assert.equal(rule('select email from customers', strict), undefined);
  assert.equal(rule("select id from customers where email = 'a@b.c'", strict), 'masking-predicate');
  assert.equal(rule('select id from customers order by ssn', strict), 'masking-predicate');
  assert.equal(rule("select id from customers where name = 'x'", strict), undefined);
  assert.equal(rule("select id from customers where email = 'a@b.c'"), undefined);
  assert.equal(
    rule(
      "insert into customers (id) values (1) on conflict (id) do update set name = 'x' where customers.ssn like '1%'",
      strict,
    ),
    'masking-predicate',
  );
  assert.equal(
    rule(
      "merge into customers c using notes n on c.email = n.body when matched then update set name = 'x'",
      strict,
    ),
    'masking-predicate',
  );
  assert.equal(
    rule(
      "merge into customers c using notes n on c.id = n.id when matched and c.ssn like '1%' then delete",
      strict,
    ),
    'masking-predicate',
  );
  assert.equal(
    rule(
      "merge into customers c using notes n on c.id = n.id when matched then update set name = 'x'",
      strict,
    ),
    undefined,
  );
});

test('view definitions with whole-row references are found', () => {
  assert.equal(readsWholeRow('SELECT c.* FROM customers c'), true);
  assert.equal(readsWholeRow('SELECT row_to_json(c.*) AS j FROM customers c'), true);
  assert.equal(readsWholeRow('SELECT customers.id, customers.name FROM customers'), false);
});

test('upserts that copy a masked value (the existing row or EXCLUDED) into another column are refused', () => {
  for (const sql of [
    "insert into customers (id, name) values (1, 'x') on conflict (id) do update set name = customers.email",
    "insert into customers (id, name) values (1, 'x') on conflict (id) do update set name = excluded.email",
    "insert into customers as c (id) values (1) on conflict (id) do update set name = upper(c.ssn) || 'x'",
    "insert into notes (id, body) values (1, 'x') on conflict (id) do update set body = (select ssn from customers limit 1)",
    "insert into customers (id, name) values (1, 'x') on conflict (id) do update set (name, phone) = (customers.email, 'p')",
    'merge into customers c using (select 1 as id) s on c.id = s.id when matched then update set name = c.email',
    'merge into notes n using (select 1 as id) s on n.id = s.id when not matched then insert values (s.id, (select ssn from customers limit 1))',
  ])
    assert.equal(rule(sql), 'masking-export', sql);
  // The client's own new value for the same column, and unmasked columns, pass.
  for (const sql of [
    "insert into customers (id, email) values (1, 'a@b.c') on conflict (id) do update set email = excluded.email",
    "insert into customers (id, name) values (1, 'x') on conflict (id) do update set name = excluded.name || customers.name",
    "insert into customers (id, name) values (1, 'x') on conflict (id) do nothing",
    "merge into customers c using (select 1 as id) s on c.id = s.id when matched then update set name = 'x'",
  ])
    assert.equal(rule(sql), undefined, sql);
});

test('side-effect functions (stores another session or a later read can see) refuse masked arguments', () => {
  for (const sql of [
    "select setval('s', ssn::bigint) from customers",
    'select pg_advisory_lock(ssn::bigint) from customers',
    'select pg_try_advisory_xact_lock(1, length(email)) from customers',
    'select pg_advisory_lock_shared(x) from (select ssn::int8 as x from customers) s',
    "select lo_from_bytea(0, convert_to(email, 'UTF8')) from customers",
    "select lo_put(lo_create(0), 0, convert_to(ssn, 'UTF8')) from customers",
    'select lo_create(ssn::oid) from customers',
    'select lo_import(email) from customers',
    "select lowrite(0, convert_to(email, 'UTF8')) from customers",
    "select set_config('app.x', email, false) from customers",
    "select pg_catalog.set_config('app.x', contact, false) from v_contacts",
    "select pg_notify('c', ssn) from customers",
    "select dblink_exec('dbname=x', 'insert into t values (' || quote_literal(email) || ')') from customers",
    "select * from dblink('dbname=x', 'select ' || (select quote_literal(ssn) from customers limit 1)) as t(a text)",
    'select setseed(length(email) / 100.0) from customers',
    "select pg_logical_emit_message(true, 'p', ssn) from customers",
    'select pg_replication_origin_create(email) from customers',
    'select pg_create_restore_point(email) from customers',
    "select set_config('app.x', (select email from customers limit 1), false)",
    'select remember(email) from customers',
    'select public.remember(upper(ssn)) from customers',
    'call log_it((select email from customers limit 1))',
    'select 1 from customers where remember(email) > 0',
  ])
    assert.equal(rule(sql), 'masking-export', sql);
  for (const sql of [
    "select setval('s', id) from customers",
    'select pg_advisory_lock(id) from customers',
    "select set_config('app.x', name, false) from customers",
    "select set_config('app.x', 'y', false)",
    'select remember(name) from customers',
    'select remember(x) from generate_series(1, 3) g(x)',
    "select lo_from_bytea(0, 'x')",
  ])
    assert.equal(rule(sql), undefined, sql);
});

test('renames and moves that would detach a column rule are refused with a reason', () => {
  for (const sql of [
    'alter table customers rename to clients',
    'alter table public.customers rename to clients',
    'alter table customers set schema other',
    'alter view v_contacts set schema other',
    'alter table customers rename column email to e',
    'alter view v_contacts rename column contact to c',
    'alter schema public rename to x',
    'alter table if exists customers rename to clients',
  ]) {
    const refusal = analyzeSql(sql, ctx, true).refusal;
    assert.equal(refusal?.rule, 'masking-ddl', sql);
    assert.match(refusal?.reason ?? '', /masking (rules|configuration)/, sql);
    assert.match(refusal?.reason ?? '', /admin/, sql);
  }
  for (const sql of [
    'alter table notes rename to notes2',
    'alter table notes set schema other',
    'alter table notes rename column body to text',
  ])
    assert.equal(rule(sql), undefined, sql);
  // Without column rules (detection only) nothing is bound to a name.
  assert.equal(analyzeSql('alter schema public rename to x', ctx, false).refusal, undefined);
});

test('column aliases and join aliases rename masked columns: their outputs are derived', () => {
  const outputs = (sql: string) => analyzeSql(sql, ctx, true).statements[0]?.cleanOutputs;
  assert.deepEqual(outputs('select x + 1, reverse(e) from customers c(x, y, e)'), [false, false]);
  assert.deepEqual(outputs('select reverse(j.e) from (customers join notes using (id)) as j(a, b, e)'), [
    false,
  ]);
  // A join alias names the whole joined row.
  assert.deepEqual(outputs('select j::text from (customers join notes on true) j'), [false]);
  assert.deepEqual(outputs('select to_jsonb(u) from customers join notes using (id) as u'), [false]);
  // Columns the alias list leaves alone keep their names.
  assert.deepEqual(outputs('select upper(name) from customers c(x)'), [true]);
  assert.equal(rule("select set_config('a', e, false) from customers c(x, y, e)"), 'masking-export');
  assert.equal(rule('update notes set body = c.e from customers c(x, y, e)'), 'masking-export');
});

test('a target that expands, to any number of columns, vouches for no output position', () => {
  const outputs = (sql: string) => analyzeSql(sql, ctx, true).statements[0]?.cleanOutputs;
  assert.equal(outputs("select (null::empty_row).*, 'x', reverse(email) from customers"), undefined);
  assert.equal(outputs('select (c).*, 1 from customers c'), undefined);
  assert.equal(outputs('update customers set name = name returning (customers).*, 1'), undefined);
});

test('EXPLAIN, DECLARE and COMMIT run queries whose errors may quote values', () => {
  const shape = (sql: string) => analyzeSql(sql, ctx, true).statements[0];
  assert.equal(shape('explain analyze select current_setting(email) from customers')?.runs, true);
  assert.equal(shape('explain analyze select current_setting(email) from customers')?.touches, false);
  assert.equal(shape('declare c cursor with hold for select email from customers')?.runs, true);
  assert.equal(shape('declare c cursor with hold for select 1')?.runs, false);
  assert.equal(shape('commit')?.runs, true);
  assert.equal(shape('set constraints all immediate')?.runs, true);
  assert.equal(shape('select 1')?.runs, undefined);
});

test('RETURNING (the PostgreSQL 18 tree) is read: derived outputs, deny mode, old and new rows', () => {
  const outputs = (sql: string) => analyzeSql(sql, ctx, true).statements[0]?.cleanOutputs;
  assert.deepEqual(outputs('update customers set name = name returning id + 1, reverse(email)'), [
    true,
    false,
  ]);
  assert.deepEqual(outputs('delete from customers returning old::text'), [false]);
  assert.deepEqual(outputs('update customers set name = name returning with (old as o) o::text'), [false]);
  const deny = { ...ctx, onDerived: 'deny' as const };
  assert.equal(rule('update customers set name = name returning reverse(email)', deny), 'masking-derived');
  assert.equal(rule('insert into customers (id) values (1) returning id', deny), undefined);
});

test("other sessions' statement texts (pg_stat_activity.query) are refused; other columns pass", () => {
  for (const sql of [
    'select query from pg_stat_activity',
    'select * from pg_stat_activity',
    'select a from pg_stat_activity a',
    'select x from (select query as x from pg_catalog.pg_stat_activity) s',
    'select q from pg_stat_activity a(d, n, p, l, u, un, an, ca, cp, cpo, bs, xs, qs, sc, wt, w, st, bx, bxm, q)',
    'select to_json(s) from pg_stat_activity s',
    'select pg_stat_get_activity(null)',
    'select pg_stat_get_backend_activity(3)',
    'select * from pg_stat_get_activity(null)',
    'select query from pg_stat_statements',
  ])
    assert.equal(rule(sql), 'masking-statistics', sql);
  assert.equal(rule('select pid, state, wait_event from pg_stat_activity where state <> $1'), undefined);
  assert.equal(rule('select query from pg_stat_activity', ctx), 'masking-statistics');
  // Detection only (no column rules): content detection reads the text.
  assert.equal(analyzeSql('select query from pg_stat_activity', ctx, false).refusal, undefined);
});

test('denyPredicates: row counts from masked values (FROM functions, LIMIT, TABLESAMPLE, FILTER) are refused', () => {
  const strict: AnalysisContext = { ...ctx, denyPredicates: true };
  for (const sql of [
    'select count(*) from customers c, generate_series(1, ascii(substr(c.ssn, 1, 1))) where c.id = 1',
    'select count(*) from generate_series(1, (select ascii(substr(ssn, 1, 1)) from customers limit 1))',
    'select count(*) from (select 1 from generate_series(1, 100) limit (select length(email) from customers limit 1)) s',
    'select 1 from notes offset (select ascii(ssn) from customers limit 1)',
    "select count(*) filter (where ssn like '1%') from customers",
    'select count(*) from customers tablesample bernoulli ((select length(ssn) from customers limit 1))',
  ])
    assert.equal(rule(sql, strict), 'masking-predicate', sql);
  assert.equal(rule('select count(*) from generate_series(1, 10) limit 5', strict), undefined);
  assert.equal(rule('select count(*) filter (where id > 1) from customers', strict), undefined);
  // Off by default (documented inference risk).
  assert.equal(rule('select count(*) from customers c, generate_series(1, ascii(c.ssn))'), undefined);
});

test('masked data attached to another relation, or stored through CREATE TABLE AS EXECUTE, is refused', () => {
  assert.equal(rule('alter table pp attach partition customers for values in (1, 2)'), 'masking-ddl');
  assert.equal(rule('alter table notes inherit customers'), 'masking-ddl');
  assert.equal(rule('alter table pp attach partition notes_2024 for values in (1)'), undefined);
  assert.equal(rule('alter table notes add column x text'), undefined);
  assert.equal(rule('create temp table x as execute p'), 'masking-export');
  assert.equal(rule('explain analyze create table x as execute p(1)'), 'masking-export');
  assert.equal(analyzeSql('create table x as execute p', ctx, false).refusal, undefined);
});

test('other ALTER TABLE commands naming masked relations or columns pass', () => {
  assert.equal(rule("alter table orders add constraint c check (email like '%@%')"), undefined);
  assert.equal(rule('alter table orders add foreign key (x) references customers (id)'), undefined);
});

test('DDL creating code run without a call is refused on a connection with column rules', () => {
  for (const sql of [
    'create operator @@@ (rightarg = bigint, function = pg_advisory_lock)',
    'create operator public.+ (leftarg = regclass, rightarg = bigint, function = setval)',
    'alter operator @@@ (none, bigint) set (restrict = f)',
    "create aggregate public.max(bytea) (sfunc = lo_from_bytea, stype = oid, initcond = '0')",
    "create domain dleak as text check (set_config('x.leak', value, false) is not null)",
    'alter domain d add constraint c check (value is not null)',
    'create cast (text as d) with function f(text)',
    'create type t (input = f_in, output = f_out)',
    'create type r as range (subtype = int4, subtype_diff = f)',
    "create conversion c for 'UTF8' to 'LATIN1' from f",
    'create operator class c for type t using btree as operator 1 <',
  ])
    assert.equal(rule(sql), 'masking-code', sql);
  // Objects that run no code stay allowed; so does everything without column rules.
  for (const sql of [
    'create domain d as text not null',
    'alter domain d set not null',
    'create type t',
    "create type e as enum ('a')",
    'create type c as (a int)',
  ])
    assert.equal(rule(sql), undefined, sql);
  assert.equal(
    analyzeSql('create operator @@@ (rightarg = bigint, function = f)', ctx, false).refusal,
    undefined,
  );
});

test('a search_path that puts a schema before pg_catalog is refused', () => {
  for (const sql of [
    'set search_path = public, pg_catalog',
    'set local search_path to s2, "pg_catalog"',
    "select set_config('search_path', 'public, pg_catalog', false)",
    "select set_config('search_path', current_user, false)",
    "select set_config(name, 'x', false) from t",
    'alter role r set search_path = public, pg_catalog',
  ])
    assert.equal(rule(sql), 'masking-code', sql);
  for (const sql of [
    'set search_path = public',
    'set search_path = pg_catalog, public',
    'reset search_path',
    "select set_config('search_path', 'pg_catalog, public', false)",
    "select set_config('application_name', 'x', false)",
  ])
    assert.equal(rule(sql), undefined, sql);
});

test('code created outside Airlock: calls, operators and domain casts fed masked data are refused', () => {
  const withCode: AnalysisContext = {
    ...ctx,
    userCode: {
      routines: new Set(['max', 'remember']),
      operators: new Set(['@@@', '+']),
      checkedDomains: new Set(['dleak']),
    },
  };
  for (const sql of [
    "select max(convert_to(email, 'UTF8')) from customers",
    'select pg_catalog.max(email) from customers',
    'select @@@ email from customers',
    "select 'rs'::regclass + length(email) from customers",
    'select 1 operator(public.+) length(ssn) from customers',
    'select email::dleak from customers',
    'select cast(c.email as dleak) is null from customers c',
  ])
    assert.equal(rule(sql, withCode), 'masking-export', sql);
  // The same names over clean data, and built-ins the catalog holds no user code for, pass.
  for (const sql of [
    'select max(id), id + 1, name::dleak from customers',
    'select @@@ 1',
    'select min(email), email || name from customers',
  ])
    assert.equal(rule(sql, withCode), undefined, sql);
  // A user routine's result counts as read from masked data, as other user functions' do.
  const s = analyzeSql('select max(x) from other', withCode, true).statements[0]!;
  assert.equal(s.touches, true);
});

test('ts_rewrite with a query text reads masked data like ts_stat', () => {
  const s = analyzeSql(
    "select ts_rewrite('a'::tsquery, 'select ''a''::tsquery, plainto_tsquery(phone) from customers')",
    ctx,
    true,
  ).statements[0]!;
  assert.equal(s.touches, true);
  assert.deepEqual(s.cleanOutputs, [false]);
});
