import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initClassifier } from '../classify/index.js';
import { type AnalysisContext, analyzeSql } from './analysis.js';
import { analysesFor, contextSignature, StatementAnalyses } from './analysis-cache.js';

const ctx: AnalysisContext = {
  sensitiveNames: new Set(['customers', 'v_contacts']),
  viewNames: new Set(['v_contacts']),
  maskedColumnNames: new Set(['email', 'ssn']),
  onDerived: 'redact',
  denyPredicates: false,
  detects: true,
};

before(() => initClassifier());

/** Statements with literals, each written twice with other literals. */
const PAIRS: readonly (readonly [string, string])[] = [
  [
    'SELECT abalance FROM pgbench_accounts WHERE aid = 48213;',
    'SELECT abalance FROM pgbench_accounts WHERE aid = 7;',
  ],
  [
    "select email, name from customers where id = 1 and name = 'x'",
    "select email, name from customers where id = 99 and name = 'it''s'",
  ],
  [
    "select upper(email) || 'a', 1 from customers limit 5",
    "select upper(email) || 'bcd', 2 from customers limit 50",
  ],
  ['select id + 1, count(*) from customers group by 1', 'select id + 7, count(*) from customers group by 1'],
  ["copy customers to '/tmp/a'", "copy customers to '/tmp/b'"],
  ["copy (select 1) to '/tmp/a'", "copy (select 2) to '/tmp/b'"],
  ["select pg_notify('c', email) from customers", "select pg_notify('d', email) from customers"],
  ["select set_config('x', 'y', false)", "select set_config('x', 'z', true)"],
  [
    'insert into audit_copy select email from customers where id = 3',
    'insert into audit_copy select email from customers where id = 4',
  ],
  ['update customers set name = email where id = 1', "update customers set name = 'plain' where id = 1"],
  [
    'declare c cursor for select email from customers where id = 1',
    'declare c cursor for select email from customers where id = 2',
  ],
  ['prepare p as select email from customers where id = 1', 'prepare p as select 1 where 2 = 3'],
  ['select * from v_contacts where id = 1; select 2', 'select * from v_contacts where id = 5; select 3'],
  [
    "select xmlelement(name a, email), 'k' from customers",
    "select xmlelement(name a, email), 'q' from customers",
  ],
  [
    'create table t2 as select email from customers where id = 1',
    'create table t2 as select 1 as e where 1 = 2',
  ],
  ["select 1 from pg_stats where attname = 'email'", "select 1 from pg_stats where attname = 'ssn'"],
  [
    "insert into customers (id, name) values (1, 'x') on conflict (id) do update set name = excluded.email",
    "insert into customers (id, name) values (2, 'y') on conflict (id) do update set name = excluded.name",
  ],
  ["select setval('s', ssn::bigint) from customers", "select setval('t', id) from customers"],
  ["select remember(email, 'a') from customers", "select remember(name, 'b') from customers"],
];

describe('statement analyses cached by text and by shape', () => {
  it('gives for every text exactly what an uncached analysis gives, whatever was cached before', () => {
    for (const deny of [false, true]) {
      const c = { ...ctx, denyPredicates: deny, onDerived: deny ? ('deny' as const) : ('redact' as const) };
      const cache = new StatementAnalyses(c, true);
      for (const [a, b] of PAIRS) {
        assert.deepEqual(cache.analyze(a), analyzeSql(a, c, true), a);
        assert.deepEqual(cache.analyze(b), analyzeSql(b, c, true), b);
        assert.deepEqual(cache.analyze(a), analyzeSql(a, c, true), a);
      }
    }
  });

  it('shares a literal-free analysis by shape: a new literal costs no parse', () => {
    const cache = new StatementAnalyses(ctx, true);
    const first = cache.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 48213;');
    const second = cache.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 7;');
    assert.equal(second, first); // the same object: a shape hit
    assert.deepEqual(cache.stats, { texts: 1, shapes: 1 });
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.statements));
  });

  it('never shares by shape when a string is not a constant (a COPY file, a function body)', () => {
    const cache = new StatementAnalyses(ctx, true);
    cache.analyze("copy customers to '/tmp/a'");
    cache.analyze("create function f() returns int language sql as 'select 1'");
    assert.equal(cache.stats.shapes, 0);
    assert.equal(cache.analyze("copy customers to '/tmp/b'").refusal?.rule, 'masking-copy');
  });

  it('keeps one cache per context: rules and catalog names change the key, set order does not', () => {
    const same = { ...ctx, sensitiveNames: new Set(['v_contacts', 'customers']) };
    assert.equal(contextSignature(same, true), contextSignature(ctx, true));
    assert.equal(analysesFor(same, true), analysesFor(ctx, true));
    assert.notEqual(analysesFor({ ...ctx, onDerived: 'deny' }, true), analysesFor(ctx, true));
    assert.notEqual(analysesFor({ ...ctx, denyPredicates: true }, true), analysesFor(ctx, true));
    assert.notEqual(analysesFor(ctx, false), analysesFor(ctx, true));
    const afterDdl = { ...ctx, sensitiveNames: new Set([...ctx.sensitiveNames, 'v_new']) };
    assert.notEqual(analysesFor(afterDdl, true), analysesFor(ctx, true));
    // A view that became sensitive after DDL is judged with the new names, not a cached answer.
    const sql = "select upper(x), 'a' from v_new";
    assert.equal(analysesFor(ctx, true).analyze(sql).statements[0]?.touches, false);
    assert.equal(analysesFor(afterDdl, true).analyze(sql).statements[0]?.touches, true);
  });
});
