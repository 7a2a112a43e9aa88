/**
 * @module The guardrail shorthand vocabulary: each name a connection may list under `guardrails:
 * deny:` or `review:`, the Cedar condition it compiles to, the facts that condition reads, and the
 * words that say what it blocked. docs/policy.md has the same table for users.
 */
import type { StatementFacts } from '../core/command.js';
import {
  actionKeyword,
  describeActionUse,
  describeStatement,
  factList,
  nameList,
  onObjects,
  quoted,
} from './describe.js';

/** One shorthand name. */
export interface ShorthandRule {
  /**
   * The Cedar `when` condition (no braces). It may read only `action ==`, the resource id and
   * `context`: the engine sends no entities for shorthand-only sets, so `principal.*`, tags and
   * `action in` groups would not see their data.
   */
  readonly condition: string;
  /** The facts the condition reads, for docs and `policy test`. */
  readonly facts: string;
  /** What the statement did, for the reason; called only when the rule matched. */
  readonly describe: (statement: StatementFacts) => string;
}

const action = (name: string) => `action == Airlock::Action::"${name}"`;
const inner = (name: string) => `(context has innerActions && context.innerActions.contains("${name}"))`;
const prepared = (name: string) => `(context has preparedAction && context.preparedAction == "${name}")`;
const flag = (fact: string) => `(context has ${fact} && context.${fact})`;

/**
 * A rule on an action, wherever it runs: the statement itself, the prepared statement an EXECUTE
 * runs, or a body it carries (DO block, function or rule body, EXPLAIN ANALYZE).
 */
function actionRule(name: string): ShorthandRule {
  return {
    condition: `${action(name)} || ${prepared(name)} || ${inner(name)}`,
    facts: `action \`${name}\`, innerActions, preparedAction`,
    describe: (statement) => describeActionUse(statement, name) ?? describeStatement(statement),
  };
}

/**
 * DELETE/UPDATE without a WHERE that limits it. Fail closed: a statement of that action (itself or
 * the prepared body an EXECUTE runs) is unbounded unless the classifier proved `bounded`. A body
 * (DO block, routine) counts when it runs that action and the classifier found an unbounded write
 * in it (`innerUnbounded`); the `delete`/`update` names catch bodies regardless.
 */
function unboundedRule(name: string): ShorthandRule {
  const keyword = name === 'sql.delete' ? 'DELETE' : 'UPDATE';
  return {
    condition:
      `((${action(name)} || ${prepared(name)}) && !(context has bounded && context.bounded)) || ` +
      `(${inner(name)} && ${flag('innerUnbounded')})`,
    facts: `action \`${name}\`, preparedAction, bounded, innerActions, innerUnbounded`,
    describe: (statement) => {
      const own = statement.action === name || statement.facts.preparedAction === name;
      const where = own ? '' : ` inside ${actionKeyword(statement.action)}`;
      return `${keyword} without a WHERE clause that limits its rows${where}${onObjects(statement)}`;
    },
  };
}

function flagRule(fact: string, describe: ShorthandRule['describe']): ShorthandRule {
  return { condition: flag(fact), facts: fact, describe };
}

const copyWhat = (statement: StatementFacts, fact: string, what: string): string => {
  const value = statement.facts[fact];
  const detail = typeof value === 'string' && value !== '' ? ` ${quoted(value)}` : '';
  const direction = statement.facts.copyDirection;
  const way = direction === 'to' ? 'to' : direction === 'from' ? 'from' : 'to or from';
  return `COPY ${way} a server-side ${what}${detail}${onObjects(statement)}`;
};

/** Every shorthand name. Add a name here and in docs/policy.md together. */
export const SHORTHAND_RULES: Readonly<Record<string, ShorthandRule>> = {
  drop: actionRule('sql.drop'),
  truncate: actionRule('sql.truncate'),
  alter: actionRule('sql.alter'),
  grant: actionRule('sql.grant'),
  revoke: actionRule('sql.revoke'),
  create: actionRule('sql.create'),
  delete: actionRule('sql.delete'),
  update: actionRule('sql.update'),
  insert: actionRule('sql.insert'),
  merge: actionRule('sql.merge'),
  copy: actionRule('sql.copy'),
  do: actionRule('sql.do'),
  call: actionRule('sql.call'),
  'unbounded-delete': unboundedRule('sql.delete'),
  'unbounded-update': unboundedRule('sql.update'),
  'copy-program': flagRule('copyProgram', (s) => copyWhat(s, 'copyProgram', 'program')),
  'copy-file': flagRule('copyFile', (s) => copyWhat(s, 'copyFile', 'file')),
  'dynamic-sql': flagRule(
    'dynamicSql',
    (s) =>
      `${describeStatement(s)} runs SQL that Airlock cannot see before it runs (built at run time, or a prepared statement it does not know)`,
  ),
  'user-functions': flagRule(
    'callsUserFunction',
    (s) => `${describeStatement(s)} calls a user-defined function, whose body Airlock cannot see`,
  ),
  'dangerous-functions': {
    condition: '(context has dangerousFunctions && !context.dangerousFunctions.isEmpty())',
    facts: 'dangerousFunctions',
    describe: (s) => {
      const names = factList(s.facts.dangerousFunctions);
      return `${describeStatement(s)} calls ${names.length > 0 ? nameList(names) : 'a dangerous built-in function'}`;
    },
  },
  'set-role': flagRule('setsRole', (s) => `${describeStatement(s)} changes the session role`),
  'writable-cte': flagRule('writableCte', (s) => `data-modifying statement inside WITH${onObjects(s)}`),
  routines: flagRule(
    'createsRoutine',
    (s) => `${describeStatement(s)} creates a function, procedure, rule or trigger that runs later`,
  ),
  'explain-analyze': flagRule(
    'explainAnalyze',
    (s) => `EXPLAIN ANALYZE runs the statement it explains${onObjects(s)}`,
  ),
  'multi-statement': {
    condition: '(context has multiStatement && context.multiStatement > 1)',
    facts: 'multiStatement',
    describe: (s) => `query string of ${String(s.facts.multiStatement)} statements`,
  },
};

/** The shorthand names, in table order. */
export const SHORTHAND_NAMES: readonly string[] = Object.keys(SHORTHAND_RULES);

/**
 * The deny list the guardrails issue gives as its example (and docs/policy.md recommends as a
 * start): one definition for tests, fixtures and the bench.
 */
export const RECOMMENDED_DENY: readonly string[] = Object.freeze([
  'drop',
  'truncate',
  'alter',
  'grant',
  'revoke',
  'copy-program',
  'unbounded-delete',
  'unbounded-update',
]);
