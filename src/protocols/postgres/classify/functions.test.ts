import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadModule, parseSync } from 'libpg-query';
import { BUILTIN_FUNCTION_NAMES } from './builtin-functions.js';
import { constantString, isBuiltinFunction, isDangerousFunction } from './functions.js';

before(() => loadModule());

/** The parse tree of the single expression `expr`. */
function expression(expr: string): unknown {
  const stmt = parseSync(`SELECT ${expr}`).stmts?.[0]?.stmt as {
    SelectStmt: { targetList: { ResTarget: { val: unknown } }[] };
  };
  return stmt.SelectStmt.targetList[0]?.ResTarget.val;
}

test('constant strings: literals, casts, E-strings; pieces joined by || or concat are folded', () => {
  assert.deepEqual(constantString(expression("'DROP TABLE t'")), { value: 'DROP TABLE t', folded: false });
  assert.deepEqual(constantString(expression("E'\\x44ROP'::text")), { value: 'DROP', folded: false });
  assert.deepEqual(constantString(expression("'DROP ' || 'TABLE ' || 1")), {
    value: 'DROP TABLE 1',
    folded: true,
  });
  assert.deepEqual(constantString(expression("concat('a', 'b', 2)")), { value: 'ab2', folded: true });
  assert.equal(constantString(expression("'a' || x")), undefined);
  assert.equal(constantString(expression("format('%s', 'x')")), undefined);
  assert.equal(constantString(expression('1')), undefined, 'a number alone is not SQL text');
});

test('dangerous names match whatever the schema; families by prefix', () => {
  for (const name of [
    'pg_read_file',
    'lo_export',
    'dblink_connect_u',
    'pg_ls_waldir',
    'pg_stat_reset_shared',
    'pg_sleep',
  ]) {
    assert.ok(isDangerousFunction(name), name);
  }
  for (const name of ['lower', 'now', 'pg_notify', 'lo_get', 'set_config', 'pg_read']) {
    assert.ok(!isDangerousFunction(name), name);
  }
});

test('built-ins: pg_catalog names unqualified or qualified with a system schema', () => {
  assert.ok(BUILTIN_FUNCTION_NAMES.size > 2500);
  assert.ok(isBuiltinFunction(undefined, 'lower'));
  assert.ok(isBuiltinFunction(undefined, 'uuidv7'), 'PostgreSQL 18 additions are known');
  assert.ok(isBuiltinFunction('pg_catalog', 'anything'));
  assert.ok(!isBuiltinFunction('public', 'lower'));
  assert.ok(!isBuiltinFunction(undefined, 'dblink'));
});
