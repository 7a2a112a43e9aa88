/**
 * @module The refusals a connection opts into, stricter than masking alone: `denyPredicates` refuses
 * filtering, sorting, grouping or counting rows by a masked column (each answer leaks a bit of the
 * value), and `onDerived: deny` refuses any output column computed from masked data instead of
 * redacting it. They are kept apart from `refusal-rules.ts` because they judge what a statement
 * returns or how it selects rows, not where it moves masked values.
 */
import { isObject, listOf, nodeOf, str } from '../classify/ast.js';
import { type Analyzer, returningTargets } from './analyzer.js';
import { refuse } from './refusal-rules.js';
import { visit } from './tree.js';

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

/** Predicates on masked columns, when `denyPredicates` is on. */
export function checkPredicates(a: Analyzer, root: unknown): void {
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
    const touches = a.touches(obj);
    for (const condition of conditions) {
      if (a.exprTainted(condition, touches)) {
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
export function checkDerived(a: Analyzer, root: unknown): void {
  visit(root, (obj, type) => {
    if (type !== 'SelectStmt' && type !== 'InsertStmt' && type !== 'UpdateStmt' && type !== 'DeleteStmt')
      return undefined;
    const touches = a.touches(obj);
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
      const derived = ref ? a.isWholeRow(ref) : a.exprTainted(val, touches);
      if (derived && touches)
        refuse(
          'masking-derived',
          'an output column is computed from a masked column; select the column itself',
        );
    }
    return undefined;
  });
}
