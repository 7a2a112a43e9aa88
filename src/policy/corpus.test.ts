/**
 * The guardrail corpus of the PostgreSQL classifier, decided by the real engine: every statement
 * classified, then decided with the issue's example guardrails compiled to Cedar, must get the
 * corpus verdict. The classifier's own corpus test checks the facts against a reference over them;
 * this one checks that the shorthand, as Cedar, means the same.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CORPUS } from '../protocols/postgres/classify/corpus.js';
import { classifySqlUncached, initClassifier } from '../protocols/postgres/classify/index.js';
import { agent, engineWith, ISSUE_EXAMPLE, prod } from './testing/fixtures.js';

describe('classifier corpus through the policy engine', () => {
  before(() => initClassifier());

  it('decides every corpus statement as the corpus says, with a reason for each block', () => {
    const engine = engineWith([{ ...prod, guardrails: ISSUE_EXAMPLE }]);
    const wrong: string[] = [];
    const outcomes = { allow: 0, review: 0, deny: 0 };
    for (const c of CORPUS) {
      const classified = classifySqlUncached(c.sql);
      const decision = engine.decide(
        agent,
        prod,
        classified.ok ? classified.statements : { unparsed: classified.reason },
      );
      outcomes[decision.outcome]++;
      if (decision.outcome !== c.verdict)
        wrong.push(`${c.verdict} expected, ${decision.outcome} (${decision.rule}): ${c.sql}`);
      if (decision.outcome !== 'allow') assert.ok(decision.reason.length > 0, c.sql);
    }
    assert.deepEqual(wrong, []);
    assert.ok(outcomes.allow > 0 && outcomes.review > 0 && outcomes.deny > 0, JSON.stringify(outcomes));
  });
});
