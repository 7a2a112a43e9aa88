import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AirlockError, errorCatalog, toAirlockError } from './errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map(
  doc
    .split('\n')
    .filter((line) => line.startsWith('| `ERR_'))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      return [cells[1]?.replace(/`/g, '') ?? '', cells] as const;
    }),
);

test('docs/errors.md lists exactly the catalog codes', () => {
  assert.deepEqual([...rows.keys()].sort(), Object.keys(errorCatalog).sort());
});

test('docs/errors.md agrees with the catalog on wire forms, status, exit, message and action', () => {
  for (const [code, entry] of Object.entries(errorCatalog)) {
    const cells = rows.get(code)!;
    assert.equal(cells[2], `${entry.severity} \`${entry.sqlstate}\``, `${code} PostgreSQL form`);
    assert.equal(cells[3], String(entry.http), `${code} HTTP status`);
    assert.equal(cells[4], String(entry.exit), `${code} exit status`);
    assert.equal(cells[5], entry.message, `${code} message`);
    assert.equal(cells[6]?.replace(/\\\|/g, '|'), entry.action, `${code} action`);
  }
});

test('every catalog entry is well formed', () => {
  for (const [code, entry] of Object.entries(errorCatalog)) {
    assert.match(code, /^ERR_[A-Z_]+$/);
    assert.match(entry.sqlstate, /^[0-9A-Z]{5}$/, `${code} SQLSTATE`);
    assert.ok(entry.http >= 400 && entry.http < 600, `${code} HTTP status`);
    assert.ok(entry.message.length > 0 && entry.action.length > 0);
  }
});

test('an AirlockError carries its code, client message and action', () => {
  const err = new AirlockError('ERR_CONNECTION_UNKNOWN', 'operator text', { userMessage: 'no "x"' });
  assert.equal(err.name, 'AirlockError');
  assert.equal(err.code, 'ERR_CONNECTION_UNKNOWN');
  assert.equal(err.message, 'operator text');
  assert.equal(err.userMessage, 'no "x"');
  assert.equal(err.entry.sqlstate, '3D000');
  assert.equal(err.action, errorCatalog.ERR_CONNECTION_UNKNOWN.action);
});

test('toAirlockError keeps AirlockErrors and wraps anything else as internal', () => {
  const err = new AirlockError('ERR_TOKEN_EXPIRED');
  assert.equal(toAirlockError(err), err);
  const wrapped = toAirlockError(new RangeError('boom'));
  assert.equal(wrapped.code, 'ERR_INTERNAL');
  assert.equal(wrapped.message, 'boom');
  assert.equal(wrapped.userMessage, errorCatalog.ERR_INTERNAL.message);
});
