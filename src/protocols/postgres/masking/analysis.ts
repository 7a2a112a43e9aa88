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
 */
import { type AstObject, isObject, listOf, nodeOf, str, stringNode } from '../classify/ast.js';
import { isBuiltinFunction } from '../classify/functions.js';
import { LiteralWatch } from '../classify/literal-watch.js';
import { parseStatements } from '../classify/statement.js';
import { copyOptions } from './copy-options.js';
import { detachRefusal } from './ddl.js';
import { isUserFunction, sinkReason } from './sinks.js';
import { funcName, visit } from './tree.js';

/** What analysis needs from the connection's rules and the catalog snapshot. */
export interface AnalysisContext {
  /** Unqualified names of masked relations and of views reading them. */
  readonly sensitiveNames: ReadonlySet<string>;
  /** Unqualified names of views reading masked data (their column names do not trace). */
  readonly viewNames: ReadonlySet<string>;
  readonly maskedColumnNames: ReadonlySet<string>;
  readonly onDerived: 'redact' | 'deny';
  readonly denyPredicates: boolean;
  /** Content detection is on: binary COPY cannot be checked. */
  readonly detects: boolean;
}

/** `COPY relation [(columns)] TO STDOUT` in a format Airlock can rewrite. */
export interface CopyShape {
  readonly schema?: string;
  readonly table: string;
  readonly columns?: readonly string[];
  readonly format: 'text' | 'csv';
  readonly header: boolean;
}

/** Masking's view of one statement. */
export interface StatementShape {
  readonly touches: boolean;
  /** Set operations over masked data: every output column is derived. */
  readonly allDerived: boolean;
  /** Per output position: true when a computed column is provably not from masked data. Undefined: unknown. */
  readonly cleanOutputs?: readonly boolean[];
  readonly copy?: CopyShape;
  /** Cursor or SQL prepared statement this statement defines (with its own `touches`) or reads. */
  readonly defines?: {
    readonly kind: 'cursor' | 'prepared';
    readonly name: string;
    readonly touches: boolean;
  };
  readonly reads?: { readonly kind: 'cursor' | 'prepared'; readonly name: string };
  /**
   * The statement returns no masked rows itself but may run a query over masked data whose errors
   * and notices quote values: EXPLAIN ANALYZE, DECLARE (a holdable cursor runs at commit), COMMIT.
   */
  readonly runs?: boolean;
}

/** A refusal: the rule name (`masking-...`) and the reason the client reads. */
export interface MaskingRefusal {
  readonly rule: string;
  readonly reason: string;
}

export interface SqlMasking {
  readonly statements: readonly StatementShape[];
  readonly refusal?: MaskingRefusal;
}

/** Functions that run SQL text or read whole relations by name: their output is masked data. */
export const DATA_READING_FUNCTIONS: ReadonlySet<string> = new Set([
  'query_to_xml',
  'query_to_xml_and_xmlschema',
  'query_to_xmlschema',
  'table_to_xml',
  'table_to_xml_and_xmlschema',
  'table_to_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'schema_to_xml',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xml_and_xmlschema',
  'ts_stat',
  'pg_get_statisticsobjdef_expressions',
]);

/** Clauses of SELECT, UPDATE, DELETE and joins that filter, sort or group (denyPredicates). */
const PREDICATE_FIELDS = [
  'whereClause',
  'havingClause',
  'groupClause',
  'sortClause',
  'quals',
  'distinctClause',
  'windowClause',
  // How many rows come back is an answer too: `LIMIT (SELECT ascii(...) FROM customers)`.
  'limitCount',
  'limitOffset',
] as const;

/** Statistics relations that echo column values. */
const STATISTICS = new Set([
  'pg_stats',
  'pg_statistic',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic_ext_data',
]);

/**
 * Views and functions that show the statement texts of other sessions (the same database role, which
 * every session of a connection shares): an application's `... WHERE phone = '+1 415 ...'` is there
 * verbatim. Their `query` column is refused on connections with column rules; the other columns pass.
 */
