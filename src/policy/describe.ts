/**
 * @module Words for what a statement does (`DELETE on public.customers`), used to build the reason
 * a client reads in `blocked by airlock: <rule>: <reason>`. Only names the classifier reported go
 * in, never the statement text, so a reason cannot echo a secret from a literal.
 */
import type { FactValue, StatementFacts } from '../core/command.js';

const MAX_NAMES = 3;
const MAX_TEXT = 60;

/** `sql.delete` → `DELETE`, `sql.do` → `DO`; the part after the protocol, upper-cased. */
export function actionKeyword(action: string): string {
  const dot = action.indexOf('.');
  return (dot >= 0 ? action.slice(dot + 1) : action).replaceAll('_', ' ').replaceAll('-', ' ').toUpperCase();
}

/** `a, b, c and 2 more`: short enough for one error line. */
export function nameList(names: readonly string[]): string {
  if (names.length <= MAX_NAMES) return names.join(', ');
  return `${names.slice(0, MAX_NAMES).join(', ')} and ${names.length - MAX_NAMES} more`;
}

/** A classifier-supplied text (program, file name) cut to a readable length and quoted. */
export function quoted(text: string): string {
  return `'${text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text}'`;
}

/** The list a fact holds, whatever shape the classifier gave it. */
export function factList(value: FactValue | undefined): readonly string[] {
  if (value === undefined || value === null || typeof value === 'boolean') return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (typeof value === 'number') return [String(value)];
  return value;
}

/** The objects a statement changes when the classifier said (`targets`), else all it touches. */
export function statementObjects(statement: StatementFacts): readonly string[] {
  const targets = factList(statement.facts.targets);
  return targets.length > 0 ? targets : statement.objects;
}

/** ` on public.customers`, or nothing when the statement names no object. */
export function onObjects(statement: StatementFacts): string {
  const names = statementObjects(statement);
  return names.length > 0 ? ` on ${nameList(names)}` : '';
}

const EMBEDDED_IN: Readonly<Record<string, string>> = {
  cte: ' inside WITH',
  copy: ' inside COPY',
  schema: ' inside CREATE SCHEMA',
  statement: ' inside another statement',
};

/** ` inside WITH` for a statement the classifier found running inside another. */
function embedded(statement: StatementFacts): string {
  const via = statement.facts.embeddedIn;
  return typeof via === 'string' ? (EMBEDDED_IN[via] ?? ` inside ${via}`) : '';
}

/** `DELETE on public.customers`: the statement's own action and objects. */
export function describeStatement(statement: StatementFacts): string {
  const explain = statement.facts.explainAnalyze === true ? 'EXPLAIN ANALYZE of ' : '';
  return `${explain}${actionKeyword(statement.action)}${embedded(statement)}${onObjects(statement)}`;
}

/**
 * How a statement comes to run `action`: itself, as the prepared statement it EXECUTEs, or from a
 * body it carries (DO block, function or rule body, EXPLAIN ANALYZE). `undefined` when it does not.
 */
export function describeActionUse(statement: StatementFacts, action: string): string | undefined {
  const keyword = actionKeyword(action);
  const on = onObjects(statement);
  if (statement.action === action) {
    return statement.facts.explainAnalyze === true
      ? `EXPLAIN ANALYZE that runs ${keyword}${on}`
      : `${keyword}${embedded(statement)}${on}`;
  }
  if (statement.facts.preparedAction === action) return `EXECUTE of a prepared ${keyword}${on}`;
  if (factList(statement.facts.innerActions).includes(action)) {
    if (statement.action === 'sql.do') return `DO block that runs ${keyword}${on}`;
    if (statement.facts.explainAnalyze === true) return `EXPLAIN ANALYZE that runs ${keyword}${on}`;
    return `${actionKeyword(statement.action)} whose body runs ${keyword}${on}`;
  }
  return undefined;
}
