/**
 * @module What masking needs to know about a statement, read from the classifier's parse tree
 * (libpg-query, the same parser): whether it reads masked data at all ("touches": a masked table or a
 * view over one by name, a user function, a function that runs SQL text, an opaque cursor or prepared
 * name), which of its output columns are computed from masked columns, and whether it must be refused
 * because it moves masked values where Airlock cannot mask them on the way out (COPY to a file or
 * program, CREATE TABLE AS, SELECT INTO, INSERT ... SELECT, UPDATE ... SET, upserts, a function that
 * stores its arguments: `sinks.ts`), reads column statistics, renames or moves what a column rule
 * names (`ddl.ts`), or (with `denyPredicates`) filters or sorts on a masked column.
 *
 * Names are matched without schemas and against every masked column name of any table: the analysis
 * over-approximates, so an unsure answer masks more, never less.
 *
 * This file is the entry point: it parses a text, runs the rules on each statement and builds its
 * shape. The per-statement questions live in `analyzer.ts`, the refusals every masked connection gets
 * in `refusal-rules.ts`, those a connection opts into in `opt-in-rules.ts`, the types in
 * `analysis.types.ts`.
 */
import { type AstObject, isObject, listOf, nodeOf, str, stringNode } from '../classify/ast.js';
import { LiteralWatch } from '../classify/literal-watch.js';
import { parseStatements } from '../classify/statement.js';
import type { AnalysisContext, SqlMasking, StatementShape } from './analysis.types.js';
import { Analyzer, returningTargets } from './analyzer.js';
import { checkDerived, checkPredicates } from './opt-in-rules.js';
import { checkMovement, Refused } from './refusal-rules.js';
import { visit } from './tree.js';

export type {
  AnalysisContext,
  CopyShape,
  MaskingRefusal,
  SqlMasking,
  StatementShape,
  UserCodeNames,
} from './analysis.types.js';
export { DATA_READING_FUNCTIONS } from './analyzer.js';

/** Analyses one SQL text (every statement). Parse failures give no shapes: the classifier refuses them. */
export function analyzeSql(text: string, ctx: AnalysisContext, hasColumnRules: boolean): SqlMasking {
  return analyzeSqlWatched(text, ctx, hasColumnRules, undefined).analysis;
}

/** An analysis, and whether it holds for every text of the same shape. */
export interface WatchedAnalysis {
  readonly analysis: SqlMasking;
  /** No literal was read, and every literal of the shape was a constant of the tree. */
  readonly sameForShape: boolean;
}

/**
 * `analyzeSql`, watching the constants when `literalOffsets` (the shape's, `classify/shape.ts`) are
 * given: the result may then be reused for the whole shape only if no constant was read and each of
 * those offsets starts a constant (a string that became a COPY file name or a code body did not).
 */
export function analyzeSqlWatched(
  text: string,
  ctx: AnalysisContext,
  hasColumnRules: boolean,
  literalOffsets: readonly number[] | undefined,
): WatchedAnalysis {
  const watch = literalOffsets ? new LiteralWatch() : undefined;
  let parsed: ReturnType<typeof parseStatements>;
  try {
    parsed = parseStatements(text, watch && ((stmts) => watch.instrument(stmts)));
  } catch {
    return {
      analysis: Object.freeze({
        statements: [],
        refusal: { rule: 'masking-unparsed', reason: 'the statement could not be parsed for masking' },
      }),
      sameForShape: false,
    };
  }
  const statements: StatementShape[] = [];
  let analysis: SqlMasking;
  try {
    for (const { type, body } of parsed) {
      const root = { [type]: body };
      const a = new Analyzer(ctx, root);
      checkMovement(a, root, hasColumnRules);
      if (ctx.denyPredicates) checkPredicates(a, root);
      if (ctx.onDerived === 'deny') checkDerived(a, root);
      statements.push(shapeOf(type, body, a));
    }
    analysis = { statements };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    analysis = { statements, refusal: err.refusal };
  }
  // Cached analyses are shared by sessions: never changed after this.
  Object.freeze(statements);
  return {
    analysis: Object.freeze(analysis),
    sameForShape: watch !== undefined && !watch.read && watch.covers(literalOffsets ?? []),
  };
}

