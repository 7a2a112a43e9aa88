/**
 * @module Is a DELETE or UPDATE bounded: does its own WHERE filter rows of the target table? A WHERE
 * bounds when it depends on the row (a column of the target, `CURRENT OF`) and is not trivially true.
 * Trivially true covers constants (`true`, `1=1`, `'a'='a'`, `NOT false`, `2>1`), a comparison of an
 * expression with itself (`x = x`, `x >= x`, `x IS NOT DISTINCT FROM x`, `x IN (x)`), match-all
 * patterns (`LIKE '%'`, `~ '.*'`), `x IS NULL OR x IS NOT NULL`, and any of those OR'ed with a filter.
 * A condition that does not depend on the row (`$1`, `now() > '2020-01-01'`, `EXISTS (SELECT 1)`)
 * may hold for every row, so it does not bound either.
 *
 * Unqualified columns are taken to be the target's; a column qualified with another FROM/USING
 * relation is not (`UPDATE t SET ... FROM u WHERE u.id = 1` updates every row of t).
 */
import { type AstObject, isObject, listOf, nameParts, nodeOf, sameTree, str, unwrap } from './ast.js';
import { constEval } from './const-eval.js';
import { constantString } from './functions.js';

/**
 * True when `where` (the statement's own whereClause) bounds the rows of `target` (its RangeVar).
 * @example `DELETE FROM t WHERE id = 1` → true; `DELETE FROM t WHERE 1 = 1 OR id = 1` → false
 */
export function isBounded(where: unknown, target: AstObject): boolean {
  if (!isObject(where)) return false;
  const names = new Set<string>();
  const relname = str(target, 'relname');
  if (relname !== undefined) names.add(relname);
  const alias = str(nodeOf(target, 'alias'), 'aliasname');
  if (alias !== undefined) names.add(alias);
  return !mayBeUnfiltered(where, names);
}

/** True when the condition may hold for every row of the target. */
function mayBeUnfiltered(node: unknown, names: ReadonlySet<string>): boolean {
  if (alwaysTrue(node)) return true;
  if (alwaysFalse(node)) return false;
  if (!dependsOnRow(node, names, false)) return true;
  const u = unwrap(node);
  if (!u) return false;
  const b = u.body;
  switch (u.type) {
    case 'BoolExpr': {
      const args = listOf(b.args);
      if (b.boolop === 'AND_EXPR') return args.every((a) => mayBeUnfiltered(a, names));
      if (b.boolop === 'OR_EXPR') return args.some((a) => mayBeUnfiltered(a, names));
      return false; // NOT of a row condition that is not provably false filters
    }
    case 'BooleanTest':
      return (
        (b.booltesttype === 'IS_TRUE' || b.booltesttype === 'IS_NOT_FALSE') && mayBeUnfiltered(b.arg, names)
      );
    case 'TypeCast':
      return mayBeUnfiltered(b.arg, names);
    default:
      return false;
  }
}

/** True when the condition holds for every row (nulls of `x = x` aside). */
function alwaysTrue(node: unknown): boolean {
  const value = constEval(node);
  if (value) return value.t === 'bool' && value.v;
  const u = unwrap(node);
  if (!u) return false;
  const b = u.body;
  switch (u.type) {
    case 'BoolExpr': {
      const args = listOf(b.args);
      if (b.boolop === 'AND_EXPR') return args.every(alwaysTrue);
      if (b.boolop === 'OR_EXPR') return args.some(alwaysTrue) || hasNullTestPair(args);
      return alwaysFalse(args[0]);
    }
    case 'BooleanTest':
      if (b.booltesttype === 'IS_TRUE' || b.booltesttype === 'IS_NOT_FALSE') return alwaysTrue(b.arg);
      if (b.booltesttype === 'IS_FALSE' || b.booltesttype === 'IS_NOT_TRUE') return alwaysFalse(b.arg);
      return false;
    case 'TypeCast':
      return alwaysTrue(b.arg);
    case 'A_Expr':
      return selfComparison(b) === true;
    default:
      return false;
  }
}

/** True when the condition holds for no row. */
function alwaysFalse(node: unknown): boolean {
  const value = constEval(node);
  if (value) return value.t === 'null' || (value.t === 'bool' && !value.v);
  const u = unwrap(node);
  if (!u) return false;
  const b = u.body;
  switch (u.type) {
    case 'BoolExpr': {
      const args = listOf(b.args);
      if (b.boolop === 'AND_EXPR') return args.some(alwaysFalse);
      if (b.boolop === 'OR_EXPR') return args.every(alwaysFalse);
      return alwaysTrue(args[0]);
    }
    case 'BooleanTest':
      if (b.booltesttype === 'IS_TRUE' || b.booltesttype === 'IS_NOT_FALSE') return alwaysFalse(b.arg);
      return false;
    case 'TypeCast':
      return alwaysFalse(b.arg);
    case 'A_Expr':
      return selfComparison(b) === false;
    default:
      return false;
  }
}

