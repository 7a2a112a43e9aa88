/**
 * @module The per-statement questions masking asks of a parse tree: does a subtree read masked data
 * (`touches`), may an expression be computed from it (`exprTainted`), which positions of a target list
 * (SELECT list or RETURNING) are provably clean (`outputs`), and what `COPY ... TO STDOUT` copies
 * (`copyShape`). An `Analyzer` first collects the statement's relation names, aliases and renamed
 * columns, which every answer consults; the rules that refuse statements (`refusal-rules.ts`,
 * `opt-in-rules.ts`) are built from these answers.
 */
import { type AstObject, isObject, listOf, nameParts, nodeOf, str, stringNode } from '../classify/ast.js';
import { isBuiltinFunction } from '../classify/functions.js';
import type { AnalysisContext, CopyShape } from './analysis.types.js';
import { copyOptions } from './copy-options.js';
import { funcName, visit } from './tree.js';

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
  // The *_xmlschema forms describe columns only; listed so a family is never half-known.
  'schema_to_xmlschema',
  'database_to_xmlschema',
  'ts_stat',
  // ts_rewrite(query, 'SELECT target, substitute ...') runs its second argument.
  'ts_rewrite',
  'pg_get_statisticsobjdef_expressions',
]);

/** Per-statement analysis state. */
export class Analyzer {
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

  /** The rules and names the statement is analysed with (for the rules in `refusal-rules.ts`). */
  get ctx(): AnalysisContext {
    return this.#ctx;
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
      else if (userCalls && this.runsUserCode(obj, type)) found = true;
      else if (type === 'FuncCall' && DATA_READING_FUNCTIONS.has(funcName(obj).name)) found = true;
      else if (type === 'ColumnRef' && this.#refTainted(obj)) found = true;
      return undefined;
    });
    return found;
  }

  /**
   * True when the node runs code created on the target rather than a built-in: a call of a function
   * that is not a built-in or whose name a user routine has (a user `public.max(bytea)` is chosen
   * for `max(x)` when pg_catalog has no `max(bytea)`), an operator a user operator is named like
   * (`=` also for `IN`, `NULLIF`, `CASE x WHEN` and `= ANY (subquery)`), a cast to a domain with a
   * CHECK constraint. Names are matched without schemas: search_path may pick any of them.
   */
  runsUserCode(obj: AstObject, type: string | undefined): boolean {
    const code = this.#ctx.userCode;
    switch (type) {
      case 'FuncCall': {
        const { schema, name } = funcName(obj);
        return !isBuiltinFunction(schema, name) || (code?.routines.has(name) ?? false);
      }
      case 'A_Expr':
        return code !== undefined && nameParts(obj.name).some((part) => code.operators.has(part));
      case 'SubLink':
        return code !== undefined && nameParts(obj.operName).some((part) => code.operators.has(part));
      case 'CaseExpr':
        return code !== undefined && obj.arg !== undefined && code.operators.has('=');
      case 'TypeCast': {
        const names = nameParts(isObject(obj.typeName) ? obj.typeName.names : undefined);
        return code?.checkedDomains.has(names[names.length - 1] ?? '') ?? false;
      }
      default:
        return false;
    }
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

  /** The statement may read a `query` column: by that name, a star, a whole row or a column alias list. */
  readsQueryColumn(root: unknown): boolean {
    if (this.#renamed.size > 0) return true;
    let found = false;
    visit(root, (obj, type) => {
      if (found) return true;
      if (type !== 'ColumnRef') return undefined;
      const fields = listOf(obj.fields);
      const last = fields[fields.length - 1];
      if (nodeOf(last, 'A_Star') || stringNode(last) === 'query' || this.isWholeRow(obj)) found = true;
      return undefined;
    });
    return found;
  }

  /** `c` naming a relation or alias: the whole row as one value. */
  isWholeRow(ref: AstObject): boolean {
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
      } else if (userCalls && this.runsUserCode(obj, type)) {
        found = true;
      } else if (type === 'FuncCall' && DATA_READING_FUNCTIONS.has(funcName(obj).name)) {
        found = true;
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
}

/** A RETURNING list: `returningClause.exprs` in the parser's PostgreSQL 18 tree, `returningList` before. */
export function returningTargets(stmt: AstObject): readonly unknown[] {
  return isObject(stmt.returningClause) ? listOf(stmt.returningClause.exprs) : listOf(stmt.returningList);
}
