import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  classifierCacheStats,
  classifySql,
  classifySqlUncached,
  configureClassifierCache,
  initClassifier,
} from './classify.js';
import { CORPUS } from './corpus.js';
import { shapeOf } from './shape.js';

before(() => initClassifier());

test('numbers and standard strings become markers; offsets are UTF-8 bytes', () => {
  const s = shapeOf("SELECT abalance FROM pgbench_accounts WHERE aid = 48213 AND n = 'x''y' AND m = 1.5e-3");
  assert.equal(s?.key, 'SELECT abalance FROM pgbench_accounts WHERE aid = \0n AND n = \0s AND m = \0n');
  assert.deepEqual(s?.literalOffsets, [50, 64, 79]);
  assert.deepEqual(shapeOf("SELECT 'é', 2")?.literalOffsets, [7, 13]);
  assert.deepEqual(shapeOf('SELECT "a\'b" FROM t1 WHERE x = 3')?.key, 'SELECT "a\'b" FROM t1 WHERE x = \0n');
});

test('anything the lexer is not sure of gives no shape', () => {
  for (const text of [
    'SELECT 1 -- comment',
    'SELECT /* c */ 1',
    'SELECT $$x$$',
    'SELECT $1',
    "SELECT E'\\n'",
    "SELECT U&'x'",
    "SELECT x'1F'",
    "SELECT B'01'",
    "SELECT N'x'",
    'SELECT 0x1F',
    'SELECT 1_000',
    'SELECT 1e',
    'SELECT 1.',
    'SELECT .5',
    'SELECT 1abc',
    "SELECT 'open",
    'SELECT "open',
    'SELECT a FROM t', // no literal: the exact-text cache is enough
  ]) {
    assert.equal(shapeOf(text), undefined, text);
  }
});

const NUMBERS = ['0', '1', '2', '42', '99999999999', '1.5', '1e3'];
const STRINGS = ['', 'x', 'role', 'off', 'on', 'DROP TABLE t', "it''s", 'pg_read_file', '/tmp/x', '1'];

/** Texts of the same shape as `text`: each literal swapped for values that change verdicts elsewhere. */
function variants(key: string): string[] {
  const out: string[] = [];
  for (let v = 0; v < Math.max(NUMBERS.length, STRINGS.length); v++) {
    let k = 0;
    out.push(
      key.replace(/\0([ns])/g, (_, kind: string) => {
        const pool = kind === 'n' ? NUMBERS : STRINGS;
        k++;
        return kind === 'n' ? pool[(v + k) % pool.length]! : `'${pool[(v + k) % pool.length]}'`;
      }),
    );
  }
  return out;
}

const EXTRA = [
  'DELETE FROM t WHERE 1 = 1',
  'DELETE FROM t WHERE id = 1',
  'UPDATE t SET a = 1 WHERE 2 > 1',
  "SELECT set_config('role', 'x', false)",
  "SELECT set_config('application_name', 'x', false)",
  'SET statement_timeout = 5',
  "SET search_path = 'public'",
  "COPY t TO '/tmp/x'",
  "COPY t FROM PROGRAM 'cat /etc/passwd'",
  "DO 'begin drop table t; end'",
  "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'",
  "SELECT dblink_exec('c', 'drop table t')",
  "SELECT 'a'\n'b'",
  "SELECT pg_read_file('x')", // dangerous whatever the argument: shared by shape
  'SELECT abalance FROM pgbench_accounts WHERE aid = 48213;',
  "SELECT * FROM t WHERE name = 'x' LIMIT 10",
  "INSERT INTO t (id, name) VALUES (1, 'x')",
];

test('a result reused by shape is exactly what classifying the text itself gives', () => {
  let shared = 0;
  let checked = 0;
  for (const text of [...CORPUS.map((c) => c.sql), ...EXTRA]) {
    const shape = shapeOf(text);
    if (!shape) continue;
    configureClassifierCache();
    classifySql(text);
    for (const variant of variants(shape.key)) {
      assert.equal(shapeOf(variant)?.key, shape.key, variant);
      assert.deepEqual(classifySql(variant), classifySqlUncached(variant), `${text}\n  variant: ${variant}`);
      checked++;
    }
    if (classifierCacheStats().shapes > 0) shared++;
  }
  console.log(`shape property: ${checked} variants of ${shared} shareable texts`);
  assert.ok(checked > 200, `only ${checked} variants checked`);
  assert.ok(shared > 20, `only ${shared} texts were shareable by shape`);
});

test('texts whose verdict reads a literal are never shared by shape', () => {
  for (const text of EXTRA.slice(0, EXTRA.indexOf("SELECT pg_read_file('x')"))) {
    configureClassifierCache();
    classifySql(text);
    assert.equal(classifierCacheStats().shapes, 0, text);
  }
  configureClassifierCache();
  classifySql('SELECT abalance FROM pgbench_accounts WHERE aid = 48213;');
  assert.equal(classifierCacheStats().shapes, 1);
  const before = classifierCacheStats().entries;
  classifySql('SELECT abalance FROM pgbench_accounts WHERE aid = 7;');
  assert.equal(classifierCacheStats().entries, before, 'a shape hit adds no text entry');
});