const MATCH_ALL_REGEX: ReadonlySet<string> = new Set(['', '.*', '^', '$', '^.*', '.*$', '^.*$']);

/** The fixed outcome of comparing an expression with itself or a match-all pattern, if it has one. */
function selfComparison(e: AstObject): boolean | undefined {
  const op = nameParts(e.name).at(-1);
  const same = sameTree(e.lexpr, e.rexpr);
  switch (e.kind) {
    case 'AEXPR_OP':
      if (same && (op === '=' || op === '>=' || op === '<=')) return true;
      if (same && (op === '<>' || op === '!=' || op === '<' || op === '>')) return false;
      if (op === '~' || op === '~*' || op === '!~' || op === '!~*') {
        const pattern = constantString(e.rexpr);
        if (pattern && MATCH_ALL_REGEX.has(pattern.value)) return !op.startsWith('!');
      }
      return undefined;
    case 'AEXPR_NOT_DISTINCT':
      return same ? true : undefined;
    case 'AEXPR_DISTINCT':
      return same ? false : undefined;
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const pattern = constantString(e.rexpr);
      if (pattern && /^%+$/.test(pattern.value)) return !op?.startsWith('!');
      return undefined;
    }
    case 'AEXPR_SIMILAR': {
      const similarEscape = nodeOf(e.rexpr, 'FuncCall');
      const pattern = constantString(listOf(similarEscape?.args)[0]);
      if (pattern && /^%+$/.test(pattern.value)) return op === '~';
      return undefined;
    }
    case 'AEXPR_IN':
      if (listOf(nodeOf(e.rexpr, 'List')?.items).some((item) => sameTree(item, e.lexpr))) return op === '=';
      return undefined;
    case 'AEXPR_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      const bounds = listOf(nodeOf(e.rexpr, 'List')?.items);
      if (bounds.length === 2 && bounds.every((x) => sameTree(x, e.lexpr)))
        return !String(e.kind).includes('NOT');
      return undefined;
    }
    default:
      return undefined;
  }
}

/** `x IS NULL OR x IS NOT NULL` (in any order, among other OR arms). */
function hasNullTestPair(args: readonly unknown[]): boolean {
  const tests = args.map((a) => nodeOf(a, 'NullTest')).filter((t) => t !== undefined);
  return tests.some(
    (a) =>
      a.nulltesttype === 'IS_NULL' &&
      tests.some((b) => b.nulltesttype === 'IS_NOT_NULL' && sameTree(a.arg, b.arg)),
  );
}

/**
 * True when the expression reads the target's row: a column of it (unqualified, or qualified with
 * its name or alias) or `CURRENT OF`. Inside a subquery only qualified references count, and only
 * while the subquery does not bind the same name itself.
 */
function dependsOnRow(node: unknown, names: ReadonlySet<string>, subquery: boolean): boolean {
  if (Array.isArray(node)) return node.some((item) => dependsOnRow(item, names, subquery));
  if (!isObject(node)) return false;
  const u = unwrap(node);
  if (!u) return Object.values(node).some((v) => dependsOnRow(v, names, subquery));
  const b = u.body;
  switch (u.type) {
    case 'ColumnRef': {
      const fields = listOf(b.fields);
      if (fields.length <= 1) return !subquery;
      const qualifier = nameParts([fields[fields.length - 2]])[0];
      return qualifier !== undefined && names.has(qualifier);
    }
    case 'CurrentOfExpr':
      return true;
    case 'SubLink':
      return dependsOnRow(b.testexpr, names, subquery) || dependsOnRow(b.subselect, names, true);
    case 'SelectStmt': {
      const visible = new Set(names);
      for (const bound of boundNames(b.fromClause)) visible.delete(bound);
      return visible.size > 0 && Object.values(b).some((v) => dependsOnRow(v, visible, true));
    }
    default:
      return Object.values(b).some((v) => dependsOnRow(v, names, subquery));
  }
}

/** Names a FROM list binds (relation names and aliases), which hide the same names outside. */
function boundNames(fromClause: unknown): string[] {
  const names: string[] = [];
  const visit = (item: unknown): void => {
    const u = unwrap(item);
    if (!u) return;
    const alias = str(isObject(u.body.alias) ? u.body.alias : undefined, 'aliasname');
    if (alias !== undefined) names.push(alias);
    if (u.type === 'RangeVar' && alias === undefined) names.push(str(u.body, 'relname') ?? '');
    if (u.type === 'JoinExpr') {
      visit(u.body.larg);
      visit(u.body.rarg);
    }
  };
  for (const item of listOf(fromClause)) visit(item);
  return names;
}
