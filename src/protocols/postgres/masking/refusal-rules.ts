/**
 * @module The refusals every masked connection applies, anywhere in a statement's tree (nested
 * statements included): masked values moved where Airlock cannot mask them on the way out (COPY to a
 * file, program or in binary, CREATE TABLE AS, SELECT INTO, INSERT ... SELECT, UPDATE ... SET, upserts,
 * MERGE, a function that stores its arguments: `sinks.ts`), column statistics and other sessions'
 * statement texts, code bodies, and DDL that renames or moves what a column rule names (`ddl.ts`).
 * A rule refuses by throwing `Refused`, which `analysis.ts` turns into the analysis's refusal.
 */
import { type AstObject, isObject, listOf, nodeOf, str, stringNode } from '../classify/ast.js';
import type { MaskingRefusal } from './analysis.types.js';
import type { Analyzer } from './analyzer.js';
import { codeObjectRefusal, setConfigRefusal, setSearchPathRefusal } from './code-objects.js';
import { copyOptions } from './copy-options.js';
import { detachRefusal } from './ddl.js';
import { isUserFunction, sinkReason } from './sinks.js';
import { funcName, visit } from './tree.js';

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

/** Thrown by a rule: the analysis ends with this refusal. */
export class Refused extends Error {
  constructor(readonly refusal: MaskingRefusal) {
    super(refusal.reason);
  }
}

/** Ends the analysis of the current text with a refusal. */
export function refuse(rule: string, reason: string): never {
  throw new Refused({ rule, reason });
}

/** Refusals that apply anywhere in the tree, statements nested in statements included. */
export function checkMovement(a: Analyzer, root: unknown, hasColumnRules: boolean): void {
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
      a.readsQueryColumn(root)
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
    if (hasColumnRules) {
      const code = codeObjectRefusal(type, obj);
      if (code) refuse('masking-code', code);
      // ALTER ROLE / DATABASE / SYSTEM ... SET hold their VariableSetStmt bare (no node wrapper).
      const path =
        type === 'VariableSetStmt'
          ? setSearchPathRefusal(obj)
          : isObject(obj.setstmt) && !nodeOf(obj.setstmt, 'VariableSetStmt')
            ? setSearchPathRefusal(obj.setstmt)
            : type === 'FuncCall' && funcName(obj).name === 'set_config'
              ? setConfigRefusal(listOf(obj.args))
              : undefined;
      if (path) refuse('masking-code', path);
    }
    switch (type) {
      case 'CopyStmt':
        checkCopy(a, obj);
        break;
      case 'CreateTableAsStmt':
        // `CREATE TABLE x AS EXECUTE p`: what p reads is not in this text (and may be masked data).
        if (hasColumnRules && nodeOf(obj.query, 'ExecuteStmt'))
          refuse(
            'masking-export',
            'CREATE TABLE AS EXECUTE would store what a prepared statement returns unmasked; use CREATE TABLE AS SELECT',
          );
        if (a.touches(obj.query))
          refuse('masking-export', 'creating a table or view from masked data would store it unmasked');
        break;
      case 'ViewStmt':
        if (a.touches(obj.query))
          refuse('masking-export', 'creating a table or view from masked data would store it unmasked');
        break;
      case 'SelectStmt':
        if (isObject(obj.intoClause) && a.touches(obj))
          refuse('masking-export', 'SELECT INTO from masked data would store it unmasked');
        break;
      case 'InsertStmt':
        if (a.touches(obj.selectStmt))
          refuse('masking-export', 'INSERT sourcing masked data would store it unmasked');
        if (isObject(obj.onConflictClause)) checkUpsert(a, obj, obj.onConflictClause);
        break;
      case 'UpdateStmt': {
        const touches = a.touches(obj);
        for (const target of listOf(obj.targetList)) {
          const val = nodeOf(target, 'ResTarget')?.val;
          if (a.exprTainted(val, touches))
            refuse('masking-export', 'UPDATE ... SET sourcing a masked column would store it unmasked');
        }
        break;
      }
      case 'MergeStmt':
        if (a.touches(obj.sourceRelation))
          refuse('masking-export', 'MERGE sourcing masked data would store it unmasked');
        checkMerge(a, obj);
        break;
      case 'AlterTableStmt':
      case 'RenameStmt':
      case 'AlterObjectSchemaStmt': {
        const refusal = detachRefusal(type, obj, a.ctx.sensitiveNames, hasColumnRules);
        if (refusal) refuse('masking-ddl', refusal);
        // `ALTER TABLE p ATTACH PARTITION customers` (or `INHERIT customers`): p would read the masked
        // rows under its own name, which no rule covers.
        if (hasColumnRules && type === 'AlterTableStmt' && attachesMaskedData(obj, a.ctx.sensitiveNames))
          refuse(
            'masking-ddl',
            `attaching masked data to ${str(isObject(obj.relation) ? obj.relation : {}, 'relname') ?? 'another relation'} would make it readable under a name no masking rule covers; an admin must update this connection's masking configuration first, then make the change on the target`,
          );
        break;
      }
      case 'FuncCall':
        checkSink(a, obj, root);
        break;
      case 'A_Expr':
      case 'SubLink':
      case 'CaseExpr':
      case 'TypeCast':
        checkImplicitUserCode(a, obj, type, root);
        break;
      case 'CallStmt':
        // CALL holds its FuncCall bare (no node wrapper), so the walk does not meet it as one.
        if (isObject(obj.funccall)) checkSink(a, obj.funccall, root);
        break;
    }
    return undefined;
  });
}

