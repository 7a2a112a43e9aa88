import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isAirlockError } from '../../../core/errors.js';
import { ALL_SQL_ACTIONS } from './actions.js';
import {
  classifierCacheStats,
  classifySql,
  classifySqlUncached,
  configureClassifierCache,
  initClassifier,
  isClassifierReady,
} from './classify.js';
import { CORPUS } from './corpus.js';
import { HAZARD_FLAGS } from './draft.js';

/** Facts every entry carries, whatever its action (Cedar policies can read them without `has`). */
const ALWAYS = [
  'multiStatement',
  'statementIndex',
  'writableCte',
  'explainAnalyze',
  ...HAZARD_FLAGS,
  'dangerousFunctions',
  'innerActions',
  'targets',
  'settings',
];

function ok(text: string) {
  const result = classifySql(text);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.statements;
}

test('classifySql before initClassifier throws an AirlockError; init is idempotent', async () => {
  assert.equal(isClassifierReady(), false);
  assert.throws(
    () => classifySql('SELECT 1'),
    (err) => isAirlockError(err) && err.code === 'ERR_INTERNAL',
  );
  const first = initClassifier();
  assert.equal(initClassifier(), first, 'one load, one promise');
  await first;
  assert.equal(isClassifierReady(), true);
});

test('a repeated text is answered from the cache: the very same frozen result', async () => {
  await initClassifier();
  configureClassifierCache();
  const a = classifySql('SELECT * FROM t WHERE id = 1');
  const b = classifySql('SELECT * FROM t WHERE id = 1');
  assert.equal(a, b);
  assert.ok(Object.isFrozen(a));
  assert.ok(a.ok && Object.isFrozen(a.statements) && Object.isFrozen(a.statements[0]?.facts));
  assert.ok(a.ok && Object.isFrozen(a.statements[0]?.objects));
  assert.notEqual(classifySqlUncached('SELECT * FROM t WHERE id = 1'), a, 'uncached computes anew');
  assert.equal(classifierCacheStats().entries, 1);
});

test('failures are cached too, and the cache keeps to its entry limit', async () => {
  await initClassifier();
  configureClassifierCache({ maxEntries: 3 });
  const bad = classifySql('SELEC 1');
  assert.equal(classifySql('SELEC 1'), bad);
  for (let i = 0; i < 10; i++) classifySql(`SELECT c${i} FROM t`);
  assert.equal(classifierCacheStats().entries, 3);
  configureClassifierCache();
});

test('every entry of every corpus statement carries the always-present facts and sorted objects', async () => {
  await initClassifier();
  for (const c of CORPUS) {
    const result = classifySql(c.sql);
    if (!result.ok) continue;
    for (const s of result.statements) {
      for (const name of ALWAYS) assert.ok(name in s.facts, `${name} missing for ${c.sql}`);
      assert.ok(ALL_SQL_ACTIONS.includes(s.action as never), `${s.action} is a documented action`);
      assert.deepEqual(
        [...s.objects],
        [...new Set(s.objects)].sort(),
        `objects sorted and unique for ${c.sql}`,
      );
      assert.equal(s.facts.multiStatement, result.statements[0]?.facts.multiStatement);
    }
  }
});

test('parse errors fail closed with PostgreSQL’s message and position', async () => {
  await initClassifier();
  const result = classifySql('SELECT * FORM t');
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.reason, /^syntax error at or near "FORM" \(at character 10\)$/);
});

test('a NUL character fails closed (the server would stop reading there)', async () => {
  await initClassifier();
  const result = classifySql('SELECT 1\u0000; DROP TABLE t');
  assert.deepEqual(result, { ok: false, reason: 'the statement text contains a NUL character' });
});

test('deeply nested input fails closed instead of crashing', async () => {
  await initClassifier();
  assert.equal(classifySqlUncached(`SELECT ${'1 + '.repeat(1_000)}1`).ok, true, 'a long expression is fine');
  for (const n of [3_000, 20_000]) {
    assert.equal(
      classifySqlUncached(`DELETE FROM t WHERE id = ${'1 + '.repeat(n)}1`).ok,
      false,
      `${n} terms`,
    );
  }
  const parens = `SELECT ${'('.repeat(5_000)}1${')'.repeat(5_000)}`;
  assert.equal(classifySqlUncached(parens).ok, true, 'parentheses alone add no depth');
});

test('statements prepared earlier in the session are judged by their body', async () => {
  await initClassifier();
  const prepared = ok('PREPARE purge AS DELETE FROM t')[0];
  assert.ok(prepared);
  const unknown = ok('EXECUTE purge')[0];
  assert.equal(unknown?.facts.dynamicSql, true);
  const lookup = (name: string) => (name === 'purge' ? prepared : undefined);
  const known = classifySql('EXECUTE purge', { prepared: lookup });
  assert.ok(known.ok);
  const facts = known.statements[0]?.facts;
  assert.equal(facts?.dynamicSql, false);
  assert.equal(facts?.preparedAction, 'sql.delete');
  assert.equal(facts?.bounded, false);
  assert.equal(facts?.innerUnbounded, true);
  assert.deepEqual(facts?.targets, ['t']);
  // The session lookup never leaks into the cache, and a name prepared in the text wins.
  assert.equal(ok('EXECUTE purge')[0]?.facts.dynamicSql, true);
  const local = classifySql('PREPARE purge AS SELECT 1; EXECUTE purge', { prepared: lookup });
  assert.ok(local.ok);
  assert.equal(local.statements[1]?.facts.preparedAction, 'sql.select');
  const gone = classifySql('DEALLOCATE purge; EXECUTE purge', { prepared: lookup });
  assert.ok(gone.ok);
  assert.equal(gone.statements[1]?.facts.dynamicSql, true, 'deallocated names are unknown again');
});

