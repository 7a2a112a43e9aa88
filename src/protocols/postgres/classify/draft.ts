/**
 * @module The facts of one statement while it is being classified, and how they turn into the
 * `StatementFacts` policy sees. Facts of code that runs inside a statement (a DO body, a function
 * body, a writable CTE) are folded into the outer statement here, so the rules for what travels
 * outward live in one place.
 */
import type { FactValue, StatementFacts } from '../../../core/command.js';
import type { SqlAction } from './actions.js';

/** Boolean facts present on every entry; `true` in an inner statement makes them true outside. */
export const HAZARD_FLAGS = [
  'dynamicSql',
  'callsUserFunction',
  'createsRoutine',
  'setsRole',
  'copyProgram',
  'copyFile',
  'innerUnbounded',
] as const;

/** One hazard flag name. */
export type HazardFlag = (typeof HAZARD_FLAGS)[number];

/** Facts of one statement under construction. */
export interface Draft {
  action: SqlAction;
  readonly objects: Set<string>;
  readonly targets: Set<string>;
  readonly innerActions: Set<string>;
  readonly dangerousFunctions: Set<string>;
  readonly settings: Set<string>;
  readonly flags: Record<HazardFlag, boolean>;
  writableCte: boolean;
  explainAnalyze: boolean;
  /** Facts that only some actions carry (`bounded`, `copyDirection`, `transactionKind`...). */
  readonly extra: Record<string, FactValue>;
}

/** A statement's own entry plus the entries of DML that runs inside it now (writable CTEs...). */
export interface Classified {
  readonly primary: Draft;
  readonly extras: readonly Draft[];
}

/** A fresh draft for `action`. */
export function newDraft(action: SqlAction): Draft {
  return {
    action,
    objects: new Set(),
    targets: new Set(),
    innerActions: new Set(),
    dangerousFunctions: new Set(),
    settings: new Set(),
    flags: {
      dynamicSql: false,
      callsUserFunction: false,
      createsRoutine: false,
      setsRole: false,
      copyProgram: false,
      copyFile: false,
      innerUnbounded: false,
    },
    writableCte: false,
    explainAnalyze: false,
    extra: {},
  };
}

function addAll(into: Set<string>, from: Iterable<string>): void {
  for (const item of from) into.add(item);
}

/** True for a DELETE or UPDATE without a bounding WHERE of its own. */
export function isUnboundedWrite(d: Draft): boolean {
  return (d.action === 'sql.delete' || d.action === 'sql.update') && d.extra.bounded === false;
}

/**
 * Copies what makes `from` risky into `into` (hazard flags, dangerous functions, settings, the
 * objects touched), but not its action: for code that is looked at but does not run as a statement
 * (a plain EXPLAIN's query, an IF condition in PL/pgSQL).
 */
export function absorbHazards(into: Draft, from: Draft): void {
  for (const flag of HAZARD_FLAGS) if (from.flags[flag]) into.flags[flag] = true;
  addAll(into.dangerousFunctions, from.dangerousFunctions);
  addAll(into.settings, from.settings);
  addAll(into.objects, from.objects);
}

/**
 * Folds a statement that runs inside `into` (now or later) into it: its hazards, the relations it
 * writes, and its action (plus its own inner actions) into `innerActions`.
 */
export function absorbInner(into: Draft, from: Draft): void {
  absorbHazards(into, from);
  addAll(into.targets, from.targets);
  into.innerActions.add(from.action);
  addAll(into.innerActions, from.innerActions);
  if (isUnboundedWrite(from)) into.flags.innerUnbounded = true;
}

/** Folds a whole classification (primary and extras) into `into` as inner statements. */
export function absorbClassified(into: Draft, from: Classified): void {
  absorbInner(into, from.primary);
  for (const extra of from.extras) absorbInner(into, extra);
}

const sorted = (set: ReadonlySet<string>): readonly string[] => Object.freeze([...set].sort());

/** The frozen policy view of a draft. Cached results are shared, so nothing in them may change. */
export function toStatementFacts(d: Draft, multiStatement: number, statementIndex: number): StatementFacts {
  const facts: Record<string, FactValue> = {
    multiStatement,
    statementIndex,
    writableCte: d.writableCte,
    explainAnalyze: d.explainAnalyze,
    ...d.flags,
    dangerousFunctions: sorted(d.dangerousFunctions),
    innerActions: sorted(d.innerActions),
    targets: sorted(d.targets),
    settings: sorted(d.settings),
    ...d.extra,
  };
  return Object.freeze({
    action: d.action,
    objects: sorted(new Set([...d.objects, ...d.targets])),
    facts: Object.freeze(facts),
  });
}
