/**
 * @module PL/pgSQL bodies (DO blocks, CREATE FUNCTION ... LANGUAGE plpgsql), read with PostgreSQL's
 * own PL/pgSQL parser. Every SQL statement written in the body is classified and folded into the
 * outer statement's `innerActions`; every expression (IF conditions, assignments, RAISE arguments)
 * adds its functions and relations; `EXECUTE`, `FOR ... IN EXECUTE`, `RETURN QUERY EXECUTE` and
 * `OPEN ... FOR EXECUTE` run a string: a literal is classified like written SQL, anything built at
 * run time sets `dynamicSql`. An unknown PL/pgSQL statement kind fails closed.
 * @see https://www.postgresql.org/docs/current/plpgsql-statements.html
 */
import { parsePlPgSQLSync, parseSync, scanSync } from 'libpg-query';
import { type AstObject, isObject, listOf, nodeOf } from './ast.js';
import { absorbClassified, absorbHazards } from './draft.js';
import { unclassifiable } from './fail.js';
import { noteSqlString } from './functions.js';
import type { StatementWalker } from './walk.js';

/** PL/pgSQL statement kinds PostgreSQL 18 has; any other fails closed rather than be guessed at. */
const KNOWN_STATEMENTS: ReadonlySet<string> = new Set(
  [
    'block',
    'assign',
    'if',
    'case',
    'loop',
    'while',
    'fori',
    'fors',
    'forc',
    'foreach_a',
    'exit',
    'return',
    'return_next',
    'return_query',
    'raise',
    'assert',
    'execsql',
    'dynexecute',
    'dynfors',
    'getdiag',
    'open',
    'fetch',
    'close',
    'perform',
    'call',
    'commit',
    'rollback',
  ].map((kind) => `PLpgSQL_stmt_${kind}`),
);

/** Statement kinds whose `query` field is a string to run, not SQL written in the body. */
const DYNAMIC_QUERY_STATEMENTS: ReadonlySet<string> = new Set([
  'PLpgSQL_stmt_dynexecute',
  'PLpgSQL_stmt_dynfors',
]);

/** How PL/pgSQL asks the SQL parser to read an embedded expression (`RawParseMode`). */
const ParseMode = { statement: 0, typeName: 1, expression: 2, assign1: 3, assign2: 4, assign3: 5 } as const;

/**
 * Folds a PL/pgSQL routine or DO block into the walker's statement.
 * @param source the whole `DO ...` or `CREATE FUNCTION ...` statement text
 */
export function analyzePlpgsql(source: string, w: StatementWalker): void {
  let parsed: unknown;
  try {
    parsed = parsePlPgSQLSync(source);
  } catch (err) {
    unclassifiable(`the PL/pgSQL body does not parse: ${err instanceof Error ? err.message : String(err)}`);
  }
  visit(parsed, w, false);
}

function visit(value: unknown, w: StatementWalker, dynamic: boolean): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, w, dynamic);
    return;
  }
  if (!isObject(value)) return;
  for (const key in value) {
    const child = value[key];
    if (key === 'PLpgSQL_expr' && isObject(child)) {
      expression(child, w, dynamic);
    } else if (key.startsWith('PLpgSQL_stmt_')) {
      statement(key, child, w);
    } else {
      visit(child, w, dynamic);
    }
  }
}

function statement(kind: string, body: unknown, w: StatementWalker): void {
  if (!KNOWN_STATEMENTS.has(kind)) unclassifiable(`unknown PL/pgSQL statement ${kind}`);
  if (kind === 'PLpgSQL_stmt_commit' || kind === 'PLpgSQL_stmt_rollback')
    w.draft.innerActions.add('sql.transaction');
  if (!isObject(body)) return;
  const dynamicQuery = DYNAMIC_QUERY_STATEMENTS.has(kind);
  for (const key in body) visit(body[key], w, (dynamicQuery && key === 'query') || key === 'dynquery');
}

/** One embedded expression or statement (`PLpgSQL_expr`). */
function expression(expr: AstObject, w: StatementWalker, dynamic: boolean): void {
  const query = typeof expr.query === 'string' ? expr.query : '';
  const mode = typeof expr.parseMode === 'number' ? expr.parseMode : ParseMode.statement;
  if (dynamic) {
    dynamicString(query, w);
    return;
  }
  switch (mode) {
    case ParseMode.statement:
      w.code(query);
      return;
    case ParseMode.typeName:
      return;
    case ParseMode.expression:
      expressionHazards(query, w);
      return;
    case ParseMode.assign1:
    case ParseMode.assign2:
    case ParseMode.assign3:
      expressionHazards(assignedValue(query), w);
      return;
    default:
      unclassifiable(`unknown PL/pgSQL expression mode ${mode}`);
  }
}

/** Functions and relations an expression reads count for the routine; it is not a statement itself. */
function expressionHazards(expr: string, w: StatementWalker): void {
  const classified = w.env.classifyCode(`SELECT ${expr}`);
  if (classified.length !== 1) unclassifiable('a PL/pgSQL expression reads as more than one statement');
  for (const c of classified) {
    absorbHazards(w.draft, c.primary);
    // A sub-select cannot write, but if PostgreSQL ever allows it, it must not vanish.
    for (const extra of c.extras) absorbClassified(w.draft, { primary: extra, extras: [] });
  }
}

/** `EXECUTE <expr>`: what the string is, when it can be known. */
function dynamicString(expr: string, w: StatementWalker): void {
  expressionHazards(expr, w);
  const select = nodeOf(parseSync(`SELECT ${expr}`).stmts?.[0]?.stmt, 'SelectStmt');
  const target = nodeOf(listOf(select?.targetList)[0], 'ResTarget');
  noteSqlString(target?.val, w);
}

/**
 * The value side of an assignment (`v := expr`, `v[i] = expr`, `r.f := expr`): the text after the
 * first `:=` or `=` outside brackets, cut by the scanner so quotes and comments cannot fake one.
 */
function assignedValue(query: string): string {
  const bytes = Buffer.from(query, 'utf8');
  let depth = 0;
  for (const token of scanSync(query).tokens) {
    if (token.text === '(' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === ']') depth--;
    else if (depth === 0 && (token.text === ':=' || token.text === '=')) {
      return bytes.subarray(token.end).toString('utf8');
    }
  }
  return unclassifiable('a PL/pgSQL assignment has no := or =');
}
