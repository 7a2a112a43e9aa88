/**
 * @module The reason text of a blocked statement: what was blocked and why, worded for the client
 * message `blocked by airlock: <rule>: <reason>`. Shorthand rules describe the statement in their
 * own terms; raw policies use their `@reason("...")` annotation, or a plain description.
 */
import type { StatementFacts } from '../core/command.js';
import { describeStatement } from './describe.js';
import type { RuleInfo } from './policy-set.js';
import { SHORTHAND_RULES } from './shorthand-rules.js';
import type { PolicyBlock, UnparsedOutcome } from './types.js';

/** A forbid that matched one statement; `error` when its condition failed to evaluate. */
export interface MatchedRule {
  readonly id: string;
  readonly info: RuleInfo;
  readonly error?: string;
}

const MAX_UNPARSED = 200;

function ruleReason(info: RuleInfo, statement: StatementFacts): string {
  const shorthand = info.guardrail ? SHORTHAND_RULES[info.guardrail] : undefined;
  if (shorthand) return shorthand.describe(statement);
  const what = describeStatement(statement);
  if (info.note) return `${info.note} (${what})`;
  return info.effect === 'review'
    ? `${what} matches a policy that requires review`
    : `${what} matches a policy that forbids it`;
}

/** The block for a matched forbid; `undefined` when Cedar denied with no permit matching. */
export function blockedBy(matched: MatchedRule | undefined, statement: StatementFacts): PolicyBlock {
  if (!matched) {
    return {
      outcome: 'deny',
      rule: 'no-permit',
      reason: `${describeStatement(statement)} is not permitted by any policy`,
    };
  }
  const outcome = matched.info.effect === 'review' ? 'review' : 'deny';
  const reason = matched.error
    ? `${describeStatement(statement)}: the policy could not be evaluated (${matched.error}), so it counts as matched`
    : ruleReason(matched.info, statement);
  return { outcome, rule: matched.info.rule, reason };
}

/**
 * Dynamic SQL (an EXECUTE of a string built at run time) may run anything, so it gets the strictest
 * outcome any forbid on the connection can produce; `strictest` is that forbid.
 */
export function dynamicSqlBlock(strictest: RuleInfo, statement: StatementFacts): PolicyBlock {
  return {
    outcome: strictest.effect === 'review' ? 'review' : 'deny',
    rule: 'dynamic-sql',
    reason:
      `${describeStatement(statement)} runs SQL that Airlock cannot see before it runs (built at run time, ` +
      `or a prepared statement it does not know), so it gets the strictest outcome of this connection's ` +
      `rules (${strictest.rule})`,
  };
}

/** What a statement the classifier could not place gets: never allow. */
export function unparsedBlock(outcome: UnparsedOutcome, why: string): PolicyBlock {
  const cause = why.length > MAX_UNPARSED ? `${why.slice(0, MAX_UNPARSED)}…` : why;
  const verdict =
    outcome === 'review'
      ? 'so it must be approved before it runs'
      : 'and statements Airlock cannot check never run';
  return {
    outcome,
    rule: 'unparsed',
    reason: `the statement could not be classified (${cause}), ${verdict}`,
  };
}
