/**
 * @module The guardrail corpus: statements an agent might send, grouped by the evasion class they
 * try (issue 3, point 8), each with what the classifier must report and what the example
 * guardrails must decide. Must-block look-alikes sit next to must-allow ones, so a classifier that
 * blocks by keyword fails as surely as one that misses a DROP.
 *
 * The verdicts assume the example configuration:
 * ```yaml
 * guardrails:
 *   deny: [drop, truncate, alter, grant, revoke, copy-program, unbounded-delete, unbounded-update]
 *   review: [delete, update]
 *   onUnparsed: deny
 * ```
 * with `dynamicSql` getting the most restrictive outcome (deny), and a rule about an action also
 * applying where that action appears in `innerActions` (DO bodies, routines, rules, prepared bodies).
 * `classify.corpus.test.ts` checks every case; the end-to-end run replays them against PostgreSQL
 * after `CORPUS_SETUP_SQL`.
 */
import { CODE_CASES } from './corpus-code.js';
import { HAZARD_CASES } from './corpus-hazards.js';
import { LEXICAL_CASES } from './corpus-lexical.js';
import { STATEMENT_CASES } from './corpus-statements.js';
import type { CorpusCase } from './corpus-types.js';
import { WHERE_CASES } from './corpus-where.js';

export type { CorpusCase, EvasionClass, ExpectedEntry, Verdict } from './corpus-types.js';

/** Every corpus case. */
export const CORPUS: readonly CorpusCase[] = [
  ...LEXICAL_CASES,
  ...STATEMENT_CASES,
  ...WHERE_CASES,
  ...CODE_CASES,
  ...HAZARD_CASES,
];

/**
 * Tables the corpus statements use, for a replay against a real PostgreSQL: denied statements must
 * leave them (and their rows) in place.
 */
export const CORPUS_SETUP_SQL = `
CREATE TABLE t (id int PRIMARY KEY, a int, c int, name text, drop_date date, delete_flag boolean,
  truncate_at timestamptz, grant_id int, "delete" int, "truncate" int, "drop" int);
CREATE TABLE "T" (id int);
CREATE TABLE u (id int, tid int, x int);
CREATE TABLE s (id int, a int);
CREATE TABLE log (id int, msg text);
CREATE TABLE logs (msg text);
CREATE TABLE audit (id int);
CREATE TABLE "delete" (drop_date date, "where" int);
CREATE TABLE "update" ("set" int);
CREATE TABLE "select" (id int);
CREATE TABLE "drop" (id int);
CREATE TABLE "grant" ("revoke" int);
CREATE TABLE "truncate" (id int);
CREATE TABLE "Users" (id int);
INSERT INTO t (id, a, c, name) SELECT g, g, g, 'n' || g FROM generate_series(1, 10) g;
INSERT INTO u SELECT g, g, g FROM generate_series(1, 3) g;
INSERT INTO s SELECT g, g FROM generate_series(1, 10) g;
`;
