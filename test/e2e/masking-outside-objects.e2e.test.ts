/**
 * @module Objects created on the target OUTSIDE Airlock (by the owner, as a DBA would): user operators,
 * an aggregate that shadows a built-in name, domains with CHECK constraints. Airlock's catalog snapshot
 * knows their names, so masked values reaching them are refused like any user function, while clean
 * uses still pass.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const MASKED = appConnection(
  'masked',
  `    access: [group:agents]
    masking:
      columns:
        customers.phone: hash
      onDerived: redact
      hashKey: { value: k }
`,
);
let h: AirlockHarness;
let token: string;
before(async () => {
  h = await startAirlock({ extraConnections: MASKED, upstreamPortPlaceholder: 'PORT' });
  await h.cluster.psql(
    `set role app;
create table customers (id int, phone text); insert into customers values (1, '+1 415 555 0132');
create sequence rs;
create operator @@@ (rightarg = bigint, function = pg_advisory_lock);
create aggregate public.max(bytea) (sfunc = lo_from_bytea, stype = oid, initcond = '0');
create domain dleak as text check (set_config('x.leak', value, false) is not null);
create domain dleak2 as dleak;
create operator public.+ (leftarg = regclass, rightarg = bigint, function = setval);`,
    'app',
  );
  await h.cluster.psql('create extension if not exists citext', 'app');
  token = await h.server.createToken({ name: 'v', groups: ['agents'] });
});
after(async () => {
  await h?.stop();
});
async function q(sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: h.url(token, 'masked') });
  await c.connect();
  try {
    const r = await c.query(sql);
    return JSON.stringify(r.rows ?? r);
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  } finally {
    await c.end();
  }
}
for (const sql of [
  "select @@@ translate(phone, ' +', '')::bigint from customers",
  "select max(convert_to(phone, 'UTF8')) from customers",
  'select phone::dleak from customers',
  'select phone::dleak2 from customers',
  "select 'rs'::regclass operator(public.+) translate(phone, ' +', '')::bigint from customers",
])
  test(sql, async () => {
    const out = await q(sql);
    assert.match(out, /^ERR .*(operator|domain|store them)/);
  });
test('clean uses pass', async () => {
  const out = await q(
    "select @@@ 5::bigint is null, translate(phone, '0', 'a') from customers where phone = 'x'",
  );
  assert.doesNotMatch(out, /^ERR/);
});
