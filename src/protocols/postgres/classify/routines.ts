/**
 * @module Code: DO blocks (run now), CREATE FUNCTION/PROCEDURE (run later, `createsRoutine`) and
 * CALL. A body in SQL or PL/pgSQL is read and its statements folded into `innerActions`; a body in
 * any other language (C, internal, plpython, plperl...) cannot be read, so it counts as dynamic SQL.
 */
import { SqlAction } from './actions.js';
import { type AstObject, defElemBool, listOf, nameParts, nodeOf, str, stringNode, unwrap } from './ast.js';
import { unclassifiable } from './fail.js';
import { noteFunctionCall } from './functions.js';
import { analyzePlpgsql } from './plpgsql.js';
import { noteSetStatement } from './settings.js';
import type { StatementWalker } from './walk.js';

/** The DefElem options of a DO or CREATE FUNCTION, by name. */
function options(list: unknown): Map<string, AstObject> {
  const byName = new Map<string, AstObject>();
  for (const item of listOf(list)) {
    const def = nodeOf(item, 'DefElem');
    const name = str(def, 'defname');
    if (def && name !== undefined) byName.set(name, def);
  }
  return byName;
}

/** A dollar-quote tag that does not occur in `body`, so the body can be quoted back unchanged. */
function dollarQuote(body: string): string {
  let tag = '$airlock$';
  for (let i = 0; body.includes(tag); i++) tag = `$airlock${i}$`;
  return tag;
}

/** `DO [LANGUAGE l] 'body'`: runs now. */
export function classifyDo(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.do;
  const opts = options(body.args);
  const language = stringNode(opts.get('language')?.arg)?.toLowerCase() ?? 'plpgsql';
  const code = stringNode(opts.get('as')?.arg);
  if (code === undefined) unclassifiable('DO without a body');
  w.draft.extra.routineLanguage = language;
  if (language === 'plpgsql') {
    // Quoted back on its own, the block reads exactly as PostgreSQL will compile it.
    const tag = dollarQuote(code);
    analyzePlpgsql(`DO ${tag}${code}${tag}`, w);
  } else {
    w.draft.flags.dynamicSql = true;
  }
}

/** `CREATE [OR REPLACE] FUNCTION|PROCEDURE`: code that runs later, when called. */
export function classifyCreateFunction(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = SqlAction.create;
  d.flags.createsRoutine = true;
  d.extra.objectType = body.is_procedure === true ? 'procedure' : 'function';
  d.objects.add(`fn:${nameParts(body.funcname).join('.')}`);
  const opts = options(body.options);
  const language = stringNode(opts.get('language')?.arg)?.toLowerCase() ?? 'sql';
  d.extra.routineLanguage = language;
  const security = opts.get('security');
  if (security) d.extra.securityDefiner = defElemBool(security) === true;
  for (const item of listOf(body.options)) {
    const opt = nodeOf(item, 'DefElem');
    const set = str(opt, 'defname') === 'set' ? nodeOf(opt?.arg, 'VariableSetStmt') : undefined;
    if (set) noteSetStatement(d, set); // SET search_path = ... applies on every call
  }
  w.walk(body.parameters); // parameter defaults run on every call
  if (body.sql_body !== undefined) {
    sqlBody(body.sql_body, w);
    return;
  }
  const code = listOf(nodeOf(opts.get('as')?.arg, 'List')?.items).map(stringNode);
  if (language === 'sql') {
    if (code[0] === undefined) unclassifiable('SQL function without a body');
    w.code(code[0]);
  } else if (language === 'plpgsql') {
    if (w.source === undefined) unclassifiable('a PL/pgSQL function found where its text is not known');
    analyzePlpgsql(w.source, w);
  } else {
    d.flags.dynamicSql = true;
  }
}

/** `BEGIN ATOMIC ... END` or `RETURN expr`: SQL-standard bodies, already parsed with the statement. */
function sqlBody(node: unknown, w: StatementWalker): void {
  const u = unwrap(node);
  if (!u) return;
  if (u.type === 'List') {
    for (const item of listOf(u.body.items)) sqlBody(item, w);
  } else if (u.type === 'ReturnStmt') {
    w.walk(u.body.returnval);
  } else {
    w.nested(u.type, u.body);
  }
}

/** `CALL proc(...)`. */
export function classifyCall(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.call;
  const call = body.funccall;
  if (call === undefined || call === null || typeof call !== 'object')
    unclassifiable('CALL without a procedure');
  noteFunctionCall(call as AstObject, w);
  w.walk(call);
}
