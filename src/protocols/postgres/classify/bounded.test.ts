import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { classifySql, initClassifier } from './classify.js';

before(() => initClassifier());

function bounded(sql: string): unknown {
  const result = classifySql(sql);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.statements[0]?.facts.bounded;
}

test('ordinary filters bound', () => {
  for (const sql of [
    'DELETE FROM t WHERE id IN (1, 2)',
    'DELETE FROM t WHERE a = 1 OR b = 2',
    'DELETE FROM t WHERE NOT (a = 1)',
    'DELETE FROM t WHERE id = 1 AND (1 = 1 OR id = id)',
    'UPDATE t AS x SET a = 1 FROM t WHERE x.id = t.id',
    'DELETE FROM t WHERE EXISTS (SELECT 1 FROM u x WHERE x.tid = t.id)',
    "DELETE FROM t WHERE created_at < now() - interval '30 days'",
  ]) {
    assert.equal(bounded(sql), true, sql);
  }
});

test('conditions that select nothing count as bounded', () => {
  assert.equal(bounded('DELETE FROM t WHERE NULL'), true);
  assert.equal(bounded('DELETE FROM t WHERE x IS DISTINCT FROM x'), true);
  assert.equal(bounded('DELETE FROM t WHERE 1 = 2 AND id = id'), true);
});

test('conditions that do not read the target row, or name it only in a shadowing subquery, do not bound', () => {
  for (const sql of [
    'DELETE FROM t WHERE (SELECT count(*) FROM u) > 0',
    'DELETE FROM t WHERE EXISTS (SELECT 1 FROM u AS t WHERE t.id = 1)',
    'DELETE FROM t WHERE EXISTS (SELECT 1 FROM u JOIN t ON true WHERE t.id = 1)',
    "DELETE FROM t WHERE current_setting('x') = 'y'",
    'UPDATE t SET a = 1 WHERE (SELECT true)',
    "DELETE FROM t WHERE 'abc' SIMILAR TO '%' OR id = 1",
    "DELETE FROM t WHERE name SIMILAR TO '%'",
    'DELETE FROM t WHERE id = id OR id = 1',
  ]) {
    assert.equal(bounded(sql), false, sql);
  }
});

test('known limit: a semantic tautology through a subquery still counts as a filter', () => {
  // Documented in docs/sql-actions.md: the classifier sees syntax, not data.
  assert.equal(bounded('DELETE FROM t WHERE id IN (SELECT id FROM t)'), true);
});
