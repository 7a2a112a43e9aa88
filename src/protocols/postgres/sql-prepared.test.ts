import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Command } from '../../core/command.js';
import { classifySql, initClassifier } from './classify/index.js';
import { SqlPreparedNames } from './sql-prepared.js';

before(() => initClassifier());

let nextId = 1;
/** A command for `text` as the engine builds it, classified with the session's names. */
function command(names: SqlPreparedNames, text: string): Command {
  const result = classifySql(text, { prepared: names.lookup });
  assert.ok(result.ok, text);
  return { id: nextId++, channel: 'simple', text, action: '', objects: [], statements: result.statements };
}

const executeFacts = (names: SqlPreparedNames, name: string) =>
  command(names, `EXECUTE ${name}`).statements?.[0]?.facts;

test('a forwarded PREPARE makes EXECUTE carry the body; an unknown name stays dynamic', () => {
  const names = new SqlPreparedNames();
  assert.equal(names.isEmpty, true);
  names.onForwarded(command(names, 'PREPARE p AS DELETE FROM t WHERE id = $1'));
  assert.equal(names.isEmpty, false);
  const facts = executeFacts(names, 'p(1)');
  assert.equal(facts?.preparedAction, 'sql.delete');
  assert.equal(facts?.bounded, true);
  assert.equal(facts?.dynamicSql, false);
  assert.equal(executeFacts(names, 'other')?.dynamicSql, true);
});

test('preparing a name twice, DEALLOCATE, DEALLOCATE ALL and DISCARD ALL make names ambiguous', () => {
  for (const doubt of ['PREPARE p AS SELECT 2', 'DEALLOCATE p', 'DEALLOCATE ALL', 'DISCARD ALL']) {
    const names = new SqlPreparedNames();
    names.onForwarded(command(names, 'PREPARE p AS SELECT 1'));
    names.onForwarded(command(names, doubt));
    names.onForwarded(command(names, 'PREPARE p AS SELECT 3'));
    assert.equal(executeFacts(names, 'p')?.dynamicSql, true, doubt);
  }
});

test('a lone PREPARE the server rejected is forgotten; one inside a multi-statement text is not', () => {
  const names = new SqlPreparedNames();
  const lone = command(names, 'PREPARE p AS SELECT nope FROM t');
  names.onForwarded(lone);
  names.onResult(lone, { outcome: 'error', durationMs: 1, errorCode: '42703' });
  names.onForwarded(command(names, 'PREPARE p AS SELECT 1'));
  assert.equal(executeFacts(names, 'p')?.preparedAction, 'sql.select');

  const multi = command(names, 'PREPARE q AS SELECT 1; SELECT nope');
  names.onForwarded(multi);
  names.onResult(multi, { outcome: 'error', durationMs: 1 });
  names.onForwarded(command(names, 'PREPARE q AS SELECT 2'));
  assert.equal(executeFacts(names, 'q')?.dynamicSql, true);
});

test('a PREPARE that succeeded stays known; statements embedded elsewhere are ignored', () => {
  const names = new SqlPreparedNames();
  const ok = command(names, 'PREPARE p AS SELECT 1');
  names.onForwarded(ok);
  names.onResult(ok, { outcome: 'success', durationMs: 1 });
  assert.equal(executeFacts(names, 'p')?.preparedAction, 'sql.select');
  // A denied command never reaches onForwarded: nothing learned.
  command(names, 'PREPARE z AS SELECT 1');
  assert.equal(executeFacts(names, 'z')?.dynamicSql, true);
});