test('writable CTEs cannot pass as a plain SELECT', async () => {
  await initClassifier();
  const [select, del] = ok('WITH d AS (DELETE FROM t) SELECT 1');
  assert.equal(select?.action, 'sql.select');
  assert.equal(select?.facts.writableCte, true);
  assert.deepEqual(select?.facts.innerActions, ['sql.delete']);
  assert.equal(del?.action, 'sql.delete');
  assert.equal(del?.facts.bounded, false);
  assert.equal(del?.facts.embeddedIn, 'cte');
});

test('objects: schema-qualified as written, quoted names kept, functions as fn:', async () => {
  await initClassifier();
  const [s] = ok('SELECT app.lower(x), "Weird.Name".id FROM App.Users, "Weird.Name", pg_catalog.pg_class');
  assert.deepEqual(s?.objects, ['"Weird.Name"', 'app.users', 'fn:app.lower', 'pg_catalog.pg_class']);
  assert.equal(s?.facts.callsUserFunction, true);
});

test('a CTE name is not a relation, but a qualified name of the same spelling is', async () => {
  await initClassifier();
  const [s] = ok('WITH t AS (SELECT 1) SELECT * FROM t, public.t');
  assert.deepEqual(s?.objects, ['public.t']);
});

test('CREATE FUNCTION bodies are read from their own statement in a multi-statement text', async () => {
  await initClassifier();
  const text =
    "SELECT 'é€'; CREATE FUNCTION a() RETURNS void LANGUAGE plpgsql AS $$BEGIN DELETE FROM x; END$$;" +
    ' CREATE FUNCTION b() RETURNS void LANGUAGE plpgsql AS $$BEGIN TRUNCATE y; END$$';
  const [, a, b] = ok(text);
  assert.deepEqual(a?.facts.innerActions, ['sql.delete']);
  assert.deepEqual(b?.facts.innerActions, ['sql.truncate']);
});

test('RETURN QUERY EXECUTE and OPEN FOR EXECUTE are dynamic; EXECUTE USING params are not', async () => {
  await initClassifier();
  const [f] = ok(
    "CREATE FUNCTION f() RETURNS SETOF int LANGUAGE plpgsql AS $$BEGIN RETURN QUERY EXECUTE 'SELECT id FROM ' || 't'; END$$",
  );
  assert.equal(f?.facts.dynamicSql, true);
  assert.deepEqual(f?.facts.innerActions, ['sql.select']);
  const [d] = ok("DO $$BEGIN EXECUTE 'SELECT $1' USING now(); END$$");
  assert.equal(d?.facts.dynamicSql, false);
  assert.ok(d?.objects.includes('fn:now'));
});

test('PL/pgSQL assignments and conditions contribute their functions', async () => {
  await initClassifier();
  const [d] = ok(
    "DO $$DECLARE v int[]; s text; BEGIN v[1] := pg_sleep(1); s = pg_read_file('/x'); IF lo_export(1, 'y') > 0 THEN NULL; END IF; END$$",
  );
  assert.deepEqual(d?.facts.dangerousFunctions, ['lo_export', 'pg_read_file', 'pg_sleep']);
  assert.deepEqual(d?.facts.innerActions, []);
});

test('code nested in code is followed, up to a limit', async () => {
  await initClassifier();
  let body = 'DROP TABLE t';
  for (let i = 0; i < 3; i++)
    body = `DO $${'x'.repeat(i + 1)}$BEGIN EXECUTE ${quote(body)}; END$${'x'.repeat(i + 1)}$`;
  const [s] = ok(body);
  assert.ok((s?.facts.innerActions as readonly string[] | undefined)?.includes('sql.drop'));
  let deep = 'SELECT 1';
  for (let i = 0; i < 12; i++) deep = `SELECT dblink_exec('c', ${quote(deep)})`;
  const [d] = ok(deep);
  assert.equal(d?.facts.dynamicSql, true, 'beyond the depth limit the SQL counts as unknown');
});

test('the empty text and comment-only text are no statements', async () => {
  await initClassifier();
  assert.deepEqual(classifySql(''), { ok: true, statements: [] });
  assert.deepEqual(classifySql('/* nothing */ ;'), { ok: true, statements: [] });
});

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

test('docs/sql-actions.md documents every action and every fact the corpus produces', async () => {
  await initClassifier();
  const doc = readFileSync(new URL('../../../../docs/sql-actions.md', import.meta.url), 'utf8');
  const rows = (section: string) => {
    const start = doc.indexOf(`## ${section}`);
    const end = doc.indexOf('\n## ', start + 1);
    return [...doc.slice(start, end).matchAll(/^\| `([a-zA-Z.]+)` \|/gm)].map((m) => m[1] ?? '');
  };
  assert.deepEqual(rows('Actions').sort(), [...ALL_SQL_ACTIONS].sort());
  const documented = new Set(rows('Facts'));
  const produced = new Set<string>();
  for (const c of CORPUS) {
    const result = classifySql(c.sql);
    if (!result.ok) continue;
    for (const s of result.statements) for (const name of Object.keys(s.facts)) produced.add(name);
  }
  assert.deepEqual(
    [...produced].filter((name) => !documented.has(name)),
    [],
    'undocumented facts',
  );
  assert.deepEqual(
    [...documented].filter((name) => !produced.has(name)),
    [],
    'documented facts the corpus never shows',
  );
});