/** An ALTER TABLE that makes a masked relation a partition or a child of the altered one. */
function attachesMaskedData(alter: AstObject, sensitiveNames: ReadonlySet<string>): boolean {
  return listOf(alter.cmds).some((cmd) => {
    const c = nodeOf(cmd, 'AlterTableCmd');
    const subtype = str(c ?? {}, 'subtype');
    if (subtype !== 'AT_AttachPartition' && subtype !== 'AT_AddInherit') return false;
    let found = false;
    visit(c?.def, (obj, type) => {
      if (type === 'RangeVar' && sensitiveNames.has(str(obj, 'relname') ?? '')) found = true;
      return undefined;
    });
    return found;
  });
}

/**
 * A function that stores or sends its arguments (`sinks.ts`) must not get a masked value. Built-in
 * sinks are judged strictly (any value that may come from masked data, user function results
 * included); a user function only when masked data is read here and reaches its argument, so
 * `remember(x) FROM generate_series(...)` passes.
 */
function checkSink(a: Analyzer, call: AstObject, root: unknown): void {
  const { schema, name } = funcName(call);
  const routines = a.ctx.userCode?.routines;
  const why = sinkReason(schema, name, routines);
  if (!why) return;
  const user = isUserFunction(schema, name, routines);
  const readsHere = user && a.touches(root, false);
  for (const arg of listOf(call.args)) {
    const masked = user
      ? readsHere && a.exprTainted(arg, true, false)
      : a.exprTainted(arg, true) && (a.touches(root) || a.touches(arg));
    if (masked)
      refuse(
        'masking-export',
        `${name}() with a masked value would send it where it cannot be masked (${why})`,
      );
  }
}

/**
 * An operator, a cast to a checked domain or a `CASE x WHEN` that runs code created on the target
 * (`Analyzer.runsUserCode`): its operands are the arguments of a user function, refused like one
 * (`checkSink`) when masked data is read here and reaches them.
 */
function checkImplicitUserCode(a: Analyzer, obj: AstObject, type: string, root: unknown): void {
  if (!a.runsUserCode(obj, type)) return;
  const operands =
    type === 'A_Expr'
      ? [obj.lexpr, obj.rexpr]
      : type === 'SubLink'
        ? [obj.testexpr, obj.subselect]
        : type === 'CaseExpr'
          ? [obj.arg, ...listOf(obj.args)]
          : [obj.arg];
  if (!a.touches(root, false)) return;
  for (const operand of operands) {
    if (operand !== undefined && a.exprTainted(operand, true, false)) {
      const what =
        type === 'TypeCast'
          ? 'a cast to a domain with a CHECK constraint runs that constraint'
          : 'this operator may resolve to one created on the target, which runs its function';
      refuse(
        'masking-export',
        `${what}, code Airlock cannot see that may store the masked value where it cannot be masked; an admin must drop or replace it, or use built-in operators and types`,
      );
    }
  }
}

/**
 * `INSERT ... ON CONFLICT DO UPDATE SET`: the existing row (`customers.email`) and the proposed one
 * (`EXCLUDED.email`) are both in scope; copying either's masked column into another column stores it
 * where its rule does not apply. `SET email = EXCLUDED.email` (the same column, the client's own new
 * value) keeps the value under its rule and passes.
 */
function checkUpsert(a: Analyzer, insert: AstObject, conflict: AstObject): void {
  const touches = a.touches(insert);
  for (const target of listOf(conflict.targetList)) {
    const res = nodeOf(target, 'ResTarget');
    const fields = listOf(nodeOf(res?.val, 'ColumnRef')?.fields).map((f) => stringNode(f));
    const sameColumn = fields.length === 2 && fields[0] === 'excluded' && fields[1] === str(res, 'name');
    if (!sameColumn && a.exprTainted(res?.val, touches))
      refuse(
        'masking-export',
        'INSERT ... ON CONFLICT DO UPDATE copying a masked column into another column would store it unmasked',
      );
  }
}

/** MERGE's UPDATE SET and INSERT VALUES see the target's existing row: the same rule as UPDATE ... SET. */
function checkMerge(a: Analyzer, merge: AstObject): void {
  const touches = a.touches(merge);
  for (const clause of listOf(merge.mergeWhenClauses)) {
    const when = nodeOf(clause, 'MergeWhenClause');
    const values = [
      ...listOf(when?.targetList).map((t) => nodeOf(t, 'ResTarget')?.val),
      ...listOf(when?.values),
    ];
    for (const value of values)
      if (a.exprTainted(value, touches))
        refuse('masking-export', 'MERGE copying a masked column into another column would store it unmasked');
  }
}

function checkCopy(a: Analyzer, copy: AstObject): void {
  if (copy.is_from === true) return;
  const rv = isObject(copy.relation) ? copy.relation : undefined;
  const touches = rv ? a.ctx.sensitiveNames.has(str(rv, 'relname') ?? '') : a.touches(copy.query);
  const toStdout = copy.filename === undefined && copy.is_program !== true;
  if (!toStdout) {
    if (touches) refuse('masking-copy', 'COPY of masked data to a server file or program cannot be masked');
    return;
  }
  const options = copyOptions(copy);
  if (options.binary && (touches || a.ctx.detects))
    refuse('masking-copy', 'COPY in binary format cannot be masked; use FORMAT text or csv');
  if (!touches) return;
  if (!rv)
    refuse('masking-copy', 'COPY (query) of masked data cannot be masked column by column; use SELECT');
  if (options.unsupported)
    refuse('masking-copy', `COPY option ${options.unsupported} is not supported on masked data`);
}
