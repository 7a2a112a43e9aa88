/**
 * The classifier against a real PostgreSQL: every corpus text of the lexical, multi-statement,
 * CTE, EXPLAIN, PREPARE, WHERE and dynamic-SQL classes is run directly on a throwaway server (no
 * Airlock in between), on fresh tables, and what it did to table `t` (dropped, emptied, or still
 * there with rows) must be what the classification said. Texts the classifier refuses must be
 * refused by PostgreSQL too. This proves the parser reads comments, quoting, case and statement
 * boundaries the way the server does; the guardrail's own end-to-end run comes with the engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { StatementFacts } from '../../../core/command.js';
import {
  findPostgresBinDir,
  type PostgresCluster,
  startPostgresCluster,
} from '../../../demo/postgres-cluster.js';
import { classifySql, initClassifier } from './classify.js';
import { CORPUS, CORPUS_SETUP_SQL, type CorpusCase, type EvasionClass } from './corpus.js';

/** Classes whose effect on `t` the facts predict, and that are safe to run on the test machine. */
const REPLAYED: ReadonlySet<EvasionClass> = new Set([
  'comments',
  'case-whitespace',
  'dollar-quoting',
  'quoted-identifiers',
  'string-literals',
  'column-names',
  'multi-statement',
  'writable-cte',
  'explain-analyze',
  'prepare-execute',
  'where-placement',
  'tautology',
  'dynamic-sql',
]);

type Effect = 'dropped' | 'emptied' | 'kept';

const isT = (name: string) => name === 't' || name === 'public.t';

/** What the classification says happens to `t`, or undefined when it cannot know (dynamic SQL). */
function predictedEffect(statements: readonly StatementFacts[]): Effect | undefined {
  let effect: Effect = 'kept';
  for (const s of statements) {
    if (s.facts.dynamicSql === true) return undefined;
    // Stored code and plans run later (or never): nothing happens to t now.
    if (s.action === 'sql.prepare' || s.action === 'sql.explain' || s.facts.createsRoutine === true) continue;
    if (!(s.facts.targets as readonly string[]).some(isT)) continue;
    const actions = [s.action, ...(s.facts.innerActions as readonly string[])];
    if (actions.includes('sql.drop')) return 'dropped';
    const unboundedDelete =
      (s.action === 'sql.delete' && s.facts.bounded === false) ||
      (s.facts.innerUnbounded === true && actions.includes('sql.delete'));
    if (actions.includes('sql.truncate') || unboundedDelete) effect = 'emptied';
  }
  return effect;
}

const pgBin = findPostgresBinDir();

describe('classification agrees with PostgreSQL', {
  skip: pgBin ? false : 'no PostgreSQL server binaries installed',
}, () => {
  let cluster: PostgresCluster;
  let admin: pg.Client;

  before(async () => {
    await initClassifier();
    cluster = await startPostgresCluster();
    admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await cluster?.stop();
  });

  /** Runs each text as one simple-protocol Query on one fresh connection; true when all were accepted. */
  async function run(...texts: string[]): Promise<boolean> {
    const client = new pg.Client({ connectionString: cluster.url() });
    client.on('error', () => {});
    await client.connect();
    try {
      for (const text of texts) await client.query(text);
      return true;
    } catch {
      return false;
    } finally {
      await client.end();
    }
  }

  async function observe(): Promise<Effect> {
    const exists = await admin.query("SELECT to_regclass('public.t') IS NOT NULL AS e");
    if (!exists.rows[0]?.e) return 'dropped';
    const count = await admin.query('SELECT count(*)::int AS n FROM public.t');
    return count.rows[0]?.n === 0 ? 'emptied' : 'kept';
  }

  /** How each replay ended, so a run where everything failed cannot pass unnoticed. */
  type Outcome = 'refused by both' | 'failed on the server' | 'dynamic' | 'effect matched';

  async function replay(c: CorpusCase): Promise<Outcome> {
    await admin.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${CORPUS_SETUP_SQL}`);
    const result = classifySql(c.sql);
    const accepted = await run(c.sql);
    const effect = await observe();
    if (!result.ok) {
      assert.equal(accepted, false, `the classifier refused it (${result.reason}); PostgreSQL ran it`);
      assert.equal(effect, 'kept');
      return 'refused by both';
    }
    if (!accepted) {
      assert.equal(effect, 'kept', 'a failed text changes nothing');
      return 'failed on the server';
    }
    const predicted = predictedEffect(result.statements);
    if (predicted === undefined) return 'dynamic';
    assert.equal(effect, predicted, 'effect on t');
    return 'effect matched';
  }

  const cases = CORPUS.filter((c) => REPLAYED.has(c.class) && c.sql !== '');
  test(`${cases.length} corpus texts do to t what their classification says`, async (t) => {
    const outcomes = new Map<Outcome, number>();
    const effects = new Map<Effect, number>();
    for (const c of cases) {
      await t.test(`${c.class}: ${JSON.stringify(c.sql)}`, async () => {
        const outcome = await replay(c);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === 'effect matched')
          effects.set(await observe(), (effects.get(await observe()) ?? 0) + 1);
      });
    }
    t.diagnostic(
      JSON.stringify({ outcomes: Object.fromEntries(outcomes), effects: Object.fromEntries(effects) }),
    );
    assert.ok((outcomes.get('effect matched') ?? 0) >= 100, 'most texts ran and were compared');
    for (const effect of ['dropped', 'emptied', 'kept'] as const)
      assert.ok((effects.get(effect) ?? 0) >= 5, effect);
  });

  test('why standard_conforming_strings = off is refused: the server then runs a DROP the parser reads as a string', async () => {
    await admin.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public; ${CORPUS_SETUP_SQL}`);
    const text = "SELECT 'a\\' , ' ; DROP TABLE t; -- '";
    const seen = classifySql(text);
    assert.ok(seen.ok);
    assert.deepEqual(
      seen.statements.map((s) => s.action),
      ['sql.select'],
    );
    assert.equal(classifySql('SET standard_conforming_strings = off').ok, false);
    // Two queries: PostgreSQL reads a whole query string before running any of it.
    assert.ok(await run('SET standard_conforming_strings = off', text));
    assert.equal(await observe(), 'dropped', 'with the setting off, PostgreSQL split the text differently');
  });
});
