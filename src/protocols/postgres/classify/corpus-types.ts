/**
 * @module The shapes of the guardrail corpus (`corpus.ts`) and small builders that keep its files
 * readable.
 */
import type { FactValue } from '../../../core/command.js';

/** The evasion classes of issue 3 point 8, plus the hazards the classifier reports. */
export type EvasionClass =
  | 'comments'
  | 'case-whitespace'
  | 'dollar-quoting'
  | 'quoted-identifiers'
  | 'string-literals'
  | 'column-names'
  | 'multi-statement'
  | 'writable-cte'
  | 'explain-analyze'
  | 'dynamic-sql'
  | 'routines'
  | 'prepare-execute'
  | 'where-placement'
  | 'tautology'
  | 'copy'
  | 'dangerous-functions'
  | 'settings'
  | 'ddl'
  | 'unparsed'
  | 'plain';

/** What the example guardrails decide for a whole text. */
export type Verdict = 'deny' | 'review' | 'allow';

/** One expected `StatementFacts` entry: its action, and the facts (and objects) that must match. */
export interface ExpectedEntry {
  readonly action: string;
  readonly facts?: Readonly<Record<string, FactValue>>;
  readonly objects?: readonly string[];
}

/** One corpus statement. */
export interface CorpusCase {
  readonly class: EvasionClass;
  readonly sql: string;
  readonly verdict: Verdict;
  /** The entries in order, or `'unparsed'` when the classifier must fail closed. */
  readonly expect: readonly ExpectedEntry[] | 'unparsed';
}

/** Builds one case (keeps the corpus files readable). */
export function corpusCase(
  cls: EvasionClass,
  sql: string,
  verdict: Verdict,
  ...expect: readonly ExpectedEntry[]
): CorpusCase {
  return { class: cls, sql, verdict, expect };
}

/** A case the classifier must refuse (fail closed). */
export function unparsedCase(cls: EvasionClass, sql: string): CorpusCase {
  return { class: cls, sql, verdict: 'deny', expect: 'unparsed' };
}

/** One expected entry. */
export function entry(
  action: string,
  facts?: Readonly<Record<string, FactValue>>,
  objects?: readonly string[],
): ExpectedEntry {
  return { action, ...(facts ? { facts } : {}), ...(objects ? { objects } : {}) };
}