const STATEMENT_TEXT_VIEWS = new Set(['pg_stat_activity', 'pg_stat_statements']);
const STATEMENT_TEXT_FUNCTIONS = new Set([
  'pg_stat_get_activity',
  'pg_stat_get_backend_activity',
  'pg_stat_statements',
]);

/** Statements whose bodies can copy masked values anywhere when run: refused on masked connections. */
const CODE_STATEMENTS = new Set([
  'DoStmt',
  'CreateFunctionStmt',
  'CreateTrigStmt',
  'RuleStmt',
  'CreateEventTrigStmt',
]);

class Refused extends Error {
  constructor(readonly refusal: MaskingRefusal) {
    super(refusal.reason);
  }
}

function refuse(rule: string, reason: string): never {
  throw new Refused({ rule, reason });
}

/** Per-statement analysis state. */
class Analyzer {
  readonly #ctx: AnalysisContext;
  /** Relation names and aliases in the statement: a one-field column reference to one is a whole row. */
  readonly #aliases = new Set<string>();
  /**
   * Names given by column alias lists (`customers c(i, n, e)`, `(a JOIN b) AS j(x, y)`): one of them
   * may rename a masked column, so each counts as a masked column name.
   */
  readonly #renamed = new Set<string>();
  /** The statement reads through a subquery, CTE, function or sensitive view: names do not trace. */
  #opaque = false;

  constructor(ctx: AnalysisContext, root: unknown) {
    this.#ctx = ctx;
    visit(root, (obj, type) => {
      if (type === 'RangeVar') {
        this.#aliases.add(str(obj, 'relname') ?? '');
        const alias = isObject(obj.alias) ? str(obj.alias, 'aliasname') : undefined;
        if (alias) this.#aliases.add(alias);
        if (ctx.viewNames.has(str(obj, 'relname') ?? '')) this.#opaque = true;
        this.#noteColumnAliases(obj.alias);
      } else if (isObject(obj.returningClause)) {
        // RETURNING (PostgreSQL 18) names the old and new rows: `old`, `new` or the names WITH gives.
        this.#aliases.add('old').add('new');
        for (const option of listOf(obj.returningClause.options)) {
          const name = str(nodeOf(option, 'ReturningOption') ?? {}, 'value');
          if (name) this.#aliases.add(name);
        }
      } else if (type === 'JoinExpr') {
        // `(a JOIN b) AS j` names the joined row (`j`, `j::text`), and `j(x, y)` renames its columns;
        // `USING (id) AS u` names the join columns.
        for (const alias of [obj.alias, obj.join_using_alias]) {
          if (!isObject(alias)) continue;
          const name = str(alias, 'aliasname');
          if (name) this.#aliases.add(name);
          this.#noteColumnAliases(alias);
        }
      } else if (
        type === 'RangeSubselect' ||
        type === 'RangeFunction' ||
        type === 'CommonTableExpr' ||
        type === 'RangeTableFunc'
      ) {
        this.#opaque = true;
        const alias = isObject(obj.alias) ? str(obj.alias, 'aliasname') : undefined;
        if (alias) this.#aliases.add(alias);
        const cte = str(obj, 'ctename');
        if (cte) this.#aliases.add(cte);
      }
      return undefined;
    });
  }

