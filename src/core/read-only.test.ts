import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { classifySql, initClassifier } from '../protocols/postgres/classify/classify.js';
import type { Command } from './command.js';
import { readOnlyBreach } from './read-only.js';

before(() => initClassifier());

function command(text: string): Command {
  const classified = classifySql(text);
  assert.ok(classified.ok, text);
  return { id: 1, channel: 'simple', text, action: 'sql.x', objects: [], statements: classified.statements };
}

test('statements that would switch a read-only session to read-write are refused', () => {
  for (const text of [
    'set default_transaction_read_only = off',
    "set session default_transaction_read_only to 'false'",
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
    'begin read write',
    'start transaction isolation level serializable, read write',
    'set transaction read write',
    'set local transaction_read_only = 0',
    'reset default_transaction_read_only',
    "select set_config('default_transaction_read_only', 'off', false)",
    "select set_config(current_user || '', 'off', false)",
    'select f(); commit; select g()',
    'begin; select 1; commit and chain; select 2',
  ]) {
    const err = readOnlyBreach('read', command(text));
    assert.equal(err?.code, 'ERR_SCOPE_DENIED', text);
    assert.match(err.userMessage, /^blocked by airlock: scope read is read-only: /, text);
  }
});

test('reads, read-only transactions and other settings pass', () => {
  for (const text of [
    'select * from t',
    'set default_transaction_read_only = on',
    'begin read only',
    'begin; select 1; commit',
    'set transaction isolation level repeatable read',
    'set statement_timeout = 5000',
    'reset all',
    'commit and chain',
  ]) {
    assert.equal(readOnlyBreach('read', command(text)), undefined, text);
  }
});
