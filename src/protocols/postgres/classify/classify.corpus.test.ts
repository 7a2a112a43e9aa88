import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { StatementFacts } from '../../../core/command.js';
import { type ClassifiedSql, classifySql, initClassifier } from './classify.js';
import { CORPUS, type CorpusCase, type Verdict } from './corpus.js';

/** Actions the example guardrails deny, wherever they appear (the statement or its inner actions). */
const DENIED_ACTIONS = new Set(['sql.drop', 'sql.truncate', 'sql.alter', 'sql.grant', 'sql.revoke']);
const REVIEWED_ACTIONS = new Set(['sql.delete', 'sql.update']);

/**
 * The example guardrails as a reference over the facts (the policy module implements them
 * in Cedar; this states what the corpus verdicts mean).
 */
function exampleVerdict(result: ClassifiedSql): Verdict {
  if (!result.ok) return 'deny';
  let verdict: Verdict = 'allow';
  for (const s of result.statements) {
    const actions = [s.action, ...(s.facts.innerActions as readonly string[])];
    const unbounded = REVIEWED_ACTIONS.has(s.action) && s.facts.bounded === false;
    if (
      actions.some((a) => DENIED_ACTIONS.has(a)) ||
      s.facts.copyProgram === true ||
      s.facts.dynamicSql === true ||
      s.facts.innerUnbounded === true ||
      unbounded
    ) {
      return 'deny';
    }
    if (actions.some((a) => REVIEWED_ACTIONS.has(a))) verdict = 'review';
  }
  return verdict;
}

function describeEntries(statements: readonly StatementFacts[]): string {
  return JSON.stringify(statements.map((s) => ({ action: s.action, objects: s.objects, facts: s.facts })));
}

function check(c: CorpusCase): void {
  const result = classifySql(c.sql);
  if (c.expect === 'unparsed') {
    assert.equal(
      result.ok,
      false,
      `must fail closed, got ${result.ok ? describeEntries(result.statements) : ''}`,
    );
  } else {
    assert.ok(result.ok, `must classify, got: ${result.ok ? '' : result.reason}`);
    const got = result.statements;
    assert.deepEqual(
      got.map((s) => s.action),
      c.expect.map((x) => x.action),
      `actions of ${describeEntries(got)}`,
    );
    c.expect.forEach((expected, i) => {
      const facts = got[i]?.facts ?? {};
      for (const [name, value] of Object.entries(expected.facts ?? {})) {
        assert.deepEqual(facts[name], value, `entry ${i} fact ${name} of ${describeEntries(got)}`);
      }
      if (expected.objects) assert.deepEqual(got[i]?.objects, expected.objects, `entry ${i} objects`);
    });
  }
  assert.equal(exampleVerdict(result), c.verdict, 'verdict under the example guardrails');
}

before(() => initClassifier());

test('the corpus has at least 150 statements, must-block and must-allow, in every evasion class', () => {
  assert.ok(CORPUS.length >= 150, `${CORPUS.length} cases`);
  const classes = new Map<string, Set<Verdict>>();
  for (const c of CORPUS) classes.set(c.class, (classes.get(c.class) ?? new Set()).add(c.verdict));
  for (const cls of [
    'comments',
    'case-whitespace',
    'dollar-quoting',
    'quoted-identifiers',
    'string-literals',
    'column-names',
    'multi-statement',
    'writable-cte',
    'explain-analyze',
    'dynamic-sql',
    'routines',
    'prepare-execute',
    'where-placement',
    'tautology',
  ]) {
    const verdicts = classes.get(cls);
    assert.ok(verdicts?.has('deny'), `${cls} has a must-block case`);
    assert.ok(verdicts?.has('allow') || verdicts?.has('review'), `${cls} has a must-pass look-alike`);
  }
});

test('no corpus statement is listed twice', () => {
  const seen = new Set<string>();
  for (const c of CORPUS) {
    assert.ok(!seen.has(c.sql), `duplicate: ${c.sql}`);
    seen.add(c.sql);
  }
});

describe('corpus', () => {
  for (const c of CORPUS) {
    test(`${c.class} ${c.verdict}: ${JSON.stringify(c.sql)}`, () => check(c));
  }
});