  #noteColumnAliases(alias: unknown): void {
    if (!isObject(alias)) return;
    for (const name of listOf(alias.colnames)) this.#renamed.add(stringNode(name) ?? '');
  }

  /**
   * True when the subtree reads masked data in any way. `userCalls: false` leaves out user function
   * calls (which may read anything): the question is then whether masked data is read *here*.
   */
  touches(node: unknown, userCalls = true): boolean {
    let found = false;
    visit(node, (obj, type) => {
      if (found) return true;
      if (type === 'RangeVar' && this.#ctx.sensitiveNames.has(str(obj, 'relname') ?? '')) found = true;
      else if (type === 'FuncCall') {
        const { schema, name } = funcName(obj);
        if ((userCalls && !isBuiltinFunction(schema, name)) || DATA_READING_FUNCTIONS.has(name)) found = true;
      } else if (type === 'ColumnRef' && this.#refTainted(obj)) found = true;
      return undefined;
    });
    return found;
  }

  /** A column reference that may carry masked values by itself. */
  #refTainted(ref: AstObject): boolean {
    const fields = listOf(ref.fields);
    const last = fields[fields.length - 1];
    if (nodeOf(last, 'A_Star')) return true;
    const name = stringNode(last) ?? '';
    if (this.#ctx.maskedColumnNames.has(name) || this.#renamed.has(name)) return true;
    if (fields.length === 1 && this.#aliases.has(name)) return true; // whole-row reference
    return false;
  }

  /** An ALTER TABLE that makes a masked relation a partition or a child of the altered one. */
  #attachesMaskedData(alter: AstObject): boolean {
    return listOf(alter.cmds).some((cmd) => {
      const c = nodeOf(cmd, 'AlterTableCmd');
      const subtype = str(c ?? {}, 'subtype');
      if (subtype !== 'AT_AttachPartition' && subtype !== 'AT_AddInherit') return false;
      let found = false;
      visit(c?.def, (obj, type) => {
        if (type === 'RangeVar' && this.#ctx.sensitiveNames.has(str(obj, 'relname') ?? '')) found = true;
        return undefined;
      });
      return found;
    });
  }

  /** The statement may read a `query` column: by that name, a star, a whole row or a column alias list. */
  #readsQueryColumn(root: unknown): boolean {
    if (this.#renamed.size > 0) return true;
    let found = false;
    visit(root, (obj, type) => {
      if (found) return true;
      if (type !== 'ColumnRef') return undefined;
      const fields = listOf(obj.fields);
      const last = fields[fields.length - 1];
      if (nodeOf(last, 'A_Star') || stringNode(last) === 'query' || this.#isWholeRow(obj)) found = true;
      return undefined;
    });
    return found;
  }

  /** `c` naming a relation or alias: the whole row as one value. */
  #isWholeRow(ref: AstObject): boolean {
    const fields = listOf(ref.fields);
    return fields.length === 1 && this.#aliases.has(stringNode(fields[0]) ?? '');
  }

  /** True when an expression may be computed from masked data (`userCalls` as for `touches`). */
  exprTainted(node: unknown, statementTouches: boolean, userCalls = true): boolean {
    if (!statementTouches) return false;
    let found = false;
    visit(node, (obj, type) => {
      if (found) return true;
      if (type === 'ColumnRef') {
        if (this.#opaque || this.#refTainted(obj)) found = true;
      } else if (type === 'SubLink') {
        if (this.touches(obj.subselect, userCalls) || this.#opaque) found = true;
        return true;
      } else if (type === 'FuncCall') {
        const { schema, name } = funcName(obj);
        if ((userCalls && !isBuiltinFunction(schema, name)) || DATA_READING_FUNCTIONS.has(name)) found = true;
      } else if (type === 'RangeVar' && this.#ctx.sensitiveNames.has(str(obj, 'relname') ?? '')) found = true;
      return undefined;
    });
    return found;
  }

  /** Output positions of a target list (SELECT list or RETURNING): clean computed columns. */
  outputs(targets: readonly unknown[], touches: boolean): boolean[] | undefined {
    const clean: boolean[] = [];
    for (const target of targets) {
      const val = nodeOf(target, 'ResTarget')?.val;
      // `(x).*` expands to as many columns as x has, none included (a type without columns): the
      // positions after it are unknown, so no position is vouched for.
      const indirection = listOf(nodeOf(val, 'A_Indirection')?.indirection);
      if (indirection.some((i) => nodeOf(i, 'A_Star'))) return undefined;
      const ref = nodeOf(val, 'ColumnRef');
      if (ref) {
        const fields = listOf(ref.fields);
        if (nodeOf(fields[fields.length - 1], 'A_Star')) return undefined; // expands: positions unknown
        // A plain column: its origin decides; computed (no origin) only through opaque relations.
        clean.push(!touches);
        continue;
      }
      clean.push(!this.exprTainted(val, touches));
    }
    return clean;
  }

  /** Refusals that apply anywhere in the tree, statements nested in statements included. */
  checkMovement(root: unknown, hasColumnRules: boolean): void {
    visit(root, (obj, type) => {
      if (type === 'RangeVar' && hasColumnRules && STATISTICS.has(str(obj, 'relname') ?? '')) {
        refuse(
          'masking-statistics',
          `${str(obj, 'relname')} echoes column values and this connection masks columns`,
        );
      }
      if (
        type === 'RangeVar' &&
        hasColumnRules &&
        STATEMENT_TEXT_VIEWS.has(str(obj, 'relname') ?? '') &&
        this.#readsQueryColumn(root)
      ) {
        refuse(
          'masking-statistics',
          `${str(obj, 'relname')}.query shows other sessions' statements, which may quote masked values; select its other columns`,
        );
      }
      if (!type) return undefined;
      if (hasColumnRules && type === 'FuncCall' && STATEMENT_TEXT_FUNCTIONS.has(funcName(obj).name)) {
        refuse(
          'masking-statistics',
          `${funcName(obj).name}() shows other sessions' statements, which may quote masked values; use pg_stat_activity without its query column`,
        );
      }
      if (hasColumnRules && CODE_STATEMENTS.has(type)) {
        refuse(
          'masking-code',
          'code bodies (DO, functions, triggers, rules) could copy masked values; they are refused on this connection',
        );
      }
      switch (type) {
        case 'CopyStmt':
          this.#checkCopy(obj);
          break;
        case 'CreateTableAsStmt':
          // `CREATE TABLE x AS EXECUTE p`: what p reads is not in this text (and may be masked data).
          if (hasColumnRules && nodeOf(obj.query, 'ExecuteStmt'))
            refuse(
              'masking-export',
              'CREATE TABLE AS EXECUTE would store what a prepared statement returns unmasked; use CREATE TABLE AS SELECT',
            );
          if (this.touches(obj.query))
            refuse('masking-export', 'creating a table or view from masked data would store it unmasked');
          break;
        case 'ViewStmt':
          if (this.touches(obj.query))
            refuse('masking-export', 'creating a table or view from masked data would store it unmasked');
          break;
        case 'SelectStmt':
          if (isObject(obj.intoClause) && this.touches(obj))
            refuse('masking-export', 'SELECT INTO from masked data would store it unmasked');
          break;
        case 'InsertStmt':
          if (this.touches(obj.selectStmt))
            refuse('masking-export', 'INSERT sourcing masked data would store it unmasked');
          if (isObject(obj.onConflictClause)) this.#checkUpsert(obj, obj.onConflictClause);
          break;
        case 'UpdateStmt': {
          const touches = this.touches(obj);
          for (const target of listOf(obj.targetList)) {
            const val = nodeOf(target, 'ResTarget')?.val;
            if (this.exprTainted(val, touches))
              refuse('masking-export', 'UPDATE ... SET sourcing a masked column would store it unmasked');
          }
          break;
        }
        case 'MergeStmt':
          if (this.touches(obj.sourceRelation))
            refuse('masking-export', 'MERGE sourcing masked data would store it unmasked');
          this.#checkMerge(obj);
          break;
        case 'AlterTableStmt':
        case 'RenameStmt':
        case 'AlterObjectSchemaStmt': {
          const refusal = detachRefusal(type, obj, this.#ctx.sensitiveNames, hasColumnRules);
          if (refusal) refuse('masking-ddl', refusal);
          // `ALTER TABLE p ATTACH PARTITION customers` (or `INHERIT customers`): p would read the masked
          // rows under its own name, which no rule covers.
          if (hasColumnRules && type === 'AlterTableStmt' && this.#attachesMaskedData(obj))
            refuse(
              'masking-ddl',
              `attaching masked data to ${str(isObject(obj.relation) ? obj.relation : {}, 'relname') ?? 'another relation'} would make it readable under a name no masking rule covers; an admin must update this connection's masking configuration first, then make the change on the target`,
            );
          break;
        }
        case 'FuncCall':
          this.#checkSink(obj, root);
          break;
        case 'CallStmt':
          // CALL holds its FuncCall bare (no node wrapper), so the walk does not meet it as one.
          if (isObject(obj.funccall)) this.#checkSink(obj.funccall, root);
          break;
      }
      return undefined;
    });
  }

  /**
   * A function that stores or sends its arguments (`sinks.ts`) must not get a masked value. Built-in
   * sinks are judged strictly (any value that may come from masked data, user function results
   * included); a user function only when masked data is read here and reaches its argument, so
   * `remember(x) FROM generate_series(...)` passes.
   */
  #checkSink(call: AstObject, root: unknown): void {
    const { schema, name } = funcName(call);
    const why = sinkReason(schema, name);
    if (!why) return;
    const user = isUserFunction(schema, name);
    const readsHere = user && this.touches(root, false);
    for (const arg of listOf(call.args)) {
      const masked = user
        ? readsHere && this.exprTainted(arg, true, false)
        : this.exprTainted(arg, true) && (this.touches(root) || this.touches(arg));
      if (masked)
        refuse(
          'masking-export',
          `${name}() with a masked value would send it where it cannot be masked (${why})`,
        );
    }
  }

  /**
   * `INSERT ... ON CONFLICT DO UPDATE SET`: the existing row (`customers.email`) and the proposed one
   * (`EXCLUDED.email`) are both in scope; copying either's masked column into another column stores it
   * where its rule does not apply. `SET email = EXCLUDED.email` (the same column, the client's own new
   * value) keeps the value under its rule and passes.
   */
  #checkUpsert(insert: AstObject, conflict: AstObject): void {
    const touches = this.touches(insert);
    for (const target of listOf(conflict.targetList)) {
      const res = nodeOf(target, 'ResTarget');
      const fields = listOf(nodeOf(res?.val, 'ColumnRef')?.fields).map((f) => stringNode(f));
      const sameColumn = fields.length === 2 && fields[0] === 'excluded' && fields[1] === str(res, 'name');
      if (!sameColumn && this.exprTainted(res?.val, touches))
        refuse(
          'masking-export',
          'INSERT ... ON CONFLICT DO UPDATE copying a masked column into another column would store it unmasked',
        );
    }
  }

  /** MERGE's UPDATE SET and INSERT VALUES see the target's existing row: the same rule as UPDATE ... SET. */
  #checkMerge(merge: AstObject): void {
    const touches = this.touches(merge);
    for (const clause of listOf(merge.mergeWhenClauses)) {
      const when = nodeOf(clause, 'MergeWhenClause');
      const values = [
        ...listOf(when?.targetList).map((t) => nodeOf(t, 'ResTarget')?.val),
        ...listOf(when?.values),
      ];
      for (const value of values)
        if (this.exprTainted(value, touches))
          refuse(
            'masking-export',
            'MERGE copying a masked column into another column would store it unmasked',
          );
    }
  }

  #checkCopy(copy: AstObject): void {
    if (copy.is_from === true) return;
    const rv = isObject(copy.relation) ? copy.relation : undefined;
    const touches = rv ? this.#ctx.sensitiveNames.has(str(rv, 'relname') ?? '') : this.touches(copy.query);
    const toStdout = copy.filename === undefined && copy.is_program !== true;
    if (!toStdout) {
      if (touches) refuse('masking-copy', 'COPY of masked data to a server file or program cannot be masked');
      return;
    }
    const options = copyOptions(copy);
    if (options.binary && (touches || this.#ctx.detects))
      refuse('masking-copy', 'COPY in binary format cannot be masked; use FORMAT text or csv');
    if (!touches) return;
    if (!rv)
      refuse('masking-copy', 'COPY (query) of masked data cannot be masked column by column; use SELECT');
    if (options.unsupported)
      refuse('masking-copy', `COPY option ${options.unsupported} is not supported on masked data`);
  }

  copyShape(copy: AstObject): CopyShape | undefined {
    const rv = isObject(copy.relation) ? copy.relation : undefined;
    if (copy.is_from === true || !rv) return undefined;
    const options = copyOptions(copy);
    if (options.binary) return undefined;
    const schema = str(rv, 'schemaname');
    const columns = listOf(copy.attlist).map((c) => stringNode(c) ?? '');
    return {
      ...(schema ? { schema } : {}),
      table: str(rv, 'relname') ?? '',
      ...(columns.length > 0 ? { columns } : {}),
      format: options.csv ? 'csv' : 'text',
      header: options.header,
    };
  }

  /** Predicates on masked columns, when `denyPredicates` is on. */
  checkPredicates(root: unknown): void {
    visit(root, (obj, type) => {
      let conditions: unknown[];
      if (type === 'SelectStmt' || type === 'UpdateStmt' || type === 'DeleteStmt' || type === 'JoinExpr')
        conditions = PREDICATE_FIELDS.map((field) => obj[field]);
      else if (type === 'InsertStmt' && isObject(obj.onConflictClause))
        conditions = [obj.onConflictClause.whereClause]; // DO UPDATE ... WHERE
      // Set-returning functions in FROM and TABLESAMPLE turn a value into a row count
      // (`generate_series(1, ascii(substr(c.ssn, 1, 1)))`); an aggregate's FILTER is a WHERE.
      else if (type === 'RangeFunction') conditions = [obj.functions];
      else if (type === 'RangeTableSample') conditions = [obj.args, obj.repeatable];
      else if (type === 'FuncCall') conditions = [obj.agg_filter];
      else if (type === 'MergeStmt')
        conditions = [
          obj.joinCondition,
          ...listOf(obj.mergeWhenClauses).map((c) => nodeOf(c, 'MergeWhenClause')?.condition),
        ];
      else return undefined;
      const touches = this.touches(obj);
      for (const condition of conditions) {
        if (this.exprTainted(condition, touches)) {
          refuse(
            'masking-predicate',
            'conditions, sorting and grouping on masked columns are refused on this connection (denyPredicates)',
          );
        }
      }
      return undefined;
    });
  }

  /** onDerived: deny — any computed output of masked data anywhere. */
  checkDerived(root: unknown): void {
    visit(root, (obj, type) => {
      if (type !== 'SelectStmt' && type !== 'InsertStmt' && type !== 'UpdateStmt' && type !== 'DeleteStmt')
        return undefined;
      const touches = this.touches(obj);
      if (type === 'SelectStmt' && str(obj, 'op') !== undefined && str(obj, 'op') !== 'SETOP_NONE' && touches)
        refuse(
          'masking-derived',
          'set operations (UNION, INTERSECT, EXCEPT) over masked columns are refused on this connection',
        );
      const targets = [...listOf(obj.targetList), ...returningTargets(obj)];
      for (const target of targets) {
        const val = nodeOf(target, 'ResTarget')?.val;
        const ref = nodeOf(val, 'ColumnRef');
        // A plain column (or a star expanding to plain columns) keeps its origin; a whole row does not.
        const derived = ref ? this.#isWholeRow(ref) : this.exprTainted(val, touches);
        if (derived && touches)
          refuse(
            'masking-derived',
            'an output column is computed from a masked column; select the column itself',
          );
      }
      return undefined;
    });
  }
}

/** A RETURNING list: `returningClause.exprs` in the parser's PostgreSQL 18 tree, `returningList` before. */
function returningTargets(stmt: AstObject): readonly unknown[] {
  return isObject(stmt.returningClause) ? listOf(stmt.returningClause.exprs) : listOf(stmt.returningList);
}

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
      a.checkMovement(root, hasColumnRules);
      if (ctx.denyPredicates) a.checkPredicates(root);
      if (ctx.onDerived === 'deny') a.checkDerived(root);
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
