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
});

test('view definitions with whole-row references are found', () => {
  assert.equal(readsWholeRow('SELECT c.* FROM customers c'), true);
  assert.equal(readsWholeRow('SELECT row_to_json(c.*) AS j FROM customers c'), true);
  assert.equal(readsWholeRow('SELECT customers.id, customers.name FROM customers'), false);
});