function shapeOf(type: string, body: AstObject, a: Analyzer): StatementShape {
  switch (type) {
    case 'SelectStmt': {
      const touches = a.touches(body);
      const op = str(body, 'op');
      if (op !== undefined && op !== 'SETOP_NONE') return { touches, allDerived: touches };
      const cleanOutputs = a.outputs(listOf(body.targetList), touches);
      return { touches, allDerived: false, ...(cleanOutputs ? { cleanOutputs } : {}) };
    }
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt': {
      const touches = a.touches(body);
      const cleanOutputs = a.outputs(returningTargets(body), touches);
      return { touches, allDerived: false, ...(cleanOutputs ? { cleanOutputs } : {}) };
    }
    case 'CopyStmt': {
      const copy = a.copyShape(body);
      return { touches: a.touches(body), allDerived: false, ...(copy ? { copy } : {}) };
    }
    case 'DeclareCursorStmt': {
      // DECLARE ... WITH HOLD outside a transaction block runs the query to its end right away.
      const touches = a.touches(body.query);
      return {
        touches: false,
        allDerived: false,
        runs: touches,
        defines: { kind: 'cursor', name: str(body, 'portalname') ?? '', touches },
      };
    }
    case 'FetchStmt':
      return {
        touches: true,
        allDerived: false,
        reads: { kind: 'cursor', name: str(body, 'portalname') ?? '' },
      };
    case 'PrepareStmt':
      return {
        touches: false,
        allDerived: false,
        defines: { kind: 'prepared', name: str(body, 'name') ?? '', touches: a.touches(body.query) },
      };
    case 'ExecuteStmt':
      return { touches: true, allDerived: false, reads: { kind: 'prepared', name: str(body, 'name') ?? '' } };
    case 'ExplainStmt':
      // Its output is a plan (names and the client's constants), but ANALYZE runs the query, which
      // may also be an EXECUTE of a prepared statement over masked data.
      return { touches: false, allDerived: false, runs: true };
    case 'TransactionStmt':
    case 'ConstraintsSetStmt':
      // COMMIT materialises holdable cursors and fires deferred triggers and constraints.
      return { touches: false, allDerived: false, runs: true };
    case 'VariableShowStmt':
    case 'VariableSetStmt':
      return { touches: false, allDerived: false };
    default:
      // Anything else that returns rows (CALL, SHOW ALL...) is judged by what it names.
      return { touches: type === 'CallStmt' || a.touches(body), allDerived: false };
  }
}

/** True when a view definition uses a whole-row reference or a star (PostgreSQL records those per table only). */
export function readsWholeRow(definition: string): boolean {
  let parsed: ReturnType<typeof parseStatements>;
  try {
    parsed = parseStatements(definition);
  } catch {
    return true;
  }
  for (const { type, body } of parsed) {
    const root = { [type]: body };
    const aliases = new Set<string>();
    visit(root, (obj, t) => {
      if (t === 'RangeVar') {
        aliases.add(str(obj, 'relname') ?? '');
        if (isObject(obj.alias)) aliases.add(str(obj.alias, 'aliasname') ?? '');
      } else if (isObject(obj.alias)) aliases.add(str(obj.alias, 'aliasname') ?? '');
      return undefined;
    });
    let found = false;
    visit(root, (obj, t) => {
      if (t !== 'ColumnRef') return undefined;
      const fields = listOf(obj.fields);
      if (nodeOf(fields[fields.length - 1], 'A_Star')) found = true;
      else if (fields.length === 1 && aliases.has(stringNode(fields[0]) ?? '')) found = true;
      return undefined;
    });
    if (found) return true;
  }
  return false;
}
